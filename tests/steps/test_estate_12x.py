"""The steps on portals 11.4 to 12.x (issue 20), on the fakes: what Preflight plans on
12.0+ (Esri's proxy hosts, the portal's user types), what the federation check does
once, what a summary says about a rotation, and how an unanswered config update is
waited for."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.domain.proxy_hosts import ESRI_DEFAULT_HOSTS
from portal_automation.errors import InvalidSecurityConfig, PortalUnavailable
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.finalize import summary
from portal_automation.workflow.post_change.federation import RECORD, WARNING
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.services import work_prefix
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.summary import summarize
from portal_automation.workflow.verify import verify

from tests.fakes.services import FakeWorld

from .conftest import FakeClock, change_part, item, preflight_part, state

CONFIG = "apply-security-config"


def planned(world: FakeWorld, arn: str, config: dict[str, Any], **entry: Any) -> Any:
    return preflight(state(item(arn, CONFIG, security_config=config, **entry)), world.services)


# --- proxy hosts ---------------------------------------------------------------------


def test_on_12_0_the_plan_keeps_esris_hosts_and_says_so(world: FakeWorld) -> None:
    portal, arn = world.portal(version="12.0")
    portal.config["allowedProxyHosts"] = ",".join(["maps.example.com", *ESRI_DEFAULT_HOSTS])

    same = planned(world, arn, {"allowedProxyHosts": "maps.example.com"}, dry_run=True)
    other = planned(world, arn, {"allowedProxyHosts": "tiles.example.com"}, dry_run=True)

    assert (same.outcome, same.changes) == ("no-change", [])  # Esri's hosts are no drift
    (change,) = other.changes
    assert change.desired.split(",") == ["tiles.example.com", *ESRI_DEFAULT_HOSTS]
    assert any("kept Esri's default proxy hosts" in note for note in other.notes)


def test_an_empty_list_on_12_0_is_refused_before_anything_is_read_or_sent(
    world: FakeWorld,
) -> None:
    portal, arn = world.portal(version="12.0")
    portal.config["allowedProxyHosts"] = ",".join(ESRI_DEFAULT_HOSTS)

    with pytest.raises(InvalidSecurityConfig, match="proxyHostsMode"):
        planned(world, arn, {"allowedProxyHosts": ""})

    assert portal.count("read_security_config") == 0
    exact = planned(world, arn, {"allowedProxyHosts": ""}, proxy_hosts_mode="exact")
    assert exact.outcome == "planned"
    assert any("without Esri's default proxy hosts" in note for note in exact.notes)


# --- user types and the user default settings ------------------------------------------


def test_from_11_4_the_user_type_is_checked_against_the_portals_list(world: FakeWorld) -> None:
    portal, arn = world.portal(version="11.4")
    portal.user_types = ["creatorUT", "professionalUT"]

    with pytest.raises(InvalidSecurityConfig) as refused:
        planned(world, arn, {"defaultUserTypeIdForUser": "GISProfessionalStdUT"})
    accepted = planned(world, arn, {"defaultUserTypeIdForUser": "professionalUT"})

    assert "creatorUT, professionalUT" in refused.value.message
    assert accepted.outcome == "planned"
    assert portal.count("license_user_types") == 2
    assert portal.updates == 0


def test_below_11_4_the_license_is_not_read(world: FakeWorld) -> None:
    portal, arn = world.portal(version="11.3")

    with pytest.raises(InvalidSecurityConfig, match="creatorUT"):
        planned(world, arn, {"defaultUserTypeIdForUser": "viewerUT"})

    assert portal.count("license_user_types") == 0


@pytest.mark.parametrize(
    ("config", "read"),
    [
        ({"disableServicesDirectory": True}, False),
        ({"defaultRoleForUser": "account_user"}, True),
        # Enabling automatic account creation needs the portal's default user type.
        ({"enableAutomaticAccountCreation": True}, True),
    ],
)
def test_the_user_default_settings_are_read_only_when_needed(
    world: FakeWorld, config: dict[str, Any], read: bool
) -> None:
    portal, arn = world.portal(version="12.0")

    planned(world, arn, config)

    assert (portal.count("read_user_default_settings") > 0) is read


# --- the federated servers, once per portal ----------------------------------------------


def rotated(world: FakeWorld, version: str = "12.0", **portal: Any) -> tuple[Any, str, dict]:
    fake, arn = world.portal(version=version, **portal)
    entry = item(arn)
    parts: dict[str, Any] = {"item": entry}
    parts["preflight"] = preflight(state(entry), world.services).model_dump(by_alias=True)
    change = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = change.model_dump(by_alias=True, exclude_none=True)
    fake.restart()
    return fake, arn, parts


def run_verify(world: FakeWorld, parts: dict[str, Any]) -> Any:
    return verify(PortalState.model_validate(parts), world.services)


def test_a_verified_rotation_validates_the_servers_once_and_warns_of_a_failure(
    world: FakeWorld,
) -> None:
    portal, _, parts = rotated(world)
    portal.federated_servers = ["success", "failure"]

    first = run_verify(world, parts)
    again = run_verify(world, parts)  # the state machine ran Verify once more

    assert first.outcome == again.outcome == "verified"
    servers = first.checks["federatedServers"]["servers"]
    assert [s["status"] for s in servers] == ["success", "failure"]
    (warning,) = first.warnings
    assert warning["name"] == WARNING
    assert "server2 (failure)" in warning["message"]
    assert (again.checks, again.warnings) == (first.checks, first.warnings)
    assert portal.count("validate_federated_servers") == 1


def test_a_validation_that_cannot_run_is_a_warning_not_a_failure(world: FakeWorld) -> None:
    portal, arn, parts = rotated(world)
    portal.fail("validate_federated_servers", PortalUnavailable("validate: read timeout"))

    result = run_verify(world, parts)

    assert result.outcome == "verified"
    assert result.checks["federatedServers"]["checked"] is False
    assert "read timeout" in result.warnings[0]["message"]
    assert world.secrets.pending_version_id(arn) is not None  # Finalize promotes it


def test_a_validation_cut_off_mid_call_is_not_repeated(world: FakeWorld) -> None:
    """A Verify that died during the call left only its claim: the next one says so."""
    portal, arn, parts = rotated(world)
    world.work.put_json(work_prefix("run-1", arn) + RECORD, {"claimed": True})

    result = run_verify(world, parts)

    assert result.checks["federatedServers"] == {
        "checked": False,
        "reason": "an earlier attempt of this run was cut off during the call",
    }
    assert portal.count("validate_federated_servers") == 0


def test_a_config_change_does_not_validate_the_servers(world: FakeWorld) -> None:
    _, arn = world.portal(version="12.0")
    assert planned(world, arn, {"disableServicesDirectory": True}).post_change == []


# --- what a rotation's summary and notification say --------------------------------------


def test_every_rotation_summary_says_what_the_rotation_invalidates(world: FakeWorld) -> None:
    _, arn, parts = rotated(world)
    parts["verify"] = run_verify(world, parts).model_dump(by_alias=True)

    verified = summary(PortalState.model_validate(parts), "verified")
    dry = summary(state(item(arn), preflight=preflight_part(version="11.3")), "dry-run")
    sent = summary(PortalState.model_validate({**parts, "verify": None}), "failed")
    early = summary(state(item(arn), preflight=preflight_part(version="12.0")), "failed")

    (note,) = [n for n in verified["notes"] if "tokens/update" in n]
    assert note.startswith("portal 12.0: tokens/update invalidated every token")
    assert "API keys" in note
    assert "would invalidate" in dry["notes"][0]
    assert "API keys" not in dry["notes"][0]
    assert "may have invalidated" in sent["notes"][0]
    assert "notes" not in early  # nothing was sent


def test_the_run_summary_carries_the_rotation_note_and_counts_warnings(world: FakeWorld) -> None:
    portal, arn, parts = rotated(world)
    portal.federated_servers = ["failure"]
    parts["verify"] = run_verify(world, parts).model_dump(by_alias=True)
    world.ledger.put_run("run-1", {"action": "rotate-shared-key", "manifest": "m.json"})
    world.work.put_json("m.json", [parts["item"]])
    world.ledger.put_result("run-1", arn, summary(PortalState.model_validate(parts), "verified"))

    report = summarize("run-1", world.ledger, world.work)

    assert report["warnings"] == 1
    assert "1 with warnings" in report["subject"]
    (note,) = report["notes"]
    assert "versions 12.0" in note
    assert report["portals"][0]["warnings"][0]["name"] == WARNING


# --- an unanswered config update: the wait ends at the bound, Verify decides ----------------


def test_healthy_at_the_bound_an_unlanded_update_goes_to_verify_not_to_a_timeout(
    world: FakeWorld, clock: FakeClock
) -> None:
    _, arn = world.portal()
    pending = {"outcome": "restart-pending", "checks": {"updateLanded": False}}
    st = state(
        item(arn, CONFIG, pollWindowSeconds=600, healthPollSeconds=1, maxRestartSeconds=60),
        preflight=preflight_part(None),
        change=change_part("unknown", ago=55),
        verify=pending,
    )

    result = poll_health(st, world.services, sleep=clock.sleep, clock=clock)

    assert result.ready is True
    assert 5 <= result.polls <= 7  # watched until the bound (5 s), not a 600 s window
