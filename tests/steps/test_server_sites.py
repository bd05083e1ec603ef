"""ArcGIS Server sites as targets (issue 22): the same steps, the server kind's choices
(domain/kinds.py), and the guarantees of a portal rotation, on the fakes."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.domain.server_key import KEY_LENGTH, validate_server_key
from portal_automation.errors import (
    InvalidCredentialsSecret,
    InvalidExecutionInput,
    InvalidSharedKey,
    MachinePinMismatch,
    MachineUnreachable,
    PortalRequestRejected,
    TokenLifetimeTooShort,
    UnsupportedPortalVersion,
    UnsupportedTokenManager,
)
from portal_automation.sensitive import Secret
from portal_automation.workflow.change import PROBE_TOKEN, apply_change
from portal_automation.workflow.failure import record_failure
from portal_automation.workflow.finalize import finalize, summary
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.results import last_outcome
from portal_automation.workflow.services import work_prefix
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.summary import summarize
from portal_automation.workflow.verify import verify

from tests.fakes.server import FakeServer
from tests.fakes.services import FakeWorld

from .conftest import item

SITE_MACHINES = ("https://m1.example.com:6443/arcgis", "https://m2.example.com:6443/arcgis")


def step(world: FakeWorld, parts: dict[str, Any], name: str, run: Any) -> dict[str, Any]:
    result = run(PortalState.model_validate(parts), world.services)
    return {**parts, name: result.model_dump(by_alias=True, exclude_none=True)}


def planned(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    return step(world, {"item": item(arn, **entry)}, "preflight", preflight)


def changed(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    return step(world, planned(world, arn, **entry), "change", apply_change)


def failed(world: FakeWorld, parts: dict[str, Any], error: str) -> dict[str, Any]:
    caught = {"Error": error, "Cause": "{}"}
    return record_failure(PortalState.model_validate({**parts, "error": caught}), world.services)


def multi_machine_site(
    world: FakeWorld, *, pins: tuple[str, ...] | None = SITE_MACHINES, reachable: bool = True
) -> tuple[FakeServer, FakeServer, str]:
    site, arn = world.server("multi", secret_extra={"machines": list(pins)} if pins else None)
    first = site
    world.portals.by_url[SITE_MACHINES[0]] = first
    second = site.another_machine(SITE_MACHINES[1])
    if reachable:
        world.portals.add(second)
    first.machines = [
        type(first.machines[0])("SERVER-1.MULTI.EXAMPLE.COM", f"{SITE_MACHINES[0]}/admin", ""),
        type(first.machines[0])("SERVER-2.MULTI.EXAMPLE.COM", f"{SITE_MACHINES[1]}/admin", ""),
    ]
    second.machines = first.machines
    return first, second, arn


# --- Preflight --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["10.9.1", "11.3", "11.5", "12.0"])
def test_a_site_is_planned_with_the_server_regime_and_no_portal_steps(
    world: FakeWorld, version: str
) -> None:
    site, arn = world.server(version=version)

    parts = planned(world, arn)

    pre = parts["preflight"]
    assert (pre["kind"], pre["keyMode"], pre["outcome"]) == ("server", "server", "planned")
    assert pre["version"] == version
    assert pre["postChange"] == []  # no federation validation, no licenses on a site
    assert site.calls == ["generate_token", "info", "machines", "read_shared_key"]
    assert site.updates == 0


def test_a_site_older_than_supported_is_refused(world: FakeWorld) -> None:
    site, arn = world.server(version="10.8.1")

    with pytest.raises(UnsupportedPortalVersion, match=r"ArcGIS Server site 10\.8\.1"):
        planned(world, arn)

    assert site.updates == 0


def test_apply_security_config_on_a_site_is_refused_naming_the_secret(world: FakeWorld) -> None:
    site, arn = world.server()

    with pytest.raises(InvalidExecutionInput) as raised:
        planned(world, arn, action="apply-security-config", security_config={"a": 1})

    assert arn in raised.value.message
    assert "ArcGIS Server site" in raised.value.message
    assert site.calls == []  # refused before the site is contacted


def test_a_token_manager_other_than_builtin_is_refused_at_preflight(world: FakeWorld) -> None:
    site, arn = world.server(token_manager_type="EXTERNAL")

    with pytest.raises(UnsupportedTokenManager, match="EXTERNAL"):
        planned(world, arn)

    assert site.count("update_shared_key") == 0
    assert world.secrets.pending_version_id(arn) is None


def test_a_secret_with_an_unknown_kind_is_refused_by_field(world: FakeWorld) -> None:
    site, arn = world.server(secret_extra={"kind": "notebook"})

    with pytest.raises(InvalidCredentialsSecret) as raised:
        planned(world, arn)

    assert raised.value.field == "kind"
    assert site.calls == []


# --- the change, the proof, the promotion -------------------------------------------------


def test_a_site_key_is_pending_before_the_site_sees_it_and_verified_at_once(
    world: FakeWorld,
) -> None:
    site, arn = world.server()
    old = site.stored_key

    parts = changed(world, arn)

    pending = world.secrets.value(arn, "AWSPENDING")["sharedKey"]
    assert len(pending) == KEY_LENGTH
    validate_server_key(Secret(pending))
    assert site.stored_key == site.running_key == pending != old  # no restart
    assert parts["change"]["recheckSeconds"] == 0
    prefix = work_prefix(parts["item"]["runId"], arn)
    assert world.work.get_secret(prefix + PROBE_TOKEN) is not None

    parts = step(world, parts, "verify", verify)
    assert parts["verify"]["outcome"] == "verified"
    assert parts["verify"]["checks"]["oldTokenRejected"] is True
    assert parts["verify"]["checks"]["keyMatchesSecret"] is True

    report = finalize(PortalState.model_validate(parts), world.services)
    assert (report["kind"], report["status"], report["keyMode"]) == ("server", "verified", "server")
    assert world.secrets.value(arn)["sharedKey"] == pending
    assert world.secrets.value(arn)["kind"] == "server"  # the secret's fields kept
    assert any("ArcGIS Server site" in note for note in report["notes"])
    assert world.work.get_secret(prefix + PROBE_TOKEN) is None
    assert world.ledger.last_outcomes([arn])[arn]["kind"] == "server"


def test_a_site_that_restarts_is_verified_only_once_it_runs_the_new_key(
    world: FakeWorld,
) -> None:
    site, arn = world.server(restarts=True)
    parts = changed(world, arn)
    assert site.running_key != site.stored_key  # the old process still answers

    early = verify(PortalState.model_validate(parts), world.services)
    assert early.outcome == "restart-pending"
    assert early.checks == {"oldTokenRejected": False}
    site.restart()
    late = verify(PortalState.model_validate(parts), world.services)
    assert late.outcome == "verified"


def test_a_key_the_site_refuses_leaves_nothing_pending(world: FakeWorld) -> None:
    site, arn = world.server(refuse_keys=True)
    before = site.stored_key
    parts = planned(world, arn)

    with pytest.raises(PortalRequestRejected) as raised:
        apply_change(PortalState.model_validate(parts), world.services)
    assert raised.value.code == 500

    report = failed(world, parts, "PortalRequestRejected")
    assert site.stored_key == before
    assert world.secrets.pending_version_id(arn) is None  # removed: the site kept its key
    assert any("AWSPENDING version was removed" in note for note in report["error"]["notes"])
    assert report["kind"] == "server"
    assert world.ledger.holder(arn) is None


def test_a_site_whose_tokens_die_before_the_wait_is_over_is_not_changed(
    world: FakeWorld,
) -> None:
    """A probe that expired is refused whatever key runs: it must outlive the wait."""
    site, arn = world.server(long_timeout_minutes=10)
    parts = planned(world, arn, maxRestartSeconds=900)

    with pytest.raises(TokenLifetimeTooShort, match="10 min where 30 were asked"):
        apply_change(PortalState.model_validate(parts), world.services)

    assert site.count("update_shared_key") == 0
    prefix = work_prefix(parts["item"]["runId"], arn)
    assert world.work.get_secret(prefix + PROBE_TOKEN) is None
    report = failed(world, parts, "TokenLifetimeTooShort")
    assert world.secrets.pending_version_id(arn) is None
    assert report["error"]["stage"] == "change"


def test_a_probe_that_outlives_the_wait_is_kept(world: FakeWorld) -> None:
    site, arn = world.server(long_timeout_minutes=10)

    parts = changed(world, arn, maxRestartSeconds=60)  # 2 min of bound and slack

    assert parts["change"]["outcome"] == "accepted"
    assert site.token_minutes[-1] == 10  # asked 16, the site gave 10: enough


def test_a_bad_server_key_is_never_sent(world: FakeWorld) -> None:
    site, arn = world.server()
    parts = planned(world, arn)
    world.secrets.put_pending(
        arn,
        parts["item"]["versionId"],
        world.secrets.read(arn).credentials.with_shared_key(Secret("not-a-server-key")),
    )

    with pytest.raises(InvalidSharedKey):
        apply_change(PortalState.model_validate(parts), world.services)

    assert site.count("update_shared_key") == 0


def test_a_failure_before_preflight_still_says_the_kind(world: FakeWorld) -> None:
    site, arn = world.server()
    site.fail("info", UnsupportedPortalVersion("unrecognised portal version 'x'"))
    parts: dict[str, Any] = {"item": item(arn)}

    report = failed(world, parts, "UnsupportedPortalVersion")

    assert report["kind"] == "server"
    assert report["error"]["stage"] == "preflight"


# --- machines ---------------------------------------------------------------------------


def test_each_pinned_machine_of_a_site_is_checked_at_its_base_url(world: FakeWorld) -> None:
    first, second, arn = multi_machine_site(world)

    parts = planned(world, arn)

    pre = parts["preflight"]
    assert [m["name"] for m in pre["machines"]] == [
        "SERVER-1.MULTI.EXAMPLE.COM",
        "SERVER-2.MULTI.EXAMPLE.COM",
    ]
    assert pre["machinesChecked"] is True
    assert second.calls == ["info"]  # with the site URL's token, at its base URL
    assert world.portals.password_sent_to == [first.url]


def test_a_multi_machine_site_is_verified_on_every_machine(world: FakeWorld) -> None:
    first, _second, arn = multi_machine_site(world)
    parts = changed(world, arn)

    result = verify(PortalState.model_validate(parts), world.services)

    assert result.outcome == "verified"
    assert set(result.machines) == {"SERVER-1.MULTI.EXAMPLE.COM", "SERVER-2.MULTI.EXAMPLE.COM"}
    assert all(checks["oldTokenRejected"] for checks in result.machines.values())
    assert set(world.portals.password_sent_to) == {first.url}


def test_a_site_machine_that_is_not_pinned_is_refused(world: FakeWorld) -> None:
    _first, second, arn = multi_machine_site(world, pins=(SITE_MACHINES[0],))

    with pytest.raises(MachinePinMismatch, match="SERVER-2") as raised:
        planned(world, arn)

    assert "https://<machine>:6443/arcgis" in raised.value.message
    assert second.calls == []


def test_an_unreachable_site_machine_is_refused_naming_its_port(world: FakeWorld) -> None:
    _first, _second, arn = multi_machine_site(world, reachable=False)

    with pytest.raises(MachineUnreachable, match="port 6443"):
        planned(world, arn)

    assert world.secrets.pending_version_id(arn) is None


def test_pins_name_a_site_machines_base_url_not_its_admin_url(world: FakeWorld) -> None:
    admin_urls = tuple(f"{url}/admin" for url in SITE_MACHINES)
    _first, _second, arn = multi_machine_site(world, pins=admin_urls)

    with pytest.raises(MachinePinMismatch):
        planned(world, arn)


# --- the run's report ---------------------------------------------------------------------


def test_a_mixed_fleet_reports_each_kind_and_notes_each_kinds_invalidation(
    world: FakeWorld,
) -> None:
    portal, portal_arn = world.portal()
    site, site_arn = world.server()
    reports, items = [], []
    for arn, target in ((portal_arn, portal), (site_arn, site)):
        parts = changed(world, arn)
        target.restart()
        parts = step(world, parts, "verify", verify)
        reports.append(finalize(PortalState.model_validate(parts), world.services))
        items.append(parts["item"])
    assert [r["kind"] for r in reports] == ["portal", "server"]
    world.ledger.put_run("run-1", {"action": "rotate-shared-key", "manifest": "m.json"})
    world.work.put_json("m.json", items)

    run = summarize("run-1", world.ledger, world.work)

    notes = run["notes"]
    assert len(notes) == 2
    assert "portals" in notes[0]
    assert "ArcGIS Server site" in notes[1]
    assert {p["kind"] for p in run["portals"]} == {"portal", "server"}


def test_the_last_outcome_keeps_the_kind_an_earlier_run_knew() -> None:
    report = {"action": "rotate-shared-key", "status": "failed"}
    state = PortalState.model_validate({"item": item("arn:aws:secretsmanager:x")})
    outcome = last_outcome(report, {"kind": "server"}, state)
    assert outcome["kind"] == "server"


def test_a_dry_run_of_a_site_changes_nothing(world: FakeWorld) -> None:
    site, arn = world.server()

    parts = planned(world, arn, dry_run=True)
    report = summary(PortalState.model_validate(parts), "dry-run")

    assert parts["preflight"]["outcome"] == "dry-run"
    assert report["kind"] == "server"
    assert any("would invalidate" in note for note in report["notes"])
    assert site.updates == 0
