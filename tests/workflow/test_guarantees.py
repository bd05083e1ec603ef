"""Headline guarantees, each pinned by a test that fails when the line giving it goes
(issue 10 section 4; FAULTS row 37): the key is stored before the portal sees it, the
portal key must equal AWSPENDING, RecordFailure keeps an AWSPENDING the portal runs,
and no token or key survives a finished run."""

from __future__ import annotations

import json
import threading

import pytest
from portal_local.emulator import Fault

from .conftest import CHANGE_TIMEOUT, LDAP_PASSWORD, TIMING, Workflow, portal_result, run_id

HANG_GUARD = 600.0  # a bound for a state sure to come on a loaded machine, never a measure

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def test_a_change_task_that_dies_after_the_update_landed_loses_no_key(
    workflow: Workflow,
) -> None:
    """The portal takes the new key and holds its answer past the change task's own
    timeout: the function dies between the accepted update and anything after it. The
    key was stored as AWSPENDING before the update was sent, so the run still verifies
    and the secret holds the key the portal runs (stored after the update, it is lost)."""
    portal = workflow.emulator.portal("crash113")
    # A read timeout longer than the function's time: the function dies, not the call.
    longer = {"PORTAL_AUTOMATION_READ_TIMEOUT_SECONDS": str(CHANGE_TIMEOUT * 5)}
    workflow.emulator.faults.add(
        Fault(
            action="slow_answer",
            seconds=CHANGE_TIMEOUT * 3,
            context="crash113",
            path="portaladmin/security/tokens/update",
            times=1,
        )
    )
    arn = workflow.secret_for("crash113")
    with workflow.aws.redeployed({"ApplyChangeFunctionArn": longer}):
        result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert "ChangeOutcomeUnknown" in result.states, result.states
    assert report["status"] == "verified", report
    assert portal.update_count == 1
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key


def test_a_portal_key_that_is_not_the_pending_one_is_never_promoted(workflow: Workflow) -> None:
    """Someone changes the key while the portal restarts: the portal comes back with a
    key nobody stored. VerificationFailed; nothing promoted, AWSCURRENT as it was, and
    the unused AWSPENDING removed (the portal does not run it)."""
    portal = workflow.emulator.portal("swapped113")
    arn = workflow.secret_for("swapped113")
    before = workflow.secret_json(arn)
    hold = workflow.emulator.faults.add(Fault(action="restart_forever", context="swapped113"))
    swapped = "x" * 4 + "Y" * 28  # a 32-byte key nobody stored

    ended = threading.Event()

    def swap_then_release() -> None:  # the restart is held until the key is swapped
        restarted = lambda p: p.restart_count == 1 or ended.is_set()  # noqa: E731
        if portal.wait_until(restarted, timeout=HANG_GUARD) and not ended.is_set():
            portal.set_shared_key(swapped)
        workflow.emulator.faults.remove(hold)

    helper = threading.Thread(target=swap_then_release, daemon=True)
    helper.start()
    try:
        result = workflow.rotate(arn)
    finally:
        ended.set()
        helper.join(HANG_GUARD)
        workflow.emulator.faults.remove(hold)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "VerificationFailed", report
    assert portal.shared_key == swapped
    assert workflow.secret_json(arn) == before
    labelled = [sorted(s) for s in workflow.stages(arn).values() if s]
    assert labelled == [["AWSCURRENT"]]
    assert "does not run the key in AWSPENDING" in " ".join(report["error"]["notes"])


def test_a_pending_key_the_portal_already_runs_is_kept_on_failure(workflow: Workflow) -> None:
    """The portal restarted with the new key, but its health check never says so: the run
    fails at the bound, and RecordFailure keeps the AWSPENDING the portal runs."""
    portal = workflow.emulator.portal("keepown113")
    arn = workflow.secret_for("keepown113")
    workflow.emulator.faults.add(
        Fault(action="http", status=503, context="keepown113", path="portaladmin/healthCheck")
    )

    result = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 6})

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalRestartTimeout", report
    assert portal.wait_until(lambda p: p.restart_count == 1 and p.phase == "up", HANG_GUARD)
    pending = [v for v, s in workflow.stages(arn).items() if "AWSPENDING" in s]
    assert len(pending) == 1
    pending_key = workflow.secret_json(arn, stage="AWSPENDING")["sharedKey"]
    assert pending_key == portal.shared_key  # the key the portal runs is not lost
    assert portal.shared_key in workflow.key_versions(arn)


@pytest.mark.parametrize("context", ["clean113", "clean114"])
def test_no_token_or_key_is_left_in_the_work_store(workflow: Workflow, context: str) -> None:
    """FAULTS row 37: neither after a verified run nor after a failed one."""
    arn = workflow.secret_for(context)
    verified = workflow.rotate(arn)
    assert portal_result(verified, arn)["status"] == "verified"
    workflow.emulator.faults.add(Fault(action="restart_forever", context=context, times=1))
    failed = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 4})
    workflow.emulator.faults.clear()
    assert portal_result(failed, arn)["status"] == "failed"

    for result in (verified, failed):
        assert workflow.scratch(run_id(result)) == []


# --- the leak search sees a user store password ---------------------------------------


def test_a_portal_with_an_ldap_user_store_is_changed_and_keeps_its_store(
    workflow: Workflow,
) -> None:
    """The LDAP bind password travels in every config read and post: the change keeps the
    store as it was, and the leak check (after every test) finds the password nowhere."""
    portal = workflow.emulator.portal("ldap113")
    arn = workflow.secret_for("ldap113")

    result = workflow.apply({"disableServicesDirectory": True}, arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", json.dumps(report)
    assert portal.security_config["userStoreConfig"]["properties"]["userPassword"] == LDAP_PASSWORD


def test_a_rollback_error_echoing_the_ldap_password_and_trust_key_leaks_neither(
    workflow: Workflow,
) -> None:
    """The change does not read back, so the snapshot is posted back, and the portal's
    error echoes what was posted: the LDAP password and the trust key. Neither reaches
    the history, the logs or the notification (the leak check after the test)."""
    portal = workflow.emulator.portal("ldapecho")
    trust = portal.security_config["webgisServerTrustKey"]
    arn = workflow.secret_for("ldapecho")

    workflow.emulator.faults.add(  # the change goes through; the rollback's post fails
        Fault(
            action="error",
            code=500,
            message=f"Could not apply userPassword={LDAP_PASSWORD} trust={trust}.",
            context="ldapecho",
            path="portaladmin/security/config/update",
            after=1,
        )
    )
    result = workflow.apply({"disableServicesDirectory": True}, arn)

    report = portal_result(result, arn)
    assert report["status"] == "failed", report
    assert report["error"]["name"] == "PortalRequestRejected"
    assert "****" in report["error"]["message"]


def test_a_deploy_during_a_restart_leaves_the_run_on_the_versions_it_started_with(
    workflow: Workflow,
) -> None:
    """FAULTS row 41: while a portal restarts, a ``sam deploy`` publishes functions whose
    configuration fails every cold start (and a state machine version calling them).
    The run in flight finishes on the versions it started with: verified, the key the
    portal runs in AWSCURRENT. A run started after the deploy gets the new versions:
    it fails at preflight and leaves its portal untouched."""
    portal, other = workflow.emulator.portal("deploy113"), workflow.emulator.portal("rot113")
    arn, later = workflow.secret_for("deploy113"), workflow.secret_for("rot113")
    updates, other_updates = portal.update_count, other.update_count
    payload = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": arn}],
        # the restart is held while the deploy runs: up to the deployment's maximum
        "timing": {**TIMING, "maxRestartSeconds": 120},
    }
    hold = workflow.emulator.faults.add(Fault(action="restart_forever", context="deploy113"))
    try:
        execution = workflow.start(payload)
        assert portal.wait_until(lambda p: p.update_count > updates, timeout=HANG_GUARD)
        assert portal.update_count == updates + 1
        broken = {"PORTAL_AUTOMATION_READ_TIMEOUT_SECONDS": "not-a-number"}
        outputs = ("PreflightFunctionArn", "PollHealthFunctionArn", "VerifyFunctionArn")
        redeploy = {output: broken for output in (*outputs, "FinalizeFunctionArn")}
        with workflow.aws.redeployed(redeploy):
            assert portal.phase != "up"  # deployed mid-restart: Verify and Finalize to run
            workflow.emulator.faults.remove(hold)
            result = workflow.aws.follow(execution, timeout_seconds=HANG_GUARD)
            after = workflow.rotate(later)
    finally:
        workflow.emulator.faults.remove(hold)

    assert result.status == "SUCCEEDED", (result.error, result.states)
    assert portal_result(result, arn)["status"] == "verified"
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    assert after.status == "FAILED"
    assert portal_result(after, later)["status"] == "failed"
    assert other.update_count == other_updates
    assert "sharedKey" not in workflow.secret_json(later)
