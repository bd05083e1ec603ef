"""Preflight: lock first, then credentials, token, version, pending check and plan."""

from __future__ import annotations

import pytest
from portal_automation.errors import (
    InvalidSecurityConfig,
    PendingVersionConflict,
    PortalBusy,
    SecretNotFound,
    UnsupportedPortalVersion,
)
from portal_automation.workflow.preflight import preflight

from tests.fakes.services import FakeWorld

from .conftest import item, state


@pytest.mark.parametrize(
    ("version", "key_mode"),
    [("10.7.1", "supplied"), ("10.9.1", "supplied"), ("11.3", "supplied"), ("11.4", "generated")],
)
def test_rotation_is_planned_with_the_key_regime_of_the_version(
    world: FakeWorld, version: str, key_mode: str
) -> None:
    portal, arn = world.portal(version=version)

    result = preflight(state(item(arn)), world.services)

    assert (result.next, result.outcome, result.key_mode) == ("change", "planned", key_mode)
    assert result.version == version
    assert world.ledger.holder(arn) == "run-1"
    assert portal.updates == 0


def test_a_dry_run_takes_no_lock_and_changes_nothing(world: FakeWorld) -> None:
    portal, arn = world.portal()

    result = preflight(state(item(arn, dry_run=True)), world.services)

    assert (result.next, result.outcome) == ("done", "dry-run")
    assert world.ledger.locks == {}
    assert portal.updates == 0


def test_a_portal_locked_by_another_run_is_not_contacted(world: FakeWorld) -> None:
    portal, arn = world.portal()
    world.ledger.acquire(arn, "other-run")

    with pytest.raises(PortalBusy):
        preflight(state(item(arn)), world.services)

    assert portal.calls == []
    assert world.ledger.holder(arn) == "other-run"


def test_the_same_run_may_take_its_own_lock_again(world: FakeWorld) -> None:
    _, arn = world.portal()
    world.ledger.acquire(arn, "run-1")

    assert preflight(state(item(arn)), world.services).outcome == "planned"


def test_an_expired_lock_of_a_crashed_run_is_taken_over(world: FakeWorld) -> None:
    _, arn = world.portal()
    world.ledger.locks[arn] = ("crashed-run", 0.0)

    preflight(state(item(arn)), world.services)

    assert world.ledger.holder(arn) == "run-1"


def test_a_leftover_pending_version_of_another_run_is_refused(world: FakeWorld) -> None:
    portal, arn = world.portal()
    world.secrets.start_rotation(arn, "11111111-1111-4111-8111-111111111111")

    with pytest.raises(PendingVersionConflict) as raised:
        preflight(state(item(arn)), world.services)

    assert "11111111-1111-4111-8111-111111111111" in raised.value.message
    assert portal.updates == 0
    assert world.secrets.pending_version_id(arn) == "11111111-1111-4111-8111-111111111111"


def test_this_runs_own_pending_version_is_not_a_conflict(world: FakeWorld) -> None:
    _, arn = world.portal()
    entry = item(arn)
    world.secrets.start_rotation(arn, entry["versionId"])

    assert preflight(state(entry), world.services).outcome == "planned"


def test_10_7_is_planned_with_its_license_step(world: FakeWorld) -> None:
    _, arn = world.portal(version="10.7")

    result = preflight(state(item(arn)), world.services)

    assert (result.outcome, result.post_change) == (
        "planned",
        ["federatedServers", "licensesPopulated"],
    )


@pytest.mark.parametrize("version", ["10.6", "10.5.1"])
def test_versions_whose_key_change_is_not_supported_are_refused(
    world: FakeWorld, version: str
) -> None:
    portal, arn = world.portal(version=version)

    with pytest.raises(UnsupportedPortalVersion):
        preflight(state(item(arn)), world.services)

    assert portal.updates == 0


def test_a_missing_secret_is_named(world: FakeWorld) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/gone-AbCdEf"

    with pytest.raises(SecretNotFound):
        preflight(state(item(arn)), world.services)


@pytest.mark.parametrize(
    ("desired", "dry_run", "outcome", "changed"),
    [
        ({"disableServicesDirectory": False}, False, "no-change", []),
        ({"disableServicesDirectory": True}, False, "planned", ["disableServicesDirectory"]),
        ({"disableServicesDirectory": True}, True, "dry-run", ["disableServicesDirectory"]),
        ({"disableServicesDirectory": False}, True, "no-change", []),
    ],
)
def test_a_config_change_is_planned_from_the_difference(
    world: FakeWorld, desired: dict[str, object], dry_run: bool, outcome: str, changed: list[str]
) -> None:
    portal, arn = world.portal()
    entry = item(arn, "apply-security-config", security_config=desired, dry_run=dry_run)

    result = preflight(state(entry), world.services)

    assert result.outcome == outcome
    assert [c.name for c in result.changes] == changed
    assert result.next == ("change" if outcome == "planned" else "done")
    assert portal.updates == 0


def test_a_property_the_portal_version_lacks_is_refused(world: FakeWorld) -> None:
    _, arn = world.portal(version="10.9")
    entry = item(arn, "apply-security-config", security_config={"allowInternetCORSAccess": False})

    with pytest.raises(InvalidSecurityConfig):
        preflight(state(entry), world.services)


def test_a_current_value_that_steers_a_terminal_reaches_the_plan_printable(
    world: FakeWorld,
) -> None:
    """FAULTS row 50: the portal's current value is its text; the plan shows it escaped
    (what is posted back is the portal's own config, untouched)."""
    _, arn = world.portal(config={"allowedProxyHosts": "a.example.com\x1b[2K\r- verified"})
    desired = {"allowedProxyHosts": "b.example.com"}
    entry = item(arn, "apply-security-config", security_config=desired, dry_run=True)

    result = preflight(state(entry), world.services)

    (change,) = result.changes
    assert change.current == "a.example.com\\x1b[2K\\r- verified"
