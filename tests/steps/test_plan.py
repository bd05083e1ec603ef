"""PlanExecution: every problem named before any portal is contacted; one item per portal."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import InvalidExecutionInput
from portal_automation.settings import PlanExecutionSettings
from portal_automation.workflow.plan import plan_execution

PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/"
ARN = PREFIX + "gis-AbCdEf"
OTHER = PREFIX + "gis2-AbCdEf"
OUTSIDE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:portal-security:run-42"
SETTINGS = PlanExecutionSettings(secret_arn_prefix=PREFIX, max_restart_seconds=900)


def plan(raw: Any, execution: str = EXECUTION) -> dict[str, Any]:
    return plan_execution(raw, execution, SETTINGS)


def test_items_carry_the_run_and_a_stable_version_per_portal() -> None:
    raw = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": ARN, "label": "a"}, {"secretArn": OTHER}],
    }

    first, again = plan(raw), plan(raw)

    assert first["runId"] == "run-42"
    assert [i["secretArn"] for i in first["items"]] == [ARN, OTHER]
    assert first["items"][0]["label"] == "a"
    versions = [i["versionId"] for i in first["items"]]
    assert len(set(versions)) == 2
    assert versions == [i["versionId"] for i in again["items"]]
    assert plan(raw, EXECUTION + "x")["items"][0]["versionId"] != versions[0]


def test_a_rotation_token_is_the_version() -> None:
    token = "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21"
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "rotationToken": token}

    assert plan(raw)["items"][0]["versionId"] == token


def test_the_deployment_bound_caps_an_unset_restart_bound() -> None:
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}]}

    assert plan(raw)["items"][0]["timing"]["maxRestartSeconds"] == 900


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"action": "rotate", "portals": [{"secretArn": ARN}]}, "action"),
        ({"action": "rotate-shared-key", "portals": []}, "portals"),
        ({"action": "rotate-shared-key", "portals": [{"secretArn": "gis"}]}, "secretArn"),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "extra": 1},
            "unknown field",
        ),
        ({"action": "rotate-shared-key", "portals": [{"secretArn": ARN}] * 2}, "more than once"),
        (
            {"action": "apply-security-config", "portals": [{"secretArn": ARN}]},
            "securityConfig is required",
        ),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN}], "securityConfig": {}},
            "only for action",
        ),
        (
            {
                "action": "apply-security-config",
                "portals": [{"secretArn": ARN}],
                "securityConfig": {"webgisServerTrustKey": "x"},
            },
            "federation",
        ),
        (
            {
                "action": "apply-security-config",
                "portals": [{"secretArn": ARN}],
                "securityConfig": {"disableServicesDirectory": "yes"},
            },
            "boolean",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": OUTSIDE}],
            },
            "outside",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": ARN}],
                "timing": {"maxRestartSeconds": 901},
            },
            "exceeds",
        ),
        (
            {"action": "rotate-shared-key", "portals": [{"secretArn": ARN, "secretArn2": 1}]},
            "unknown field",
        ),
        (
            {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": ARN}, {"secretArn": OTHER}],
                "rotationToken": "t",
            },
            "exactly one",
        ),
    ],
)
def test_bad_inputs_are_refused_naming_the_problem(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidExecutionInput) as raised:
        plan(raw)

    assert problem in raised.value.message
