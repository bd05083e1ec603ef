"""The Step Functions adapter's execution ARNs for each way a run is started."""

from __future__ import annotations

import pytest
from portal_automation.aws.executions import Executions

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:stack-portal-security"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:stack-portal-security:event-1"


@pytest.mark.parametrize(
    "started_through",
    [MACHINE, f"{MACHINE}:live", f"{MACHINE}:7"],
    ids=["state machine", "alias", "version"],
)
def test_an_execution_belongs_to_the_state_machine_whatever_started_it(
    started_through: str,
) -> None:
    """A run started through the alias or a version is still an execution of the state
    machine: its ARN has no qualifier (the rotation function attaches to it by ARN)."""
    assert Executions(None, started_through).arn_for("event-1") == EXECUTION
