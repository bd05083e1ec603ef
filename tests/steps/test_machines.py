"""Highly available portals (workflow/targets.py): every machine the operator pinned
reached directly with the portal's tokens, or none; refused before a change when the
portal's list does not match the pins (FAULTS rows 31, 32, 43-45). A portal with one
machine is reached through its URL only."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import (
    MachineListForbidden,
    MachineListTooLarge,
    MachinePinMismatch,
    MachineUnreachable,
)
from portal_automation.portal.models import Machine
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.finalize import summary
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.verify import verify

from tests.fakes.portal import FakePortal
from tests.fakes.services import FakeWorld

from .conftest import FakeClock, item


def planned(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {"item": item(arn, **entry)}
    result = preflight(PortalState.model_validate(parts), world.services)
    parts["preflight"] = result.model_dump(by_alias=True, exclude_none=True)
    return parts


def changed(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    parts = planned(world, arn, **entry)
    result = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = result.model_dump(by_alias=True, exclude_none=True)
    return parts


def names(portal: FakePortal) -> list[str]:
    return [m.name for m in portal.machines]


def nothing_reached_at_machines(world: FakeWorld, *portals: FakePortal) -> bool:
    return all(p.calls == [] for p in portals) and all(
        url.endswith("/portal") for url in world.portals.password_sent_to
    )


def test_one_machine_is_reached_through_the_portal_url_only(world: FakeWorld) -> None:
    portal, arn = world.portal()

    parts = planned(world, arn)

    assert parts["preflight"]["machines"] == []
    assert portal.machines[0].admin_url not in world.portals.by_url  # never reachable


def test_each_pinned_machine_is_checked_directly_with_the_portals_token(
    world: FakeWorld,
) -> None:
    """FAULTS row 43: the standby is asked with a token the portal's URL issued; the
    password goes to the portal's URL only."""
    primary, standby, arn = world.ha_portal()

    parts = planned(world, arn)

    assert [m["name"] for m in parts["preflight"]["machines"]] == names(primary)
    assert parts["preflight"]["machinesChecked"] is True
    assert "adminUrl" not in str(parts["preflight"])  # names, not URLs
    assert "10.0.2" not in str(parts["preflight"])
    assert standby.calls == ["info"]
    assert world.portals.password_sent_to == [primary.url]


def test_an_unreachable_machine_is_refused_before_anything_changes(world: FakeWorld) -> None:
    """FAULTS row 32: named, with the way out; no update, no pending version."""
    primary, _standby, arn = world.ha_portal(reachable=False)

    with pytest.raises(MachineUnreachable) as raised:
        planned(world, arn)

    assert names(primary)[1] in raised.value.message
    assert primary.updates == 0
    assert world.secrets.pending_version_id(arn) is None
    assert world.portals.password_sent_to == [primary.url]


def test_without_pins_no_machine_is_reached_and_the_summary_says_how_to_pin(
    world: FakeWorld,
) -> None:
    """FAULTS row 43, the default: the machines are listed, never called; verified
    through the portal URL."""
    _primary, standby, arn = world.ha_portal(pinned=False)

    parts = planned(world, arn)

    assert parts["preflight"]["machinesChecked"] is False
    assert parts["preflight"]["unchecked"] == "not-pinned"
    assert nothing_reached_at_machines(world, standby)
    report = summary(PortalState.model_validate(parts), "dry-run")
    assert any('"machines": ["https://<machine>:7443/arcgis"' in n for n in report["notes"])


@pytest.mark.parametrize(
    "listed",
    [
        "https://attacker.example.net:7443/arcgis",  # another host
        "https://10.0.9.9:7443/arcgis",  # another private address
        "https://10.0.2.12:8443/arcgis",  # another port
        "https://admin:pw@10.0.2.12:7443/arcgis",  # user information
        "https://10.0.2.12:7443/arcgis?x=1",  # a query
    ],
    ids=["other host", "private address", "other port", "userinfo", "query"],
)
def test_a_listed_machine_that_is_not_pinned_is_refused_with_nothing_sent(
    world: FakeWorld, listed: str
) -> None:
    """FAULTS row 43: named after the machine, the portal as the source; nothing sent
    to any machine (the listed URL exists as a portal: it would answer)."""
    primary, standby, arn = world.ha_portal()
    reachable = listed.split("?", maxsplit=1)[0].replace("admin:pw@", "")
    hostile = world.portals.add(FakePortal(reachable))
    primary.machines[1] = Machine(primary.machines[1].name, listed, "standby")

    with pytest.raises(MachinePinMismatch) as raised:
        planned(world, arn)

    assert names(primary)[1] in raised.value.message
    assert "does not pin" in raised.value.message
    assert nothing_reached_at_machines(world, standby, hostile)
    assert not [key for key in world.ledger.locks if key.startswith("portal#")]


def test_a_pinned_machine_the_portal_does_not_list_is_refused(world: FakeWorld) -> None:
    primary, standby, arn = world.ha_portal()
    del primary.machines[1]

    with pytest.raises(MachinePinMismatch, match="does not list"):
        planned(world, arn)

    assert nothing_reached_at_machines(world, standby)


def test_pins_are_compared_by_address_not_spelling(world: FakeWorld) -> None:
    primary, _standby, arn = world.ha_portal()
    primary.machines[0] = Machine(
        primary.machines[0].name, "HTTPS://10.0.2.11:7443/arcgis/", "primary"
    )

    parts = planned(world, arn)

    assert parts["preflight"]["machinesChecked"] is True


def test_pins_removed_during_the_run_reach_no_machine(world: FakeWorld) -> None:
    primary, standby, arn = world.ha_portal()
    parts = changed(world, arn)
    world.secrets.edit(
        arn, {**world.secrets.value(arn), "machines": [primary.machines[0].admin_url]}
    )
    standby.calls.clear()

    with pytest.raises(MachinePinMismatch, match="pinned no more"):
        verify(PortalState.model_validate(parts), world.services)

    assert standby.calls == []


@pytest.mark.parametrize(
    ("listing", "problem"),
    [
        (lambda p: p.machines * 600, "lists 1200 machines"),
        (lambda p: [Machine("m" * 100_000, p.machines[0].admin_url, "primary")], "100000"),
    ],
    ids=["thousands", "huge name"],
)
def test_a_list_past_any_real_portal_is_refused_before_the_state_grows(
    world: FakeWorld, listing: Any, problem: str
) -> None:
    """FAULTS row 44: bounded in the client (the fake answers through the same check)."""
    primary, _standby, arn = world.ha_portal(pinned=False)
    primary.machines = listing(primary)

    with pytest.raises(MachineListTooLarge, match=problem):
        planned(world, arn)


def test_an_account_without_the_default_administrator_role_is_told_which_role(
    world: FakeWorld,
) -> None:
    """FAULTS row 45: before any change, the role named and the way out."""
    primary, _standby, arn = world.ha_portal()
    primary.default_administrator = False

    with pytest.raises(MachineListForbidden) as raised:
        planned(world, arn)

    assert "default administrator role" in raised.value.message
    assert "checkMachines" in raised.value.message
    assert primary.updates == 0


def test_the_opt_out_goes_on_without_the_list_when_it_may_not_be_read(
    world: FakeWorld,
) -> None:
    primary, arn = world.portal("restricted", secret_extra={"checkMachines": False})
    primary.default_administrator = False

    parts = planned(world, arn)

    assert parts["preflight"]["unchecked"] == "not-listed"
    report = summary(PortalState.model_validate(parts), "planned")
    assert "could not be listed" in report["notes"][0]


def test_the_opt_out_verifies_through_the_portal_url_only(world: FakeWorld) -> None:
    _, standby, arn = world.ha_portal(pinned=False, secret_extra={"checkMachines": False})

    parts = planned(world, arn)

    assert parts["preflight"]["machinesChecked"] is False
    assert parts["preflight"]["unchecked"] == "opted-out"
    assert len(parts["preflight"]["machines"]) == 2
    assert nothing_reached_at_machines(world, standby)


def test_ha_rotation_is_verified_only_once_the_standby_runs_the_new_key(
    world: FakeWorld,
) -> None:
    """FAULTS row 31: the primary is back with the new key, the standby still runs the
    old one: not verified until the standby has restarted too. Every token the machines
    see is the portal URL's (FAULTS row 43)."""
    primary, standby, arn = world.ha_portal()
    first, second = names(primary)
    parts = changed(world, arn)
    primary.restart()

    early = verify(PortalState.model_validate(parts), world.services)

    assert early.outcome == "restart-pending"
    assert early.machines[first]["oldTokenRejected"] is True
    assert early.machines[second] == {"oldTokenRejected": False}
    standby.restart()
    late = verify(
        PortalState.model_validate({**parts, "verify": early.model_dump(by_alias=True)}),
        world.services,
    )
    assert late.outcome == "verified"
    assert set(late.machines) == {first, second}
    assert all(m["keyMatchesSecret"] for m in late.machines.values())
    assert set(world.portals.password_sent_to) == {primary.url}
    assert standby.count("generate_token") == 0


def test_a_machine_that_refuses_the_portals_fresh_token_is_not_verified_yet(
    world: FakeWorld,
) -> None:
    """The fresh token came from a machine on the other key (a load balancer picks
    either): that machine is pending, not failed."""
    primary, standby, arn = world.ha_portal()
    second = names(primary)[1]
    parts = changed(world, arn)
    standby.restart()  # the standby runs the new key; the portal URL's machine not yet

    result = verify(PortalState.model_validate(parts), world.services)

    assert result.outcome == "restart-pending"
    assert result.machines[second] == {"freshTokenWorks": False}


def test_ha_wait_is_back_only_once_every_machine_accepts_the_portals_token(
    world: FakeWorld, clock: FakeClock
) -> None:
    """The primary is back on the new key while the standby still runs the old one: each
    refuses the other's tokens, so the portal is not back until the standby restarted
    too. No token is made on a machine."""
    primary, standby, arn = world.ha_portal()
    first, second = names(primary)
    parts = changed(world, arn, pollWindowSeconds=20, healthPollSeconds=1)
    primary.go_down()
    clock.on_sleep = {1: primary.come_up, 4: standby.go_down, 6: standby.come_up}

    result = poll_health(
        PortalState.model_validate(parts), world.services, sleep=clock.sleep, clock=clock
    )

    seen = {m.name: m for m in result.machines}
    assert result.ready
    assert clock.sleeps == 6  # not back before the standby came up
    assert seen[first].went_down
    assert seen[second].went_down
    assert seen[second].healthy_at > seen[first].healthy_at
    assert standby.count("generate_token") == 0
    assert standby.count("info") > 1  # refused while on the old key, then accepted


def test_ha_wait_watches_each_machine_verify_found_on_the_old_key(
    world: FakeWorld, clock: FakeClock
) -> None:
    """Right after the update both machines still run the old process (health OK, the
    old token valid): Verify says so, and the next window waits for each to restart."""
    primary, standby, arn = world.ha_portal()
    first, second = names(primary)
    parts = changed(world, arn, pollWindowSeconds=20, healthPollSeconds=1)
    first_window = poll_health(
        PortalState.model_validate(parts), world.services, sleep=clock.sleep, clock=clock
    )
    assert first_window.ready  # both answer, on the old key
    parts["poll"] = first_window.model_dump(by_alias=True)
    parts["verify"] = verify(PortalState.model_validate(parts), world.services).model_dump(
        by_alias=True
    )
    assert parts["verify"]["outcome"] == "restart-pending"
    start = clock.sleeps
    clock.on_sleep = {
        start + 2: primary.go_down,
        start + 3: primary.come_up,
        start + 5: standby.go_down,
        start + 6: standby.come_up,
    }

    second_window = poll_health(
        PortalState.model_validate(parts), world.services, sleep=clock.sleep, clock=clock
    )

    seen = {m.name: m for m in second_window.machines}
    assert second_window.ready
    assert seen[first].went_down
    assert seen[second].went_down
    assert clock.sleeps == start + 6


def test_ha_config_change_waits_for_each_machine_restart(world: FakeWorld) -> None:
    primary, _standby, arn = world.ha_portal()
    first, second = names(primary)
    config = {"disableServicesDirectory": True}
    parts = changed(world, arn, action="apply-security-config", security_config=config)
    primary.restart()
    poll = {
        "ready": True,
        "polls": 4,
        "elapsedSeconds": 3.0,
        "wentDown": True,
        "origin": parts["change"]["changedAt"],
        "machines": [
            {"name": first, "ready": True, "wentDown": True, "healthyAt": 1.0},
            {"name": second, "ready": True, "wentDown": False},
        ],
    }

    result = verify(PortalState.model_validate({**parts, "poll": poll}), world.services)

    assert result.outcome == "restart-pending"
    assert result.machines[second] == {"restartSeen": False}


def test_the_summary_lists_each_machine_or_says_they_were_not_checked(
    world: FakeWorld,
) -> None:
    primary, standby, arn = world.ha_portal()
    parts = changed(world, arn)
    primary.restart()
    standby.restart()
    parts["verify"] = verify(PortalState.model_validate(parts), world.services).model_dump(
        by_alias=True
    )

    report = summary(PortalState.model_validate(parts), "verified")

    assert report["machinesChecked"] is True
    assert [m["name"] for m in report["machines"]] == names(primary)
    assert all(m["verification"]["oldTokenRejected"] for m in report["machines"])
    _, _, opted = world.ha_portal("optout2", pinned=False, secret_extra={"checkMachines": False})
    quiet = summary(PortalState.model_validate(planned(world, opted)), "verified")
    assert quiet["machinesChecked"] is False
    assert any("not checked" in note for note in quiet["notes"])
