"""Highly available portals (workflow/targets.py): every machine reached directly, or
refused before a change. A portal with one machine is reached through its URL only."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import MachineUnreachable
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.finalize import summary
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.verify import verify

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


def test_one_machine_is_reached_through_the_portal_url_only(world: FakeWorld) -> None:
    portal, arn = world.portal()

    parts = planned(world, arn)

    assert parts["preflight"]["machines"] == []
    assert portal.machines[0].admin_url not in world.portals.by_url  # never reachable


def test_each_machine_of_an_ha_portal_is_checked_directly(world: FakeWorld) -> None:
    _primary, standby, arn = world.ha_portal()

    parts = planned(world, arn)

    names = [m["name"] for m in parts["preflight"]["machines"]]
    assert names == ["portal-machine-1", "portal-machine-2"]
    assert parts["preflight"]["machinesChecked"] is True
    assert standby.count("generate_token") == 1  # a token made on the standby itself


def test_an_unreachable_machine_is_refused_before_anything_changes(world: FakeWorld) -> None:
    """FAULTS row 32: named, with the way out; no update, no pending version."""
    primary, _standby, arn = world.ha_portal(reachable=False)

    with pytest.raises(MachineUnreachable) as raised:
        planned(world, arn)

    assert "portal-machine-2" in raised.value.message
    assert "checkMachines" in raised.value.message
    assert primary.updates == 0
    assert world.secrets.pending_version_id(arn) is None


def test_the_opt_out_verifies_through_the_portal_url_only(world: FakeWorld) -> None:
    primary, arn = world.portal("optout", secret_extra={"checkMachines": False})
    primary.standby()  # listed, never reached

    parts = planned(world, arn)

    assert parts["preflight"]["machinesChecked"] is False
    assert len(parts["preflight"]["machines"]) == 2


def test_ha_rotation_is_verified_only_once_the_standby_runs_the_new_key(
    world: FakeWorld,
) -> None:
    """FAULTS row 31: the primary is back with the new key, the standby still runs the
    old one: not verified until the standby has restarted too."""
    primary, standby, arn = world.ha_portal()
    parts = changed(world, arn)
    primary.restart()

    early = verify(PortalState.model_validate(parts), world.services)

    assert early.outcome == "restart-pending"
    assert early.machines["portal-machine-1"]["oldTokenRejected"] is True
    assert early.machines["portal-machine-2"] == {"oldTokenRejected": False}
    standby.restart()
    late = verify(
        PortalState.model_validate({**parts, "verify": early.model_dump(by_alias=True)}),
        world.services,
    )
    assert late.outcome == "verified"
    assert set(late.machines) == {"portal-machine-1", "portal-machine-2"}
    assert all(m["keyMatchesSecret"] for m in late.machines.values())


def test_ha_wait_watches_each_machine_verify_found_on_the_old_key(
    world: FakeWorld, clock: FakeClock
) -> None:
    primary, standby, arn = world.ha_portal()
    parts = changed(world, arn, pollWindowSeconds=10, healthPollSeconds=1)
    primary.go_down()
    clock.on_sleep[1] = primary.come_up
    first = poll_health(
        PortalState.model_validate(parts), world.services, sleep=clock.sleep, clock=clock
    )
    assert first.ready  # both answer: the standby still runs the old process
    parts["poll"] = first.model_dump(by_alias=True)
    parts["verify"] = verify(PortalState.model_validate(parts), world.services).model_dump(
        by_alias=True
    )
    assert parts["verify"]["outcome"] == "restart-pending"
    clock.on_sleep = {clock.sleeps + 2: standby.go_down, clock.sleeps + 4: standby.come_up}

    second = poll_health(
        PortalState.model_validate(parts), world.services, sleep=clock.sleep, clock=clock
    )

    seen = {m.name: m for m in second.machines}
    assert second.ready
    assert seen["portal-machine-1"].went_down
    assert seen["portal-machine-2"].went_down
    assert seen["portal-machine-2"].healthy_at > seen["portal-machine-1"].healthy_at
    assert second.polls - first.polls == 5


def test_ha_config_change_waits_for_each_machine_restart(world: FakeWorld) -> None:
    primary, _standby, arn = world.ha_portal()
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
            {"name": "portal-machine-1", "ready": True, "wentDown": True, "healthyAt": 1.0},
            {"name": "portal-machine-2", "ready": True, "wentDown": False},
        ],
    }

    result = verify(PortalState.model_validate({**parts, "poll": poll}), world.services)

    assert result.outcome == "restart-pending"
    assert result.machines["portal-machine-2"] == {"restartSeen": False}


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
    assert [m["name"] for m in report["machines"]] == ["portal-machine-1", "portal-machine-2"]
    assert all(m["verification"]["oldTokenRejected"] for m in report["machines"])
    _, opted = world.portal("optout2", secret_extra={"checkMachines": False})
    world.portals.by_url["https://optout2.example.com/portal"].standby()
    quiet = summary(PortalState.model_validate(planned(world, opted)), "verified")
    assert quiet["machinesChecked"] is False
    assert any("not checked" in note for note in quiet["notes"])
