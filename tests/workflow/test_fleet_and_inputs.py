"""A fleet in one execution, and inputs rejected before any portal is contacted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_local.emulator import Fault

from .conftest import TIMING, Workflow, notification_for, plan_failure_cause, portal_result, run_id

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def test_one_failing_portal_does_not_stop_the_others(workflow: Workflow) -> None:
    """FAULTS row 27: the others finish; the summary names the failed one."""
    workflow.emulator.faults.add(
        Fault(action="error", code=500, context="fleet1", path="portaladmin/security/tokens/update")
    )
    arns = {ctx: workflow.secret_for(ctx) for ctx in ("fleet1", "fleet2", "rot113")}

    result = workflow.rotate(*arns.values())

    assert result.status == "FAILED"
    assert result.error == "PortalsFailed"
    assert result.summary is not None
    assert result.summary["failedPortals"] == [arns["fleet1"]]
    assert result.summary["outcome"] == "partial"
    assert portal_result(result, arns["fleet1"])["status"] == "failed"
    notice = notification_for(workflow, run_id(result))
    assert notice["subject"] == "Portal rotate-shared-key: partial (2/3 portals OK)"
    # Subscribers filter on these (issue 9): e.g. {"outcome": ["partial", "failed"]}.
    assert notice["attributes"] == {"outcome": "partial", "action": "rotate-shared-key"}
    assert notice["body"]["failedPortals"] == [arns["fleet1"]]
    failed = next(p for p in notice["body"]["portals"] if p["secretArn"] == arns["fleet1"])
    assert failed["error"]["name"] == "PortalRequestRejected"
    for ctx in ("fleet2", "rot113"):
        assert portal_result(result, arns[ctx])["status"] == "verified"
        assert (
            workflow.secret_json(arns[ctx])["sharedKey"] == workflow.emulator.portal(ctx).shared_key
        )


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown action", {"action": "rotate", "portals": "A"}, "action"),
    ("no portals", {"action": "rotate-shared-key", "portals": []}, "portals"),
    ("not an ARN", {"action": "rotate-shared-key", "portals": [{"secretArn": "gis"}]}, "secretArn"),
    (
        "an ARN with a trailing newline",
        {"action": "rotate-shared-key", "portals": "A\n"},
        "must be a Secrets Manager secret ARN",
    ),
    ("unknown field", {"action": "rotate-shared-key", "portals": "A", "extra": 1}, "extra"),
    (
        "trust key",
        {
            "action": "apply-security-config",
            "portals": "A",
            "securityConfig": {"webgisServerTrustKey": "x"},
        },
        "webgisServerTrustKey",
    ),
    (
        "wrong type",
        {
            "action": "apply-security-config",
            "portals": "A",
            "securityConfig": {"disableServicesDirectory": "yes"},
        },
        "disableServicesDirectory must be a boolean",
    ),
    (
        "bad enum",
        {
            "action": "apply-security-config",
            "portals": "A",
            "securityConfig": {"defaultUserTypeIdForUser": "admin"},
        },
        "defaultUserTypeIdForUser",
    ),
    ("config missing", {"action": "apply-security-config", "portals": "A"}, "securityConfig"),
    (
        "string for boolean",
        {"action": "rotate-shared-key", "portals": "A", "dryRun": "no"},
        "dryRun",
    ),
    ("zero for boolean", {"action": "rotate-shared-key", "portals": "A", "dryRun": 0}, "dryRun"),
    (
        "string for number",
        {"action": "rotate-shared-key", "portals": "A", "timing": {"maxRestartSeconds": "30"}},
        "maxRestartSeconds",
    ),
    (
        "label with a right-to-left override and a path",
        {"action": "rotate-shared-key", "portals": {"label": "prod\u202e/../etc"}},
        "label",
    ),
    (
        "malformed rotation token",
        {"action": "rotate-shared-key", "portals": "A", "rotationToken": "../.."},
        "rotationToken",
    ),
    (
        "outside prefix",
        {
            "action": "rotate-shared-key",
            "portals": [
                {"secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf"}
            ],
        },
        "outside the secrets",
    ),
]


@pytest.mark.parametrize(("case", "payload", "reason"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_malformed_input_is_rejected_before_any_portal_request(
    workflow: Workflow, case: str, payload: dict[str, Any], reason: str
) -> None:
    """FAULTS rows 18, 19, 28, 38 (and 52: an ARN followed by a newline is not an ARN):
    rejected with the reason, nothing sent to any portal."""
    arn = workflow.secret_for("input113")
    if payload.get("portals") in ("A", "A\n"):  # the secret's ARN (and what follows it)
        payload = {**payload, "portals": [{"secretArn": arn + payload["portals"][1:]}]}
    elif isinstance(payload.get("portals"), dict):  # the fields of the one portal
        payload = {**payload, "portals": [{"secretArn": arn, **payload["portals"]}]}
    workflow.emulator.clear_log()

    result = workflow.run({"timing": TIMING, **payload})

    assert result.status == "FAILED"
    assert result.error == "InvalidExecutionInput"
    history = plan_failure_cause(workflow, result)
    assert reason in history, history
    assert workflow.emulator.requests_for("input113") == []


@pytest.mark.parametrize("payload", [None, [], ["rotate-shared-key"], "rotate"], ids=repr)
def test_input_that_is_not_an_object_is_rejected_with_a_notification(
    workflow: Workflow, payload: Any
) -> None:
    """FAULTS row 38: not a States.Runtime failure without a word, but InputRejected."""
    workflow.counter += 1
    result = workflow.aws.run(payload, f"not-an-object-{workflow.counter}-{id(payload) % 9999}")

    assert (result.status, result.error) == ("FAILED", "InvalidExecutionInput")
    assert "a JSON object is required" in plan_failure_cause(workflow, result)
    notice = rejection_notice(workflow, result.execution_arn)
    assert notice["outcome"] == "rejected"
    assert "a JSON object is required" in notice["error"]["Cause"]


def test_one_secret_named_by_its_full_and_its_partial_arn_is_refused(workflow: Workflow) -> None:
    """FAULTS row 36: resolved to one full ARN before any lock; nothing reaches the portal."""
    portal = workflow.emulator.portal("input113")
    arn = workflow.secret_for("input113")
    partial = arn[: -len("-AbCdEf")]
    updates = portal.update_count
    workflow.emulator.clear_log()

    result = workflow.rotate(arn, partial)

    assert (result.status, result.error) == ("FAILED", "InvalidExecutionInput")
    assert "more than once" in plan_failure_cause(workflow, result)
    assert workflow.emulator.requests_for("input113") == []
    assert portal.update_count == updates


def rejection_notice(workflow: Workflow, execution_arn: str) -> dict[str, Any]:
    sqs = workflow.aws.client("sqs")
    queue = workflow.aws.notifications_queue  # type: ignore[attr-defined]
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        found = None
        for message in messages:
            body = json.loads(json.loads(message["Body"])["Message"])
            if body.get("executionId") == execution_arn:
                found = body
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        if found:
            return found
        if not messages:
            break
    raise AssertionError(f"no rejection notice for {execution_arn}")
