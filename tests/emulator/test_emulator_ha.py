"""Highly available portals: two machines behind a round-robin load balancer, sharing the
database, each running its own key and config (PORTAL_API.md 7a; FAULTS rows 31, 32)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from portal_local.emulator import Fault, PortalEmulator, PortalSettings
from portal_local.emulator.clock import ManualClock
from portal_local.emulator.shared_key import fingerprint

from .helpers import HANG_GUARD, REFERER, RawPortal, StartEmulator, fast, wait_for

pytestmark = pytest.mark.emulator

PRIMARY = "portal-machine-1.arcgis.internal.invalid"
STANDBY = "portal-machine-2.arcgis.internal.invalid"
NEW_KEY = "h" * 32
HA = {"machines": 2, "restart_lag_seconds": 0.1, "restart_seconds": 0.3}


def ha(
    start_emulator: StartEmulator, clock: ManualClock | None = None, **overrides: Any
) -> PortalEmulator:
    settings: dict[str, Any] = {**HA, "standby_restart_delay_seconds": 1.0, **overrides}
    return start_emulator(fast(**settings), **({"clock": clock} if clock else {}))


def machines(raw: RawPortal, token: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = raw.admin("portaladmin/machines", token)["machines"]
    return listed


def refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


# ---- the layout ----


def test_two_machines_on_their_own_ports(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    lb = RawPortal(emu)
    listed = machines(lb, lb.token())
    assert [(m["machineName"], m["role"]) for m in listed] == [
        (PRIMARY, "primary"),
        (STANDBY, "standby"),
    ]
    urls = [m["adminURL"] for m in listed]
    assert urls == emu.machine_urls()
    assert len({urlsplit(u).port for u in urls} | {emu.port}) == 3
    for url in urls:
        assert url.startswith("https://127.0.0.1:")
        assert url.endswith("/arcgis")  # the machine context, as on port 7443
    for number in (1, 2):
        direct = RawPortal(emu, machine=number)  # the same CA bundle verifies each
        assert direct.health().json() == {"status": "success"}
        assert direct.admin("portaladmin", direct.token())["version"] == "11.3.0"
    records = emu.request_log
    direct_records = [r for r in records if r.direct]
    assert {r.machine for r in direct_records} == {PRIMARY, STANDBY}
    assert all(r.context == "arcgis" for r in records)


def test_ha_portal_under_another_context(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(context="single"), fast(context="ha", **HA))
    assert emu.url("ha").endswith("/ha")
    assert all(url.endswith("/arcgis") for url in emu.machine_urls("ha"))
    direct = RawPortal(emu, "ha", machine=1)
    assert direct.url == emu.machine_urls("ha")[0]
    assert direct.health().status_code == 200
    assert direct.get("ha/portaladmin/healthCheck", f="json").status_code == 404
    assert emu.requests_for("ha", machine=1)[-1].direct
    assert RawPortal(emu, "single").health().status_code == 200


def test_the_load_balancer_alternates(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    lb = RawPortal(emu)
    for _ in range(4):
        assert lb.health().status_code == 200
    assert [r.machine for r in emu.request_log] == [PRIMARY, STANDBY, PRIMARY, STANDBY]
    assert not any(r.direct for r in emu.request_log)


def test_machines_share_the_database(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    primary, standby = RawPortal(emu, machine=1), RawPortal(emu, machine=2)
    token = primary.token()  # both run the same key: a token works on either machine
    assert standby.admin("portaladmin/security/tokens", token) == {
        "sharedKey": emu.portal().stored_shared_key
    }
    config = standby.admin("portaladmin/security/config", token)
    assert config == primary.admin("portaladmin/security/config", token)
    # A user default setting made on one machine is read on the other at once.
    fields = {"role": "org_publisher", "userLicenseType": "creatorUT"}
    assert standby.admin("sharing/rest/portals/self/setUserDefaultSettings", token, **fields)
    read = primary.admin("sharing/rest/portals/self/userDefaultSettings", token)
    assert read["role"] == "org_publisher"


# ---- a key change: the primary restarts, then the standby, old key until then ----


def test_key_change_restarts_the_primary_then_the_standby(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = ha(start_emulator, clock=clock, standby_restart_delay_seconds=1.5)
    portal = emu.portal()
    primary_m, standby_m = portal.machines
    lb, primary, standby = RawPortal(emu), RawPortal(emu, machine=1), RawPortal(emu, machine=2)
    old_token = lb.token()
    old_fingerprint = primary_m.shared_key_fingerprint
    # The change reaches the standby (through the balancer or directly): the primary restarts.
    assert standby.update_key(old_token, NEW_KEY)["status"] == "success"
    assert primary_m.phase == "lag"
    assert standby_m.phase == "up"
    assert portal.phase == "lag"

    clock.advance(0.1 + 0.3 + 0.05)  # its lag and restart: 0.45 s
    assert (primary_m.restart_count, primary_m.phase) == (1, "up")
    # The primary runs the new key; the standby still the old one, waiting for its turn.
    assert primary_m.shared_key_fingerprint == fingerprint(NEW_KEY)
    assert standby_m.shared_key_fingerprint == old_fingerprint
    assert standby_m.phase == "lag"
    assert standby_m.restart_count == 0
    assert portal.phase == "lag"
    new_on_primary = primary.token()
    old_on_standby = standby.token()
    assert standby.admin("portaladmin", new_on_primary)["error"]["code"] == 498
    assert primary.admin("portaladmin", old_on_standby)["error"]["code"] == 498
    assert standby.admin("portaladmin", old_token)["version"] == "11.3.0"  # still valid there
    assert primary.admin("portaladmin", old_token)["error"]["code"] == 498
    assert standby.admin("portaladmin/security/tokens", old_on_standby)["sharedKey"] == NEW_KEY

    # The standby restarts standby_restart_delay_seconds after the primary came up (0.4 s).
    clock.advance(1.4)  # 1.85 s
    assert standby_m.phase == "lag"
    clock.advance(0.1)  # 1.95 s
    assert standby_m.is_restarting
    assert standby.health().status_code == 503
    assert lb.health().status_code == 200  # the balancer sends everything to the primary
    assert portal.phase == "down"
    clock.advance(0.3)  # 2.25 s: its restart ended at 2.2
    assert portal.phase == "up"
    assert standby_m.shared_key_fingerprint == fingerprint(NEW_KEY)
    assert standby.admin("portaladmin", new_on_primary)["version"] == "11.3.0"
    assert standby.admin("portaladmin", old_token)["error"]["code"] == 498
    assert (primary_m.restart_count, standby_m.restart_count) == (1, 1)
    assert portal.restart_count == 1  # the portal's (the primary's) count
    assert portal.update_count == 1
    primary_up, standby_up = primary_m.came_up_at, standby_m.came_up_at
    assert primary_up is not None
    assert standby_up is not None
    assert standby_up > primary_up  # wall-clock times (the delay is proven above)
    assert portal.came_up_at == standby_up  # the last machine


def test_summary_shows_each_machine(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    lb = RawPortal(emu)
    lb.update_key(lb.token(), NEW_KEY)
    assert wait_for(lambda: emu.portal().primary.restart_count == 1, HANG_GUARD)
    summary = emu.portal().summary()
    names = [m["name"] for m in summary["machines"]]
    assert names == [PRIMARY, STANDBY]
    assert summary["machines"][1]["admin_url"] == emu.machine_urls()[1]
    assert NEW_KEY not in json.dumps(summary)
    assert emu.portal().wait_until_up(HANG_GUARD)
    fingerprints = {m["shared_key_fingerprint"] for m in emu.portal().summary()["machines"]}
    assert fingerprints == {fingerprint(NEW_KEY)}


def test_config_change_runs_on_each_machine_after_its_restart(
    start_emulator: StartEmulator,
) -> None:
    clock = ManualClock()
    emu = ha(start_emulator, clock=clock)
    portal = emu.portal()
    lb = RawPortal(emu)
    token = lb.token()
    before = portal.security_config
    lb.update_config(
        token, {**lb.admin("portaladmin/security/config", token), "disableServicesDirectory": True}
    )
    clock.advance(0.1 + 0.3)  # the primary's lag and restart
    assert (portal.primary.restart_count, portal.primary.phase) == (1, "up")
    assert portal.primary.running_security_config["disableServicesDirectory"] is True
    assert portal.machine(2).running_security_config == before
    clock.advance(1.0 + 0.3)  # the standby's wait and restart
    assert portal.phase == "up"
    assert portal.machine(2).running_security_config["disableServicesDirectory"] is True
    assert "token" in lb.token_response()  # a config change keeps the key: tokens live on


def test_an_update_during_the_standby_wait_restarts_each_machine_again(
    start_emulator: StartEmulator,
) -> None:
    clock = ManualClock()
    emu = ha(start_emulator, clock=clock)
    portal = emu.portal()
    lb = RawPortal(emu, machine=1)
    lb.update_key(lb.token(), NEW_KEY)
    clock.advance(0.1 + 0.3)  # the primary's lag and restart
    assert (portal.primary.restart_count, portal.primary.phase) == (1, "up")
    assert portal.machine(2).phase == "lag"  # its wait of 1 s
    lb.update_key(lb.token(), "i" * 32)
    clock.advance(0.1 + 0.3)  # the primary again
    clock.advance(1.0 + 0.3)  # the standby: its restart, then the one the second asked for
    clock.advance(1.0 + 0.3)
    assert portal.phase == "up"
    assert portal.primary.restart_count == 2
    assert portal.machine(2).restart_count == 2
    assert {m.shared_key_fingerprint for m in portal.machines} == {fingerprint("i" * 32)}


# ---- faults and both machines down ----


def test_faults_can_target_one_machine(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    emu.faults.add(Fault(action="http", status=500, machine=STANDBY, path="portaladmin/*"))
    lb = RawPortal(emu)
    assert [lb.health().status_code for _ in range(4)] == [200, 500, 200, 500]
    assert RawPortal(emu, machine=1).health().status_code == 200


def test_both_down_the_balancer_answers_503(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = ha(start_emulator, clock=clock, standby_restart_delay_seconds=0.0)
    portal = emu.portal()
    hold = emu.faults.add(Fault(action="restart_forever", machine=STANDBY))
    lb = RawPortal(emu, machine=1)
    lb.update_key(lb.token(), NEW_KEY)
    clock.advance(0.1 + 0.3)  # the primary's lag and restart; the standby's restart starts
    assert portal.machine(2).is_restarting
    assert portal.primary.phase == "up"  # the hold took the standby's restart only
    lb.update_key(lb.token(), "j" * 32)  # now the primary goes down as well
    clock.advance(0.1)
    assert portal.primary.is_restarting
    emu.clear_log()
    response = RawPortal(emu).health()
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    (record,) = emu.request_log
    assert record.machine is None
    assert record.status == 503
    emu.faults.remove(hold)
    clock.advance(0.3)  # the primary's restart; the standby's queued one after it
    clock.advance(0.3)
    assert portal.phase == "up"
    assert RawPortal(emu).health().status_code == 200


def test_refuse_mode_closes_a_restarting_machine_port(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator, down_mode="refuse", standby_restart_delay_seconds=5.0)
    portal = emu.portal()
    lb = RawPortal(emu)
    hold = emu.faults.add(Fault(action="restart_forever", machine=PRIMARY))
    lb.update_key(lb.token(), NEW_KEY)
    assert wait_for(lambda: portal.primary.is_restarting, HANG_GUARD)
    assert wait_for(lambda: refused(emu.machine_urls()[0]), HANG_GUARD)
    assert not refused(emu.machine_urls()[1])
    assert [lb.health().status_code for _ in range(3)] == [200, 200, 200]  # the standby
    assert {r.machine for r in emu.request_log[-3:]} == {STANDBY}
    emu.faults.remove(hold)
    assert wait_for(lambda: not refused(emu.machine_urls()[0]), HANG_GUARD)


# ---- a machine whose adminURL the functions cannot reach (FAULTS row 32) ----


def test_unreachable_machine(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator, unreachable_machine=2)
    lb = RawPortal(emu)
    listed = machines(lb, lb.token())
    assert listed[1]["adminURL"] == emu.machine_urls()[1]
    assert refused(emu.machine_urls()[1])
    with pytest.raises(requests.ConnectionError):
        RawPortal(emu, machine=2).health()
    assert RawPortal(emu, machine=1).health().status_code == 200
    emu.clear_log()
    for _ in range(2):
        assert lb.health().status_code == 200  # the balancer still reaches it
    assert [r.machine for r in emu.request_log] == [PRIMARY, STANDBY]
    assert emu.portal().summary()["machines"][1]["reachable_directly"] is False


def test_status_of_a_restarting_machine(start_emulator: StartEmulator) -> None:
    emu = ha(start_emulator)
    portal = emu.portal()
    primary = RawPortal(emu, machine=1)
    token = primary.token()
    hold = emu.faults.add(Fault(action="restart_forever", machine=STANDBY))
    primary.update_config(token, primary.admin("portaladmin/security/config", token))
    assert wait_for(lambda: portal.machine(2).is_restarting, HANG_GUARD)
    body = primary.admin(f"portaladmin/machines/status/{STANDBY}", token)
    assert body["status"] == "error"
    assert STANDBY in body["messages"][0]
    assert primary.admin(f"portaladmin/machines/status/{PRIMARY}", token) == {"status": "success"}
    emu.faults.remove(hold)
    assert portal.wait_until_up(HANG_GUARD)
    assert primary.admin(f"portaladmin/machines/status/{STANDBY}", token) == {"status": "success"}


def test_warm_up_is_per_machine(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = ha(
        start_emulator, clock=clock, token_warmup_seconds=0.8, standby_restart_delay_seconds=0.2
    )
    portal = emu.portal()
    lb = RawPortal(emu)
    lb.update_key(lb.token(), NEW_KEY)
    clock.advance(0.1 + 0.3 + 0.2 + 0.3)  # both restarts: the standby is up at 0.9 s
    assert (portal.machine(2).restart_count, portal.phase) == (1, "up")
    assert portal.machine(2).warming_up
    standby = RawPortal(emu, machine=2)
    body = standby.post_form(
        "sharing/rest/generateToken",
        {
            "username": portal.settings.admin_username,
            "password": portal.settings.admin_password,
            "referer": REFERER,
            "f": "json",
        },
    )
    assert body.status_code == 503
    assert standby.health().status_code == 200
    clock.advance(0.8)
    assert not portal.machine(2).warming_up
    assert "token" in standby.token_response()


def test_one_machine_behaves_as_before(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast())
    portal = emu.portal()
    assert not portal.is_highly_available
    assert len(portal.machines) == 1
    raw = RawPortal(emu)
    raw.update_key(raw.token(), NEW_KEY)
    assert portal.wait_until_up(HANG_GUARD)
    assert portal.restart_count == 1
    assert portal.came_up_at == portal.primary.came_up_at
    time.sleep(0.05)
    assert portal.phase == "up"


def test_refuse_mode_is_allowed_for_ha_beside_other_portals() -> None:
    PortalEmulator([PortalSettings(), PortalSettings(context="ha", machines=2, down_mode="refuse")])
