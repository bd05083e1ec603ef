"""Security configuration end to end: plan, dry run, no-op, apply, verify, rollback."""

from __future__ import annotations

import pytest
from portal_local.emulator import Fault

from .conftest import Workflow, managed, portal_result, run_id

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

DESIRED = {
    "allowedProxyHosts": "(.*).example.com,maps.example.org",
    "disableServicesDirectory": True,
    "allowInternetCORSAccess": False,
    "defaultRoleForUser": "account_user",
    "defaultUserTypeIdForUser": "creatorUT",
}


@pytest.mark.parametrize("context", ["cfg113", "cfg114"])
def test_apply_merges_verifies_and_keeps_what_it_does_not_manage(
    workflow: Workflow, context: str
) -> None:
    portal = workflow.emulator.portal(context)
    before = managed(portal)
    arn = workflow.secret_for(context)

    result = workflow.apply(DESIRED, arn)

    report = portal_result(result, arn)
    assert result.status == "SUCCEEDED", report
    assert report["status"] == "verified"
    assert report["verification"]["readBackMatches"] is True
    after = managed(portal)
    for name, value in DESIRED.items():
        assert after[name] == value
    for name in ("webgisServerTrustKey", "userStoreConfig", "groupStoreConfig"):
        assert after[name] == before[name], name  # FAULTS row 19: merge preserves it
    assert {c["name"] for c in report["changes"]} == {
        n for n, v in DESIRED.items() if before.get(n) != v
    }
    assert portal.update_count == 1


def test_dry_run_reports_the_plan_and_changes_nothing(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("cfgdry")
    arn = workflow.secret_for("cfgdry")

    result = workflow.apply(DESIRED, arn, dryRun=True)

    report = portal_result(result, arn)
    assert result.status == "SUCCEEDED"
    assert report["status"] == "dry-run"
    assert {c["name"] for c in report["changes"]} >= {"disableServicesDirectory"}
    assert portal.update_count == 0
    assert portal.restart_count == 0


def test_desired_equals_current_is_no_change(workflow: Workflow) -> None:
    """FAULTS row 20: no update, no restart; reported as no change."""
    portal = workflow.emulator.portal("cfgnoop")
    current = portal.security_config
    desired = {k: current[k] for k in ("disableServicesDirectory", "allowedProxyHosts")}
    arn = workflow.secret_for("cfgnoop")

    result = workflow.apply(desired, arn)

    report = portal_result(result, arn)
    assert report["status"] == "no-change"
    assert report["changes"] == []
    assert portal.update_count == 0
    assert portal.restart_count == 0


def test_read_back_mismatch_is_rolled_back(workflow: Workflow) -> None:
    """FAULTS row 21: the portal ignores a property: the read-back differs, the snapshot
    taken before the change is posted back, and the run reports the rollback."""
    portal = workflow.emulator.portal("cfgrollback")
    before = portal.security_config
    arn = workflow.secret_for("cfgrollback")

    result = workflow.apply(
        {"disableServicesDirectory": True, "allowedProxyHosts": "a.example.com"}, arn
    )

    report = portal_result(result, arn)
    assert result.status == "FAILED"
    assert report["status"] == "rolled-back", (report, result.states)
    assert report.get("mismatched") == ["disableServicesDirectory"], report
    assert portal.security_config == before
    assert portal.update_count == 2  # the change, then the rollback


def test_a_rollback_that_does_not_read_back_is_rollback_failed(workflow: Workflow) -> None:
    """FAULTS row 21, its last half: the read-back differs, the snapshot is posted back,
    and the portal accepts it without restoring anything. The run fails RollbackFailed
    and keeps the snapshot in the work bucket for the runbook's restore by hand."""
    portal = workflow.emulator.portal("cfgnorestore")
    arn = workflow.secret_for("cfgnorestore")
    updates = portal.update_count
    workflow.emulator.faults.add(
        Fault(
            action="swallow",
            context="cfgnorestore",
            path="portaladmin/security/config/update",
            after=1,  # the change lands; the rollback is answered "success" and dropped
        )
    )

    result = workflow.apply(
        {"disableServicesDirectory": True, "allowedProxyHosts": "b.example.com"}, arn
    )

    report = portal_result(result, arn)
    assert report["error"]["name"] == "RollbackFailed", report
    assert portal.security_config["allowedProxyHosts"] == "b.example.com"  # not restored
    assert portal.update_count == updates + 1  # the rollback's post changed nothing
    requests = [r for r in workflow.emulator.request_log if r.context == "cfgnorestore"]
    assert sum(r.path.endswith("security/config/update") for r in requests) == 2
    assert workflow.scratch(run_id(result)) == ["config-snapshot.json"]


def test_config_change_whose_portal_never_returns_is_reported(workflow: Workflow) -> None:
    emulator = workflow.emulator
    emulator.faults.add(Fault(action="restart_forever", context="cfgforever"))
    arn = workflow.secret_for("cfgforever")
    try:
        result = workflow.apply(
            {"disableServicesDirectory": True},
            arn,
            timing={
                "recheckSeconds": 0,
                "pollIntervalSeconds": 1,
                "pollWindowSeconds": 3,
                "healthPollSeconds": 0.2,
                "maxRestartSeconds": 3,
            },
        )
    finally:
        emulator.faults.clear()
        assert emulator.portal("cfgforever").wait_until_up(timeout=10)
    report = portal_result(result, arn)
    assert report["status"] == "failed"
    assert report["error"]["name"] in {"PortalUnavailable", "PortalRestartTimeout"}
    assert any("snapshot" in note for note in report["error"]["notes"])
    # FAULTS row 37: the snapshot the operator restores from is all the run leaves.
    assert workflow.scratch(run_id(result)) == ["config-snapshot.json"]


def test_config_change_whose_portal_stays_unhealthy_is_rolled_back(workflow: Workflow) -> None:
    """FAULTS row 21, the unhealthy half: after the change the health check keeps failing
    past the bound while the admin API still answers: the snapshot is posted back, its
    restart is waited out and the rollback is verified."""
    workflow.emulator.faults.add(
        Fault(
            action="http",
            status=503,
            context="cfgunhealthy",
            path="portaladmin/healthCheck",
            times=30,
        )
    )
    portal = workflow.emulator.portal("cfgunhealthy")
    before = portal.security_config
    arn = workflow.secret_for("cfgunhealthy")

    result = workflow.apply(
        {"disableServicesDirectory": True},
        arn,
        timing={
            "recheckSeconds": 0,
            "pollIntervalSeconds": 1,
            "pollWindowSeconds": 10,
            "healthPollSeconds": 0.2,
            "maxRestartSeconds": 5,
            "settleSeconds": 3,
        },
    )

    report = portal_result(result, arn)
    assert "RollbackConfig" in result.states, result.states
    assert report["status"] == "rolled-back", report
    assert portal.security_config == before
    assert portal.update_count == 2
