"""What real portals do that a naive stand-in would not (PORTAL_API.md 6, 7, 7a-7c; FAULTS
rows 29-34), through the real entry point against the emulator modelling each."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from portal_local.emulator import Fault, PortalEmulator

from .conftest import TIMING, Workflow, histories, managed, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def _entered(result: Any, state: str, workflow: Workflow) -> list[float]:
    """Epoch seconds at which the execution entered ``state``."""
    return [
        e["timestamp"].timestamp()
        for e in histories(workflow, result)
        if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] == state
    ]


def hold_each_restart_until_seen(
    emulator: PortalEmulator, context: str, ended: threading.Event
) -> list[threading.Thread]:
    """Hold each machine's restart down until a health check sent to that machine
    directly has seen it down: the wait is sure to see every restart, however late its
    first poll comes (a restart of one second is over before a slow Lambda polls). The
    hold ends with the sighting or with the run (``ended``), never on a clock: a loaded
    machine may take minutes to reach the standby's restart."""
    threads = []
    for machine in emulator.portal(context).machines:
        hold = emulator.faults.add(
            Fault(action="restart_forever", context=context, machine=machine.name)
        )

        def release(hold: Fault = hold, name: str = machine.name) -> None:
            deadline = time.monotonic() + HANG_GUARD_SECONDS
            while (
                not ended.is_set()
                and time.monotonic() < deadline
                and not [
                    r
                    for r in emulator.requests_for(context, machine=name)
                    if r.direct and r.path.endswith("healthCheck") and r.status not in (200, None)
                ]
            ):
                time.sleep(0.1)
            emulator.faults.remove(hold)

        thread = threading.Thread(target=release, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


HANG_GUARD_SECONDS = 900.0
"""Only against a hang: the run itself ends the hold."""


# --- row 29: booleans as strings -------------------------------------------------------


def test_a_portal_answering_booleans_as_strings_is_applied_then_unchanged(
    workflow: Workflow,
) -> None:
    """Apply, re-apply and drift against a portal whose GET answers "true"/"false": the
    re-apply is no change (no update, no restart), the drift check finds none."""
    portal = workflow.emulator.portal("cfgstr")
    assert portal.security_config_answer["disableServicesDirectory"] == "false"
    arn = workflow.secret_for("cfgstr")
    desired = {"disableServicesDirectory": True, "enableAutomaticAccountCreation": False}

    applied = workflow.apply(desired, arn)
    again = workflow.apply(desired, arn)
    drift = workflow.apply(desired, arn, dryRun=True)

    assert portal_result(applied, arn)["status"] == "verified"
    assert portal.security_config_answer["disableServicesDirectory"] == "true"
    assert (portal_result(again, arn)["status"], portal_result(again, arn)["changes"]) == (
        "no-change",
        [],
    )
    assert (portal_result(drift, arn)["status"], portal_result(drift, arn)["changes"]) == (
        "no-change",
        [],
    )
    assert (portal.update_count, portal.restart_count) == (1, 1)


# --- 10.8+: the user default settings --------------------------------------------------


def test_from_10_8_role_and_user_type_go_to_the_user_default_settings(workflow: Workflow) -> None:
    """Dry run reports them, apply posts them to setUserDefaultSettings (no restart:
    they take effect at once) and verifies the read-back."""
    portal = workflow.emulator.portal("ud108only")
    arn = workflow.secret_for("ud108only")
    desired = {"defaultRoleForUser": "account_publisher", "defaultUserTypeIdForUser": "creatorUT"}

    dry = workflow.apply(desired, arn, dryRun=True)
    applied = workflow.apply(desired, arn)

    assert {c["name"] for c in portal_result(dry, arn)["changes"]} == {"defaultRoleForUser"}
    report = portal_result(applied, arn)
    assert report["status"] == "verified", report
    assert portal.user_default_settings["role"] == "account_publisher"
    assert portal.user_defaults_update_count == 1
    assert (portal.update_count, portal.restart_count) == (0, 0)
    assert workflow.emulator.requests_for("ud108only")  # and nothing through config/update
    assert not any(
        r.path.endswith("security/config/update")
        for r in workflow.emulator.requests_for("ud108only")
    )


def test_from_10_8_a_failed_change_rolls_back_both_documents(workflow: Workflow) -> None:
    """The portal ignores disableServicesDirectory: the read-back differs, and the
    rollback restores the security config and the user default settings."""
    portal = workflow.emulator.portal("ud108")
    before = managed(portal)
    arn = workflow.secret_for("ud108")
    desired = {"disableServicesDirectory": True, "defaultRoleForUser": "account_publisher"}

    result = workflow.apply(desired, arn)

    report = portal_result(result, arn)
    assert report["status"] == "rolled-back", report
    assert report["mismatched"] == ["disableServicesDirectory"]
    assert managed(portal) == before
    assert portal.user_defaults_update_count == 2  # the change, then the rollback


def test_automatic_account_creation_without_a_user_type_is_refused_before_any_update(
    workflow: Workflow,
) -> None:
    """FAULTS row 33: the portal would answer 500; no update request is sent."""
    portal = workflow.emulator.portal("autoacct")
    arn = workflow.secret_for("autoacct")

    result = workflow.apply({"enableAutomaticAccountCreation": True}, arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "InvalidSecurityConfig"
    assert "default user type" in report["error"]["message"]
    assert portal.update_count == 0
    assert not any(r.path.endswith("/update") for r in workflow.emulator.requests_for("autoacct"))


def test_a_config_update_answered_without_recheck_after_seconds(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("norecheck")
    arn = workflow.secret_for("norecheck")

    result = workflow.apply({"allowedProxyHosts": "a.example.com"}, arn)

    assert portal_result(result, arn)["status"] == "verified"
    assert portal.security_config["allowedProxyHosts"] == "a.example.com"


# --- row 30: the token service warms up after the restart -------------------------------


def test_a_token_service_that_warms_up_for_12_seconds_still_verifies(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("warm113")
    arn = workflow.secret_for("warm113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    refused = [
        r
        for r in workflow.emulator.requests_for("warm113")
        if r.path.endswith("generateToken") and r.status == 503
    ]
    assert refused, "the warm-up was never seen"
    assert (portal.update_count, portal.restart_count) == (1, 1)


# --- 10.7 and Kubernetes -----------------------------------------------------------------


def test_a_10_7_rotation_populates_the_licenses_again(workflow: Workflow) -> None:
    """FAULTS rows 10, 34."""
    portal = workflow.emulator.portal("lic107")
    arn = workflow.secret_for("lic107")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert report["verification"]["licensesPopulated"] == "populated"
    assert portal.populate_license_count == 1
    assert portal.licenses_need_populate is False
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key


def test_arcgis_enterprise_on_kubernetes_is_refused_clearly(workflow: Workflow) -> None:
    arn = workflow.secret_for("k8s")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "UnsupportedPortalVersion"
    assert "Kubernetes" in report["error"]["message"]


# --- rows 31, 32: highly available portals ---------------------------------------------


@pytest.mark.parametrize("context", ["ha113", "ha114"])
def test_ha_rotation_is_verified_only_after_the_standby_is_back(
    workflow: Workflow, context: str
) -> None:
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context, machines=workflow.emulator.machine_urls(context))
    ended = threading.Event()
    held = hold_each_restart_until_seen(workflow.emulator, context, ended)
    try:
        result = workflow.rotate(arn)
    finally:
        ended.set()
        for thread in held:
            thread.join(5.0)
    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    primary, standby = portal.machines
    assert (primary.restart_count, standby.restart_count) == (1, 1)
    assert standby.came_up_at is not None
    assert max(_entered(result, "Finalize", workflow)) >= standby.came_up_at
    names = [m["name"] for m in report["machines"]]
    assert names == [primary.name, standby.name]
    for machine in report["machines"]:
        assert machine["verification"]["oldTokenRejected"] is True
    # A machine's restart time is reported when the wait saw it down. On a loaded machine
    # Verify's own health check can be the first to see a restart (it answers "pending"
    # and the wait resumes after it): then that machine's time is not known, and not made
    # up. Seen with two busy loops beside make test; README Known limits.
    timed = [m["restartSeconds"] for m in report["machines"] if "restartSeconds" in m]
    assert timed, report["machines"]
    assert all(seconds > 0 for seconds in timed)
    assert workflow.secret_json(arn)["sharedKey"] == primary.shared_key == standby.shared_key
    direct = [r for r in workflow.emulator.requests_for(context) if r.direct]
    assert {r.machine for r in direct} == {primary.name, standby.name}, "not checked directly"
    # FAULTS row 43: the password went to the portal's URL only; the machines saw tokens.
    assert not [r for r in direct if "password" in r.body_keys or "generateToken" in r.path]


def test_ha_config_change_is_verified_only_after_the_standby_restarted(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("hacfg")
    arn = workflow.secret_for("hacfg", machines=workflow.emulator.machine_urls("hacfg"))

    result = workflow.apply({"disableServicesDirectory": True}, arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    _, standby = portal.machines
    assert standby.restart_count == 1
    assert standby.came_up_at is not None
    assert max(_entered(result, "Finalize", workflow)) >= standby.came_up_at
    assert standby.running_security_config["disableServicesDirectory"] is True


def test_ha_portal_with_an_unreachable_machine_is_refused_with_nothing_sent(
    workflow: Workflow,
) -> None:
    portal = workflow.emulator.portal("haunreach")
    arn = workflow.secret_for("haunreach", machines=workflow.emulator.machine_urls("haunreach"))

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "MachineUnreachable"
    assert portal.machines[1].name in report["error"]["message"]
    assert "pins" in report["error"]["message"]
    assert portal.update_count == 0
    assert not any(r.path.endswith("/update") for r in workflow.emulator.requests_for("haunreach"))
    assert all("AWSPENDING" not in s for s in workflow.stages(arn).values())


def test_ha_opt_out_verifies_through_the_portal_url_and_says_so(workflow: Workflow) -> None:
    portal = workflow.emulator.portal("haoptout")
    arn = workflow.secret_for("haoptout", checkMachines=False)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert report["machinesChecked"] is False
    assert any("not checked" in note for note in report["notes"])
    assert not any(r.direct for r in workflow.emulator.requests_for("haoptout"))
    assert workflow.secret_json(arn)["sharedKey"] == portal.machines[0].shared_key


def test_a_single_machine_portal_never_sees_its_internal_admin_url_called(
    workflow: Workflow,
) -> None:
    arn = workflow.secret_for("trap113")

    result = workflow.rotate(arn)

    assert portal_result(result, arn)["status"] == "verified"
    assert "machines" not in portal_result(result, arn)
    assert not any(r.direct for r in workflow.emulator.requests_for("trap113"))


# --- 11.4+: a generated key the portal never came back with ----------------------------


def test_a_generated_key_lost_to_a_restart_timeout_is_read_back_by_the_next_rotation(
    workflow: Workflow,
) -> None:
    """The portal generated a key and did not come back within the bound: no secret
    version holds it, and the report says so. Once the portal is back, the next rotation
    verifies (it needs no old key), and the secret matches the portal again."""
    portal = workflow.emulator.portal("gen114lost")
    arn = workflow.secret_for("gen114lost")
    hold = workflow.emulator.faults.add(Fault(action="restart_forever", context="gen114lost"))
    try:
        failed = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 4})
    finally:
        workflow.emulator.faults.remove(hold)
    report = portal_result(failed, arn)
    assert report["error"]["name"] == "PortalRestartTimeout"
    assert any("no secret version holds" in n for n in report["error"]["notes"])
    assert "sharedKey" not in workflow.secret_json(arn)
    assert portal.wait_until_up(10.0)

    retried = workflow.rotate(arn)

    assert portal_result(retried, arn)["status"] == "verified"
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
