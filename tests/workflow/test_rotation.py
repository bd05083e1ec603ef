"""Key rotation end to end: the real ASL on the local endpoint against the emulator."""

from __future__ import annotations

import pytest
from portal_local.emulator import Fault

from .conftest import CHANGE_TIMEOUT, TIMING, Workflow, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


@pytest.mark.parametrize("context", ["rot113", "rot1091"])
def test_rotation_on_a_portal_that_takes_a_supplied_key(workflow: Workflow, context: str) -> None:
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)
    old_key, restarts, updates = portal.shared_key, portal.restart_count, portal.update_count

    result = workflow.rotate(arn)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = portal_result(result, arn)
    assert report["status"] == "verified"
    assert report["keyMode"] == "supplied"
    federation = report["verification"].pop("federatedServers")
    assert report["verification"] == {
        "health": "ok",
        "oldTokenRejected": True,
        "freshTokenWorks": True,
        "keyMatchesSecret": True,
    }
    assert [server["status"] for server in federation["servers"]] == ["success"]
    current = workflow.secret_json(arn)
    assert current["sharedKey"] == portal.shared_key != old_key
    assert current["password"]
    assert current["url"] == workflow.emulator.url(context)
    stages = sorted(sorted(s) for s in workflow.stages(arn).values())
    assert stages == [["AWSCURRENT"], ["AWSPREVIOUS"]]  # AWSPENDING settled
    assert (portal.restart_count, portal.update_count) == (restarts + 1, updates + 1)


@pytest.mark.parametrize("context", ["rot114", "rot115reject"])
def test_rotation_on_a_portal_that_generates_the_key(workflow: Workflow, context: str) -> None:
    """FAULTS row 9: the generated key is read back and stored; the secret matches."""
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)
    old_key = portal.shared_key

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert result.status == "SUCCEEDED", report
    assert report["status"] == "verified"
    assert report["keyMode"] == "generated"
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key != old_key
    assert portal.restart_count == 1


def test_restart_lag_is_not_mistaken_for_the_restart(workflow: Workflow) -> None:
    """FAULTS rows 6-7: health answers OK during the lag; only the old token's rejection
    proves the new key is live, so verification waits through the lag and the restart."""
    portal = workflow.emulator.portal("lag113")
    arn = workflow.secret_for("lag113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report.get("error"), result.states)
    assert result.states.count("Verify") >= 2, "verify should have seen the lag"
    assert report["verification"]["oldTokenRejected"] is True
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    assert portal.restart_count == 1
    assert portal.update_count == 1


def test_restart_longer_than_the_bound_fails_clearly(workflow: Workflow) -> None:
    """FAULTS row 5: ends at the bound with a named failure; history stays small."""
    emulator = workflow.emulator
    emulator.faults.add(Fault(action="restart_forever", context="forever113"))
    arn = workflow.secret_for("forever113")
    try:
        result = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 4})
    finally:
        emulator.faults.clear()
        assert emulator.portal("forever113").wait_until_up(timeout=10)

    assert result.status == "FAILED"
    assert result.error == "PortalsFailed"
    report = portal_result(result, arn)
    assert report["status"] == "failed"
    assert report["error"]["name"] == "PortalRestartTimeout"
    assert "within the allowed 4 s" in report["error"]["message"]
    # Bounded by the poll windows, not by the length of the wait.
    assert result.states.count("PollHealth") <= 4, " ".join(result.states)
    assert result.events < 200
    # The portal could not be asked which key it uses, so AWSPENDING is kept and said so.
    assert any("AWSPENDING" in note for note in report["error"]["notes"])


def test_failed_update_leaves_nothing_half_done(workflow: Workflow) -> None:
    """FAULTS row 3: update answers status failed: fail, AWSPENDING not promoted."""
    workflow.emulator.faults.add(
        Fault(action="status_failed", context="fleet3", path="portaladmin/security/tokens/update")
    )
    portal = workflow.emulator.portal("fleet3")
    arn = workflow.secret_for("fleet3")
    before = workflow.secret_json(arn)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "failed"
    assert report["error"]["name"] == "PortalRequestRejected"
    assert workflow.secret_json(arn) == before
    assert all("AWSPENDING" not in s for s in workflow.stages(arn).values())
    assert any("does not run the key in AWSPENDING" in n for n in report["error"]["notes"])
    assert portal.restart_count == 0


def test_unanswered_update_is_checked_not_repeated(workflow: Workflow) -> None:
    """FAULTS row 16: the update's answer never comes (read timeout) but it lands: the
    workflow checks the portal instead of sending it again. One update, one restart."""
    workflow.emulator.faults.add(
        Fault(
            action="delay",
            seconds=3.0,
            context="slowupdate113",
            path="portaladmin/security/tokens/update",
            times=1,
        )
    )
    portal = workflow.emulator.portal("slowupdate113")
    arn = workflow.secret_for("slowupdate113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report.get("error"), result.states)
    assert portal.update_count == 1
    assert portal.restart_count == 1
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key


def test_update_lost_before_the_portal_is_retried_after_checking(workflow: Workflow) -> None:
    """The update's connection is reset before the portal saw it: the workflow finds the
    old key still in place and sends the update once more (attempt 2), then verifies."""
    workflow.emulator.faults.add(
        Fault(
            action="reset",
            context="resetupdate113",
            path="portaladmin/security/tokens/update",
            times=1,
        )
    )
    portal = workflow.emulator.portal("resetupdate113")
    arn = workflow.secret_for("resetupdate113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report.get("error"), result.states)
    assert report["attempts"] == 2
    assert portal.update_count == 1
    assert portal.restart_count == 1


def test_change_task_that_times_out_is_checked_not_retried(workflow: Workflow) -> None:
    """FAULTS row 16: the change task's Lambda runs out of time (its first portal call
    hangs past every read timeout): the workflow does not retry it blindly; it waits
    out a possible restart, finds that nothing was sent, and only then runs the change
    task again. One update, one restart."""
    # A read timeout longer than the function's time: the function dies, not the call.
    longer = {"PORTAL_AUTOMATION_READ_TIMEOUT_SECONDS": str(CHANGE_TIMEOUT * 5)}
    workflow.emulator.faults.add(
        Fault(
            action="delay",
            seconds=CHANGE_TIMEOUT * 2,
            context="lambdatimeout113",
            path="portaladmin/security/tokens",  # the change task's first call
            times=1,
        )
    )
    portal = workflow.emulator.portal("lambdatimeout113")
    arn = workflow.secret_for("lambdatimeout113")

    with workflow.aws.redeployed({"ApplyChangeFunctionArn": longer}):
        result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert "ChangeOutcomeUnknown" in result.states, result.states
    assert report["status"] == "verified", (report.get("error"), result.states)
    assert result.states.count("ApplyChange") == 2
    assert portal.update_count == 1
    assert portal.restart_count == 1


def test_transient_lambda_service_errors_are_retried(workflow: Workflow) -> None:
    """FAULTS row 17: throttling and service errors of the Lambda service itself (no code
    ran) are retried by the state machine, capped and with jitter; the change task is
    retried only for throttling, which proves it did not run."""
    endpoint = workflow.aws.endpoint
    names = {
        key: workflow.aws.outputs[key].rsplit(":", 1)[-1]
        for key in ("PreflightFunctionArn", "ApplyChangeFunctionArn", "VerifyFunctionArn")
    }
    endpoint.inject_lambda_service_error(names["PreflightFunctionArn"])
    endpoint.inject_lambda_service_error(names["PreflightFunctionArn"], "ServiceException", 500)
    endpoint.inject_lambda_service_error(names["ApplyChangeFunctionArn"])
    endpoint.inject_lambda_service_error(names["VerifyFunctionArn"], "ServiceException", 500)
    portal = workflow.emulator.portal("throttle113")
    arn = workflow.secret_for("throttle113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", (report.get("error"), result.states)
    assert portal.update_count == 1
    assert portal.restart_count == 1
