"""Re-runs, duplicates and concurrency: nothing rotates twice, nothing is overwritten."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from portal_automation.workflow.plan import rotation_version_id

from .conftest import TIMING, Workflow, managed, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def invoke(workflow: Workflow, function_output: str, payload: dict[str, Any]) -> dict[str, Any]:
    body = workflow.invoke(function_output, payload)
    assert "errorType" not in body, body
    return body


RERUN_CONFIG = {"disableServicesDirectory": True}


def preflighted(workflow: Workflow, arn: str, action: str) -> dict[str, Any]:
    """One portal's state after the deployed PlanExecution and Preflight, as the Map
    passes it to ApplyChange."""
    run_input: dict[str, Any] = {"action": action, "portals": [{"secretArn": arn}]}
    if action == "apply-security-config":
        run_input["securityConfig"] = RERUN_CONFIG
    state: dict[str, Any] = {"item": workflow.planned_items({**run_input, "timing": TIMING})[0]}
    state["preflight"] = invoke(workflow, "PreflightFunctionArn", state)
    return state


@pytest.mark.parametrize(
    ("context", "action"),
    [("early113", "rotate-shared-key"), ("earlycfg", "apply-security-config")],
)
def test_a_change_task_that_died_before_sending_is_judged_not_applied(
    workflow: Workflow, context: str, action: str
) -> None:
    """FAULTS rows 11 and 16: the change task ended without an answer (the ASL's
    ChangeOutcomeUnknown) before it stored its probe token or snapshot, so before it
    sent anything. The deployed Verify finds nothing stored (a missing object: S3 says
    so only to a role with s3:ListBucket) and says not applied; ApplyChange then runs
    once: one update."""
    portal = workflow.emulator.portal(context)
    state = preflighted(workflow, workflow.secret_for(context), action)
    state["change"] = {"phase": "change", "outcome": "unknown", "attempts": 1, "recheckSeconds": 0}

    verdict = invoke(workflow, "VerifyFunctionArn", state)

    assert (verdict["outcome"], verdict["checks"]) == ("not-applied", {"updateSent": False})
    assert portal.update_count == 0
    assert invoke(workflow, "ApplyChangeFunctionArn", state)["outcome"] == "accepted"
    assert portal.update_count == 1
    assert portal.wait_until_up(timeout=10)


@pytest.mark.parametrize(
    ("context", "action"),
    [
        ("rerun113", "rotate-shared-key"),
        ("rerun114", "rotate-shared-key"),
        ("reruncfg", "apply-security-config"),
    ],
)
def test_each_step_rerun_after_a_crash_changes_nothing_twice(
    workflow: Workflow, context: str, action: str
) -> None:
    """FAULTS row 11: each task runs again after it did its work (a crash before its
    result was recorded). ApplyChange sees the change applied and sends nothing; Verify,
    Finalize and RecordFailure run twice leave the same state as once."""
    portal = workflow.emulator.portal(context)
    state = preflighted(workflow, workflow.secret_for(context), action)
    arn = state["item"]["secretArn"]

    first = invoke(workflow, "ApplyChangeFunctionArn", state)
    # The re-run comes once the restart the change caused is over: it begins a lag after
    # the update (maybe after this line, on a busy machine), so wait for it to have begun.
    assert portal.wait_until(lambda p: p.restart_count == 1 and p.phase == "up", timeout=300)
    second = invoke(workflow, "ApplyChangeFunctionArn", state)

    assert first["outcome"] == "accepted"
    assert second["outcome"] == "already-applied"
    assert portal.update_count == 1
    assert portal.restart_count == 1
    # Finish the run through the real steps: the re-run did not break verification.
    state["change"] = second
    state["poll"] = invoke(workflow, "PollHealthFunctionArn", state)
    state["verify"] = invoke(workflow, "VerifyFunctionArn", state)
    assert state["verify"]["outcome"] == "verified", state["verify"]
    again = invoke(workflow, "VerifyFunctionArn", state)
    assert again["outcome"] == "verified", again
    report = invoke(workflow, "FinalizeFunctionArn", state)
    stages = workflow.stages(arn)
    assert invoke(workflow, "FinalizeFunctionArn", state)["status"] == "verified"
    assert report["status"] == "verified"
    assert workflow.stages(arn) == stages  # promoted once
    assert portal.update_count == 1
    if action == "rotate-shared-key":
        assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
        assert sorted(map(tuple, stages.values())) == [("AWSCURRENT",), ("AWSPREVIOUS",)]
    else:
        assert managed(portal)["disableServicesDirectory"] is True
    assert workflow.scratch(state["item"]["runId"]) == []
    # RecordFailure after a failure on this portal, twice: the same settlement both times.
    failed = {**state, "error": {"Error": "VerificationFailed", "Cause": "{}"}}
    failed.pop("verify")
    reports = [invoke(workflow, "RecordFailureFunctionArn", failed) for _ in range(2)]
    assert [r["status"] for r in reports] == ["failed", "failed"]
    assert reports[0]["error"]["name"] == reports[1]["error"]["name"] == "VerificationFailed"
    assert workflow.stages(arn) == stages
    assert portal.update_count == 1


def test_two_rotations_of_one_secret_at_once(workflow: Workflow) -> None:
    """FAULTS row 13: one runs, the other is refused clearly and changes nothing. The two
    overlap by construction: the first is held while its portal restarts (its first
    health window's invocation held), and the second runs meanwhile."""
    portal = workflow.emulator.portal("busy113")
    arn = workflow.secret_for("busy113")
    poll = str(workflow.aws.outputs["PollHealthFunctionArn"]).split(":")[6]
    held = workflow.aws.endpoint.invocation_holds.hold(poll, matching=arn)
    first = workflow.start(
        {"action": "rotate-shared-key", "portals": [{"secretArn": arn}], "timing": TIMING}
    )
    assert held.wait_reached(timeout=300)

    second = workflow.rotate(arn)
    held.release()
    done = workflow.aws.follow(first, timeout_seconds=300)

    assert portal_result(done, arn)["status"] == "verified"
    refused = portal_result(second, arn)
    assert refused["error"]["name"] == "PortalBusy"
    assert "another run" in refused["error"]["message"]
    assert portal.update_count == 1
    assert portal.restart_count == 1
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key


def test_leftover_pending_version_is_never_overwritten(workflow: Workflow) -> None:
    """FAULTS row 14: a leftover AWSPENDING from a failed run: clear message, nothing
    overwritten, and the documented recovery (remove the stage) lets the next run work."""
    portal = workflow.emulator.portal("pending113")
    arn = workflow.secret_for("pending113")
    sm = workflow.aws.client("secretsmanager")
    leftover = str(uuid.uuid4())
    workflow.plant_pending(arn, leftover, "left-by-an-earlier-run-0123456789abcdef")

    refused = workflow.rotate(arn)

    report = portal_result(refused, arn)
    assert report["error"]["name"] == "PendingVersionConflict"
    assert leftover in report["error"]["message"]
    assert "Leftover AWSPENDING" in report["error"]["message"]
    assert workflow.stages(arn)[leftover] == ["AWSPENDING"]
    assert portal.update_count == 0

    # The runbook's recovery when the portal does not use the pending key.
    sm.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=leftover
    )
    retried = workflow.rotate(arn)
    assert portal_result(retried, arn)["status"] == "verified"


def test_a_weak_pending_key_is_refused_before_the_portal_sees_it(workflow: Workflow) -> None:
    """FAULTS row 8 at the entry point: the only key the workflow does not generate
    itself is one already waiting in AWSPENDING for this run (a resumed run). A weak or
    malformed one is refused before any request reaches the portal."""
    portal = workflow.emulator.portal("weakkey113")
    arn = workflow.secret_for("weakkey113")
    name = f"weak-{uuid.uuid4().hex[:8]}"
    payload = {"action": "rotate-shared-key", "portals": [{"secretArn": arn}], "timing": TIMING}
    execution_arn = workflow.aws.state_machine_arn.replace(":stateMachine:", ":execution:")
    version_id = rotation_version_id(f"{execution_arn}:{name}", arn)
    workflow.plant_pending(arn, version_id, "a" * 32)
    workflow.emulator.clear_log()

    result = workflow.aws.run(payload, name)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "InvalidSharedKey"
    assert "too little entropy" in report["error"]["message"]
    assert not any(r.path.endswith("tokens/update") for r in workflow.emulator.request_log)
    assert portal.update_count == 0
