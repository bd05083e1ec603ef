"""What a portal answers is input, not truth (issue 18): a compromised or misconfigured
portal, through the state machine on the local endpoint. FAULTS rows 43-45, 47, 51."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_local.emulator import Fault

from .conftest import Workflow, histories, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def change_outcomes(workflow: Workflow, result: Any) -> list[str]:
    """The outcome of each ApplyChange of the run, as its state's output holds it."""
    return [
        json.loads(e["stateExitedEventDetails"]["output"])["change"]["outcome"]
        for e in histories(workflow, result)
        if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == "ApplyChange"
    ]


# --- row 51: a hostile answer costs bounded time and memory ------------------------------


@pytest.mark.parametrize(
    ("context", "fault", "error", "said"),
    [
        # Every answer to portaladmin takes 12 s, a byte long before each 2 s read
        # timeout: cut at the call's deadline (5 s + 2 x 2 s), retried by the state
        # machine a bounded number of times.
        ("drip113", {"action": "drip", "seconds": 12.0}, "PortalAnswerTooSlow", "within 9 s"),
        # 150 MiB: read to the 8 MiB cap, not retried.
        ("huge113", {"action": "huge"}, "PortalAnswerTooLarge", "8388608 bytes"),
    ],
    ids=["drip", "150 MiB"],
)
def test_a_hostile_answer_to_preflight_costs_bounded_time_and_memory(
    workflow: Workflow, context: str, fault: dict[str, Any], error: str, said: str
) -> None:
    """Preflight's version read gets the hostile answer: named, nothing changed."""
    workflow.emulator.faults.add(Fault(context=context, path="portaladmin", **fault))
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == error, report
    assert said in report["error"]["message"]
    assert portal.update_count == 0
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]


def test_a_change_whose_answer_is_too_large_has_an_unknown_outcome_not_a_rejection(
    workflow: Workflow,
) -> None:
    """The update lands, then its answer passes the cap: never "rejected"; the outcome
    is unknown, Verify finds the key changed, and the run is verified with one update."""
    workflow.emulator.faults.add(
        Fault(
            action="huge",
            context="hugeupdate113",
            path="portaladmin/security/tokens/update",
            times=1,
        )
    )
    portal = workflow.emulator.portal("hugeupdate113")
    arn = workflow.secret_for("hugeupdate113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert change_outcomes(workflow, result) == ["unknown"]
    assert (portal.update_count, portal.restart_count) == (1, 1)
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
