"""ApplyChange: never twice. The key is stored before the portal sees it; state is
checked before any update; an unanswered update is "outcome unknown", not a failure."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import (
    ChangeNotApplied,
    PortalAnswerTooLarge,
    PortalAnswerTooSlow,
    PortalAutomationError,
    PortalRequestRejected,
    PortalUnavailable,
)
from portal_automation.workflow.change import (
    CONFIG_SNAPSHOT,
    PRE_CHANGE_KEY,
    PROBE_TOKEN,
    apply_change,
)
from portal_automation.workflow.services import work_prefix

from tests.fakes.services import FakeWorld

from .conftest import item, preflight_part, state

SUPPLIED = {"preflight": preflight_part("supplied")}
GENERATED = {"preflight": preflight_part("generated", version="11.4")}


def test_supplied_key_is_stored_as_pending_then_sent(world: FakeWorld) -> None:
    portal, arn = world.portal()
    entry = item(arn)
    old_key = portal.stored_key

    result = apply_change(state(entry, **SUPPLIED), world.services)

    assert (result.outcome, result.attempts) == ("accepted", 1)
    pending = world.secrets.value(arn, "AWSPENDING")
    assert pending["sharedKey"] == portal.stored_key != old_key
    assert world.secrets.pending_version_id(arn) == entry["versionId"]
    assert world.secrets.value(arn)["password"] == portal.password  # rest of the secret kept
    assert portal.count("update_shared_key") == 1
    assert portal.running_key == old_key  # the restart has not happened yet


NO_ANSWER = [
    PortalUnavailable("read timeout (outcome unknown: check before retrying)"),
    PortalAnswerTooSlow("not within the call's deadline (outcome unknown: check ...)"),
    PortalAnswerTooLarge("larger than the call's size cap (outcome unknown: check ...)"),
]


@pytest.mark.parametrize("cut", NO_ANSWER, ids=lambda e: type(e).__name__)
def test_the_key_is_pending_before_the_portal_sees_it(
    world: FakeWorld, cut: PortalAutomationError
) -> None:
    """If the update's answer is lost (not answered, cut at the call's deadline or size
    cap: FAULTS row 51), the key the portal may now hold is not lost, and the outcome is
    unknown, never a rejection."""
    portal, arn = world.portal()
    portal.fail("update_shared_key", cut)

    result = apply_change(state(item(arn), **SUPPLIED), world.services)

    assert result.outcome == "unknown"
    assert world.secrets.pending_version_id(arn) is not None
    assert portal.count("update_shared_key") == 1


def test_a_rerun_after_an_accepted_update_does_not_update_again(world: FakeWorld) -> None:
    portal, arn = world.portal()
    entry = item(arn)
    apply_change(state(entry, **SUPPLIED), world.services)
    pending_key = world.secrets.value(arn, "AWSPENDING")["sharedKey"]
    portal.restart()

    rerun = apply_change(state(entry, **SUPPLIED), world.services)

    assert (rerun.outcome, rerun.attempts) == ("already-applied", 2)
    assert portal.updates == 1
    assert world.secrets.value(arn, "AWSPENDING")["sharedKey"] == pending_key


def test_a_retry_after_a_lost_update_reuses_the_same_pending_key(world: FakeWorld) -> None:
    portal, arn = world.portal()
    entry = item(arn)
    portal.fail("update_shared_key", PortalUnavailable("update token config: connection reset"))
    apply_change(state(entry, **SUPPLIED), world.services)
    first = world.secrets.value(arn, "AWSPENDING")["sharedKey"]

    retry = apply_change(state(entry, **SUPPLIED), world.services)

    assert retry.outcome == "accepted"
    assert portal.stored_key == first == world.secrets.value(arn, "AWSPENDING")["sharedKey"]


def test_more_attempts_than_allowed_give_up_without_touching_the_portal(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal()
    entry = item(arn)
    world.ledger.attempts[(arn, "run-1")] = 2

    with pytest.raises(ChangeNotApplied):
        apply_change(state(entry, **SUPPLIED), world.services)

    assert portal.calls == []


def test_a_probe_token_made_with_the_old_key_is_kept_in_the_work_store(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal()
    apply_change(state(item(arn), **SUPPLIED), world.services)

    probe = world.work.get_secret(work_prefix("run-1", arn) + PROBE_TOKEN)
    assert probe is not None
    portal.restart()
    assert not portal.token_is_valid(probe.reveal())  # dead after the restart


def test_a_rejected_update_propagates_and_is_not_retried(world: FakeWorld) -> None:
    portal, arn = world.portal()
    portal.fail("update_shared_key", PortalRequestRejected("update token config: error 500"))

    with pytest.raises(PortalRequestRejected):
        apply_change(state(item(arn), **SUPPLIED), world.services)

    assert portal.count("update_shared_key") == 1


def test_generated_key_keeps_the_pre_change_key_and_sends_the_documented_form(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal(version="11.4")
    old_key = portal.stored_key

    result = apply_change(state(item(arn), **GENERATED), world.services)

    assert result.outcome == "accepted"
    kept = world.work.get_secret(work_prefix("run-1", arn) + PRE_CHANGE_KEY)
    assert kept is not None
    assert kept.reveal() == old_key
    assert portal.stored_key != old_key
    assert world.secrets.pending_version_id(arn) is None  # stored by Verify, once read back


def test_generated_key_portal_that_rejects_a_supplied_key_gets_the_empty_form(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal(version="11.5", reject_supplied_key=True)
    old_key = portal.stored_key

    result = apply_change(state(item(arn), **GENERATED), world.services)

    assert result.outcome == "accepted"
    assert portal.count("update_shared_key") == 2
    assert (portal.updates, portal.stored_key != old_key) == (1, True)


def test_generated_key_rerun_sees_the_key_already_changed(world: FakeWorld) -> None:
    portal, arn = world.portal(version="11.4")
    entry = item(arn)
    apply_change(state(entry, **GENERATED), world.services)

    rerun = apply_change(state(entry, **GENERATED), world.services)

    assert rerun.outcome == "already-applied"
    assert portal.updates == 1


@pytest.mark.parametrize(
    ("override", "portal_asks", "expected"), [(None, 10, 10), (3, 10, 3), (None, 0, 0)]
)
def test_the_first_wait_is_the_override_or_what_the_portal_asked(
    world: FakeWorld, override: int | None, portal_asks: int, expected: int
) -> None:
    _, arn = world.portal(recheck_after_seconds=portal_asks)
    entry = item(arn, recheckSeconds=override)

    assert apply_change(state(entry, **SUPPLIED), world.services).recheck_seconds == expected


CONFIG_PREFLIGHT = {"preflight": preflight_part(None)}


def as_read(config: dict[str, Any]) -> dict[str, Any]:
    """The config as the portal answers it: booleans as strings (Esri's example)."""
    return {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in config.items()}


def test_config_change_snapshots_then_posts_the_whole_merged_config(world: FakeWorld) -> None:
    portal, arn = world.portal()
    before = dict(portal.config)
    entry = item(arn, "apply-security-config", security_config={"disableServicesDirectory": True})

    result = apply_change(state(entry, **CONFIG_PREFLIGHT), world.services)

    assert (result.outcome, result.posted) == ("accepted", ["securityConfig"])
    snapshot = world.work.get_json(work_prefix("run-1", arn) + CONFIG_SNAPSHOT)
    # The user default settings are neither read nor kept: the change does not touch them.
    assert snapshot == {"securityConfig": as_read(before), "userDefaultSettings": None}
    assert portal.count("read_user_default_settings") == 0
    assert portal.config == {**before, "disableServicesDirectory": True}
    assert portal.config["webgisServerTrustKey"] == before["webgisServerTrustKey"]


def test_config_rerun_keeps_the_first_snapshot_and_does_not_post_again(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal()
    before = dict(portal.config)
    entry = item(arn, "apply-security-config", security_config={"disableServicesDirectory": True})
    apply_change(state(entry, **CONFIG_PREFLIGHT), world.services)

    rerun = apply_change(state(entry, **CONFIG_PREFLIGHT), world.services)

    assert rerun.outcome == "already-applied"
    assert portal.updates == 1
    snapshot = world.work.get_json(work_prefix("run-1", arn) + CONFIG_SNAPSHOT)
    assert snapshot["securityConfig"] == as_read(before)


@pytest.mark.parametrize("cut", NO_ANSWER, ids=lambda e: type(e).__name__)
def test_config_update_without_an_answer_is_outcome_unknown(
    world: FakeWorld, cut: PortalAutomationError
) -> None:
    portal, arn = world.portal()
    portal.fail("update_security_config", cut)
    entry = item(arn, "apply-security-config", security_config={"disableServicesDirectory": True})

    assert apply_change(state(entry, **CONFIG_PREFLIGHT), world.services).outcome == "unknown"
