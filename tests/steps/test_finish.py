"""Finalize promotes only what was verified; RecordFailure settles AWSPENDING truthfully;
RollbackConfig posts the snapshot; Summarize counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_automation.errors import PortalRequestRejected, PortalUnavailable, RollbackFailed
from portal_automation.workflow.change import CONFIG_SNAPSHOT, apply_change
from portal_automation.workflow.failure import describe_error, record_failure
from portal_automation.workflow.finalize import finalize
from portal_automation.workflow.rollback import rollback_config
from portal_automation.workflow.services import work_prefix
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.summary import summarize

from tests.fakes.portal import FakePortal
from tests.fakes.services import FakeWorld

from .conftest import change_part, item, preflight_part, state

VERIFIED = {"outcome": "verified", "verifiedAt": 1.0, "checks": {"health": "ok"}}


def changed_rotation(world: FakeWorld) -> tuple[FakePortal, str, dict[str, Any]]:
    portal, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    parts: dict[str, Any] = {"item": item(arn), "preflight": preflight_part()}
    change = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = change.model_dump(by_alias=True, exclude_none=True)
    return portal, arn, parts


def test_finalize_promotes_the_verified_key_cleans_up_and_unlocks(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.restart()
    version = parts["item"]["versionId"]

    report = finalize(PortalState.model_validate({**parts, "verify": VERIFIED}), world.services)

    assert report["status"] == "verified"
    assert report["secretVersionId"] == version
    assert world.secrets.stages(arn)[version] == ["AWSCURRENT"]
    assert world.secrets.value(arn)["sharedKey"] == portal.running_key
    assert world.work.keys("runs/run-1/") == []
    assert world.ledger.holder(arn) is None


def test_finalize_is_idempotent(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.restart()
    done = PortalState.model_validate({**parts, "verify": VERIFIED})
    finalize(done, world.services)

    again = finalize(done, world.services)

    assert again["status"] == "verified"
    assert sorted(map(tuple, world.secrets.stages(arn).values())) == [
        ("AWSCURRENT",),
        ("AWSPREVIOUS",),
    ]


@pytest.mark.parametrize(("outcome", "dry_run"), [("no-change", False), ("dry-run", True)])
def test_finalize_of_a_run_that_changed_nothing_promotes_nothing(
    world: FakeWorld, outcome: str, dry_run: bool
) -> None:
    _, arn = world.portal()
    before = world.secrets.stages(arn)
    if not dry_run:
        world.ledger.acquire(arn, "run-1")
    st = state(
        item(arn, "apply-security-config", security_config={}, dry_run=dry_run),
        preflight=preflight_part(None, next_step="done", outcome=outcome),
    )

    report = finalize(st, world.services)

    assert report["status"] == outcome
    assert world.secrets.stages(arn) == before
    assert world.ledger.locks == {}


def caught(name: str, message: str) -> dict[str, str]:
    return {"Error": name, "Cause": json.dumps({"errorType": name, "errorMessage": message})}


def test_failure_before_any_change_only_unlocks(world: FakeWorld) -> None:
    _, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    st = state(item(arn), error=caught("PortalAuthFailed", "token refused"))

    report = record_failure(st, world.services)

    assert report["status"] == "failed"
    assert report["error"] == {
        "name": "PortalAuthFailed",
        "message": "token refused",
        "stage": "preflight",
    }
    assert world.ledger.holder(arn) is None


def test_failure_never_releases_another_runs_lock(world: FakeWorld) -> None:
    _, arn = world.portal()
    world.ledger.acquire(arn, "other-run")
    st = state(item(arn), error=caught("PortalBusy", "busy"))

    record_failure(st, world.services)

    assert world.ledger.holder(arn) == "other-run"


def test_an_unused_pending_version_is_removed(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.stored_key = portal.running_key  # the update never took
    st = PortalState.model_validate({**parts, "error": caught("ChangeNotApplied", "x")})

    report = record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) is None
    assert "removed" in report["error"]["notes"][0]


def test_a_pending_key_the_portal_already_runs_is_kept(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.restart()
    st = PortalState.model_validate({**parts, "error": caught("VerificationFailed", "x")})

    record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) == parts["item"]["versionId"]
    assert world.secrets.value(arn, "AWSPENDING")["sharedKey"] == portal.running_key


def test_a_pending_key_is_kept_when_the_portal_cannot_be_asked(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.go_down()
    st = PortalState.model_validate({**parts, "error": caught("PortalRestartTimeout", "x")})

    report = record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) == parts["item"]["versionId"]
    assert "could not be asked" in report["error"]["notes"][0]
    assert world.ledger.holder(arn) is None


@pytest.mark.parametrize("fault", ["update-never-took", "portal-runs-pending", "portal-down"])
def test_record_failure_run_again_settles_the_same_way(world: FakeWorld, fault: str) -> None:
    """FAULTS row 11: a re-run RecordFailure (a retried task) leaves the state the first
    run left: the same stages, no scratch object, no lock."""
    portal, arn, parts = changed_rotation(world)
    if fault == "update-never-took":
        portal.stored_key = portal.running_key
    elif fault == "portal-runs-pending":
        portal.restart()
    else:
        portal.go_down()
    st = PortalState.model_validate({**parts, "error": caught("VerificationFailed", "x")})
    first = record_failure(st, world.services)
    settled = world.secrets.stages(arn)

    second = record_failure(st, world.services)

    assert world.secrets.stages(arn) == settled
    assert (first["status"], second["status"]) == ("failed", "failed")
    assert first["error"]["name"] == second["error"]["name"] == "VerificationFailed"
    assert world.work.keys("runs/run-1/") == []
    assert world.ledger.holder(arn) is None


def test_record_failure_after_the_key_was_promoted_keeps_it(world: FakeWorld) -> None:
    """FAULTS row 11: Finalize promoted the key and then failed (its report not
    recorded): RecordFailure must not undo the promotion."""
    portal, arn, parts = changed_rotation(world)
    portal.restart()
    finalize(PortalState.model_validate({**parts, "verify": VERIFIED}), world.services)
    promoted = world.secrets.stages(arn)

    record_failure(
        PortalState.model_validate(
            {**parts, "verify": VERIFIED, "error": caught("LedgerUnavailable", "x")}
        ),
        world.services,
    )

    assert world.secrets.stages(arn) == promoted
    assert world.secrets.value(arn)["sharedKey"] == portal.running_key


def portal_with_known_key(world: FakeWorld, name: str) -> tuple[FakePortal, str]:
    """A portal whose AWSCURRENT secret holds the key it runs (rotated before)."""
    portal = world.portals.add(FakePortal(f"https://{name}.example.com/portal"))
    arn = world.secrets.create(
        f"portal-admin/{name}",
        {
            "url": portal.url,
            "username": portal.username,
            "password": portal.password,
            "sharedKey": portal.running_key,
        },
    )
    return portal, arn


def test_a_portal_key_matching_neither_version_keeps_pending(world: FakeWorld) -> None:
    portal, arn = portal_with_known_key(world, "known")
    entry = item(arn)
    parts: dict[str, Any] = {"item": entry, "preflight": preflight_part()}
    apply_change(PortalState.model_validate(parts), world.services)
    portal.set_key(portal.running_key[::-1])  # neither AWSCURRENT's key nor AWSPENDING's
    st = PortalState.model_validate({**parts, "error": caught("VerificationFailed", "x")})

    report = record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) == entry["versionId"]
    assert "neither" in report["error"]["notes"][0]


def test_a_portal_still_on_the_current_key_drops_pending(world: FakeWorld) -> None:
    portal, arn = portal_with_known_key(world, "known2")
    parts: dict[str, Any] = {"item": item(arn), "preflight": preflight_part()}
    portal.fail("update_shared_key", PortalUnavailable("update token config: reset"))
    apply_change(PortalState.model_validate(parts), world.services)
    st = PortalState.model_validate({**parts, "error": caught("ChangeNotApplied", "x")})

    record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) is None
    assert world.secrets.value(arn)["sharedKey"] == portal.running_key


def test_an_empty_pending_version_left_by_rotate_secret_is_removed(world: FakeWorld) -> None:
    _, arn = world.portal()
    entry = item(arn)
    world.secrets.start_rotation(arn, entry["versionId"])
    st = state(entry, preflight=preflight_part(), error=caught("PortalUnavailable", "x"))

    record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) is None


def test_a_failed_config_change_says_where_the_snapshot_is(world: FakeWorld) -> None:
    _, arn = world.portal()
    st = state(
        item(arn, "apply-security-config", security_config={"disableServicesDirectory": True}),
        preflight=preflight_part(None),
        change=change_part(),
        error=caught("PortalRestartTimeout", "x"),
    )

    report = record_failure(st, world.services)

    assert report["error"]["stage"] == "change"
    assert work_prefix("run-1", arn) in report["error"]["notes"][0]


@pytest.mark.parametrize(
    ("parts", "stage"),
    [
        ({}, "preflight"),
        ({"preflight": preflight_part(next_step="done", outcome="dry-run")}, "preflight"),
        ({"preflight": preflight_part()}, "change"),
        ({"preflight": preflight_part(), "change": change_part()}, "change"),
        (
            {
                "preflight": preflight_part(),
                "change": change_part(),
                "poll": {"ready": False, "polls": 1, "elapsedSeconds": 1.0},
            },
            "wait",
        ),
        (
            {
                "preflight": preflight_part(),
                "change": change_part(),
                "verify": {"outcome": "restart-pending"},
            },
            "verify",
        ),
    ],
)
def test_the_failure_names_the_stage_it_happened_in(
    world: FakeWorld, parts: dict[str, Any], stage: str
) -> None:
    _, arn = world.portal()
    st = state(item(arn, dry_run=True), error=caught("X", "y"), **parts)

    assert record_failure(st, world.services)["error"]["stage"] == stage


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, {"name": "Unknown", "message": "no error information"}),
        (
            {"Error": "States.Timeout", "Cause": "not json"},
            {"name": "States.Timeout", "message": "not json"},
        ),
        (
            {"Error": "E", "Cause": json.dumps({"errorMessage": "m" * 700})},
            {"name": "E", "message": "m" * 600 + "..."},
        ),
    ],
)
def test_the_error_is_described_from_the_catch(
    world: FakeWorld, error: dict[str, str] | None, expected: dict[str, str]
) -> None:
    _, arn = world.portal()
    st = state(item(arn), **({"error": error} if error else {}))

    assert describe_error(st) == expected


def test_rollback_posts_the_snapshot(world: FakeWorld) -> None:
    portal, arn = world.portal()
    entry = item(arn, "apply-security-config", security_config={"disableServicesDirectory": True})
    parts: dict[str, Any] = {"item": entry, "preflight": preflight_part(None)}
    before = dict(portal.config)
    change = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = change.model_dump(by_alias=True, exclude_none=True)

    result = rollback_config(PortalState.model_validate(parts), world.services)

    assert (result.phase, result.outcome) == ("rollback", "accepted")
    assert result.posted == ["securityConfig"]
    assert portal.config == before
    assert portal.updates == 2


def test_rollback_without_a_snapshot_fails_named(world: FakeWorld) -> None:
    portal, arn = world.portal()
    st = state(
        item(arn, "apply-security-config", security_config={}), preflight=preflight_part(None)
    )

    with pytest.raises(RollbackFailed):
        rollback_config(st, world.services)

    assert portal.updates == 0


def test_rollback_of_an_unreachable_portal_is_retryable(world: FakeWorld) -> None:
    portal, arn = world.portal()
    world.work.put_json(
        work_prefix("run-1", arn) + CONFIG_SNAPSHOT, {"securityConfig": dict(portal.config)}
    )
    portal.go_down()
    st = state(
        item(arn, "apply-security-config", security_config={}), preflight=preflight_part(None)
    )

    with pytest.raises(PortalUnavailable):
        rollback_config(st, world.services)


def summarized(world: FakeWorld, statuses: list[str], unrecorded: int = 0) -> dict[str, Any]:
    """A run of len(statuses) + unrecorded portals, each recorded with its status but
    the last ``unrecorded`` ones, then summarized."""
    arns = [f"arn-{i:04d}" for i in range(len(statuses) + unrecorded)]
    world.work.put_json(
        "manifests/r.json", [{"secretArn": a, "action": "rotate-shared-key"} for a in arns]
    )
    world.ledger.put_run(
        "r", {"runId": "r", "action": "rotate-shared-key", "manifest": "manifests/r.json"}
    )
    for arn, status in zip(arns, statuses, strict=False):
        world.ledger.put_result("r", arn, {"secretArn": arn, "status": status})
    return summarize("r", world.ledger, world.work)


@pytest.mark.parametrize(
    ("statuses", "outcome", "failed"),
    [
        (["verified", "no-change", "dry-run"], "succeeded", 0),
        (["verified", "failed"], "partial", 1),
        (["failed", "rolled-back"], "failed", 2),
        (["failed"], "failed", 1),
    ],
)
def test_summarize_counts_and_names_the_failed(
    world: FakeWorld, statuses: list[str], outcome: str, failed: int
) -> None:
    report = summarized(world, statuses)

    assert (report["outcome"], report["failed"], report["total"]) == (
        outcome,
        failed,
        len(statuses),
    )
    assert report["failedPortals"] == [
        f"arn-{i:04d}" for i, s in enumerate(statuses) if s in ("failed", "rolled-back")
    ]
    assert len(report["subject"]) <= 99


def test_the_summary_says_how_long_the_run_took(world: FakeWorld) -> None:
    """The dashboard's "last run's duration" (RunSeconds) comes from here."""
    world.work.put_json("manifests/r.json", [{"secretArn": "arn-0"}])
    world.ledger.put_run(
        "r", {"runId": "r", "action": "x", "manifest": "manifests/r.json", "startedAt": 1000.0}
    )

    report = summarize("r", world.ledger, world.work, now=1754.25)

    assert report["runSeconds"] == 754.2


def test_a_portal_without_a_recorded_result_is_reported_failed(world: FakeWorld) -> None:
    report = summarized(world, ["verified"], unrecorded=1)

    assert report["outcome"] == "partial"
    assert report["portals"][0]["error"]["name"] == "NoResultRecorded"


def test_a_fleet_summary_stays_small_and_the_whole_report_goes_to_s3(world: FakeWorld) -> None:
    """FAULTS row 35: what the state machine carries does not grow with the fleet."""
    report = summarized(world, ["verified"] * 1500 + ["failed"] * 300)

    assert len(json.dumps(report)) < 16_000
    assert (report["total"], report["failed"], report["truncated"]) == (1800, 300, True)
    assert len(report["portals"]) == 25
    assert all(p["status"] == "failed" for p in report["portals"])
    assert len(world.work.get_json(report["report"])["portals"]) == 1800


def test_a_summary_of_portals_with_long_values_stays_under_the_payload_quotas(
    world: FakeWorld,
) -> None:
    """Each portal changed a 12 KB proxy-host list: 25 of them as they are would make
    Summarize's output, and the notification, pass 256 KiB (Step Functions'
    States.DataLimitExceeded, SNS's message limit)."""
    hosts = ",".join(f"host{i:04d}.gis.example.com" for i in range(450))
    arns = [f"arn-{i:04d}" for i in range(25)]
    world.work.put_json("manifests/r.json", [{"secretArn": a} for a in arns])
    world.ledger.put_run(
        "r", {"runId": "r", "action": "apply-security-config", "manifest": "manifests/r.json"}
    )
    change = {"name": "allowedProxyHosts", "current": hosts[:-30], "desired": hosts}
    for arn in arns:
        world.ledger.put_result(
            "r", arn, {"secretArn": arn, "status": "verified", "changes": [change]}
        )

    report = summarize("r", world.ledger, world.work)

    assert len(json.dumps(report).encode()) < 200 * 1024
    listed = report["portals"][0]["changes"][0]
    assert listed["name"] == "allowedProxyHosts"
    assert "characters: see the report" in listed["desired"]
    assert world.work.get_json(report["report"])["portals"][0]["changes"] == [change]


def test_a_generated_key_not_yet_read_back_is_reported(world: FakeWorld) -> None:
    portal, arn = world.portal(version="11.4")
    parts: dict[str, Any] = {
        "item": item(arn),
        "preflight": preflight_part("generated", version="11.4"),
    }
    change = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = change.model_dump(by_alias=True, exclude_none=True)
    portal.go_down()  # and never comes back within the bound
    st = PortalState.model_validate({**parts, "error": caught("PortalRestartTimeout", "x")})

    report = record_failure(st, world.services)

    assert world.secrets.pending_version_id(arn) is None
    assert any("no secret version holds" in n for n in report["error"]["notes"])


def test_a_generated_key_failure_before_the_update_has_no_such_note(world: FakeWorld) -> None:
    _, arn = world.portal(version="11.4")
    st = state(
        item(arn),
        preflight=preflight_part("generated", version="11.4"),
        error=caught("PortalAuthFailed", "x"),
    )

    report = record_failure(st, world.services)

    assert not any("no secret version holds" in n for n in report["error"].get("notes", []))


def test_a_rollback_error_echoing_the_snapshot_is_masked(world: FakeWorld) -> None:
    """The snapshot holds the LDAP bind password and the trust key; a portal error that
    echoes the posted config must not carry them into the cause (FAULTS row 25)."""
    ldap = {"type": "LDAP", "properties": {"userPassword": "CANARY-ldap-bind-password-1"}}
    portal, arn = world.portal()
    world.work.put_json(
        work_prefix("run-1", arn) + CONFIG_SNAPSHOT,
        {"securityConfig": {**portal.config, "userStoreConfig": ldap}},
    )
    trust = portal.config["webgisServerTrustKey"]
    portal.fail(
        "update_security_config",
        lambda: PortalRequestRejected(
            f"update security config: portal error 500: bad config "
            f"CANARY-ldap-bind-password-1 {trust}",
            code=500,
        ),
    )
    st = state(
        item(arn, "apply-security-config", security_config={}), preflight=preflight_part(None)
    )

    with pytest.raises(PortalRequestRejected) as raised:
        rollback_config(st, world.services)

    assert "CANARY-ldap" not in raised.value.message
    assert trust not in raised.value.message


@pytest.mark.parametrize("version", ["11.3", "11.4"])
def test_a_failed_rotation_leaves_no_token_or_key_in_the_work_store(
    world: FakeWorld, version: str
) -> None:
    """FAULTS row 37: the probe token (a valid admin token) and the 11.4+ pre-change key
    do not outlive the run."""
    _portal, arn = world.portal(version=version)
    key_mode = "generated" if version == "11.4" else "supplied"
    parts: dict[str, Any] = {
        "item": item(arn),
        "preflight": preflight_part(key_mode, version=version),
    }
    apply_change(PortalState.model_validate(parts), world.services)
    assert world.work.keys(work_prefix("run-1", arn))  # probe token (and pre-change key)
    st = PortalState.model_validate({**parts, "error": caught("PortalRestartTimeout", "x")})

    record_failure(st, world.services)

    assert world.work.keys(work_prefix("run-1", arn)) == []


def test_a_failed_config_change_keeps_only_its_snapshot(world: FakeWorld) -> None:
    _portal, arn = world.portal()
    entry = item(arn, "apply-security-config", security_config={"disableServicesDirectory": True})
    parts: dict[str, Any] = {"item": entry, "preflight": preflight_part(None)}
    apply_change(PortalState.model_validate(parts), world.services)
    st = PortalState.model_validate({**parts, "error": caught("PortalRestartTimeout", "x")})

    record_failure(st, world.services)

    assert world.work.keys(work_prefix("run-1", arn)) == [
        work_prefix("run-1", arn) + "config-snapshot.json"
    ]


def test_each_portal_s_report_and_last_outcome_go_to_the_ledger(world: FakeWorld) -> None:
    portal, arn, parts = changed_rotation(world)
    portal.restart()

    report = finalize(PortalState.model_validate({**parts, "verify": VERIFIED}), world.services)

    assert list(world.ledger.results("run-1")) == [report]
    last = world.ledger.last_outcomes([arn])[arn]
    assert (last["status"], last["action"], last["runId"]) == (
        "verified",
        "rotate-shared-key",
        "run-1",
    )
    assert last["keyChangedAt"] > 0


def test_a_later_run_keeps_when_the_key_last_changed_and_a_dry_run_records_drift(
    world: FakeWorld,
) -> None:
    world.ledger.put_last_outcome("arn-x", {"keyChangedAt": 1000.0, "status": "verified"})
    world.portal()
    st = state(
        item("arn-x", "apply-security-config", security_config={"x": 1}, dry_run=True),
        preflight={
            **preflight_part(None, next_step="done", outcome="dry-run"),
            "changes": [{"name": "disableServicesDirectory", "current": False, "desired": True}],
        },
    )

    finalize(st, world.services)

    last = world.ledger.last_outcomes(["arn-x"])["arn-x"]
    assert last["keyChangedAt"] == 1000.0
    assert last["drift"]["changes"] == ["disableServicesDirectory"]


def test_a_failure_is_recorded_as_the_last_outcome_with_its_error(world: FakeWorld) -> None:
    _, arn = world.portal()
    st = state(item(arn), error=caught("PortalAuthFailed", "token refused"))

    record_failure(st, world.services)

    assert world.ledger.last_outcomes([arn])[arn]["error"] == "PortalAuthFailed"
    assert next(world.ledger.results("run-1"))["status"] == "failed"
