"""The restart after an accepted update: lag, down (HTML / refused), up with the new key."""

from __future__ import annotations

import socket

import pytest
import requests
from portal_local.emulator import PortalEmulator, PortalSettings
from portal_local.emulator.clock import ManualClock

from .helpers import FAST, HANG_GUARD, RawPortal, StartEmulator, fast, wait_for

pytestmark = pytest.mark.emulator

NEW_KEY = "n" * 32


def test_lag_then_down_then_up_with_the_new_key(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(fast(restart_lag_seconds=0.5, restart_seconds=1.0), clock=clock)
    raw = RawPortal(emu)
    old_token = raw.token()
    assert raw.update_key(old_token, NEW_KEY)["status"] == "success"

    # lag: the old process still answers, health included, and the old token works
    clock.advance(0.49)
    assert raw.portal.phase == "lag"
    assert raw.health().json() == {"status": "success"}
    assert "version" in raw.admin("portaladmin", old_token)
    assert not raw.portal.is_restarting

    # down: health 503 with an HTML body although f=json was asked, the rest 502 HTML
    clock.advance(0.01)
    assert raw.portal.is_restarting
    clock.advance(0.99)
    health = raw.health()
    assert health.status_code == 503
    assert health.headers["Content-Type"].startswith("text/html")
    other = raw.post("portaladmin", token=old_token, f="json")
    assert other.status_code == 502
    assert "<html>" in other.text
    assert raw.post("sharing/rest/generateToken", f="json").status_code == 502
    assert raw.portal.restart_count == 1

    # up: the new key runs, every earlier token is dead
    clock.advance(0.01)
    assert raw.health().status_code == 200
    assert raw.portal.shared_key == NEW_KEY
    assert raw.admin("portaladmin", old_token)["error"]["code"] == 498
    assert "version" in raw.admin("portaladmin", raw.token())
    assert raw.portal.restart_count == 1
    statuses = [r.status for r in emu.request_log if r.path.endswith("healthCheck")]
    assert statuses == [200, 503, 200]


def test_update_during_the_lag_restarts_twice(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    raw = RawPortal(start_emulator(fast(restart_lag_seconds=0.5, restart_seconds=0.2), clock=clock))
    token = raw.token()
    raw.update_key(token, NEW_KEY)
    clock.advance(0.4)  # still in the lag
    raw.update_key(token, "m" * 32)
    assert raw.portal.update_count == 2
    assert raw.portal.pending_restarts == 2
    clock.advance(0.35)  # 0.75 s: the first restart ended at 0.7, the second's lag runs
    assert raw.portal.restart_count == 1
    assert raw.portal.phase == "lag"
    clock.advance(0.7)  # 1.45 s: its lag ended at 1.2, its restart at 1.4
    assert raw.portal.restart_count == 2
    assert raw.portal.phase == "up"
    assert raw.portal.shared_key == "m" * 32


def test_restart_count_stays_when_nothing_is_updated(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    raw = RawPortal(start_emulator(fast(), clock=clock))
    raw.admin("portaladmin/security/config", raw.token())
    clock.advance(3600)
    assert raw.portal.restart_count == 0
    assert raw.portal.phase == "up"


def test_refuse_mode_closes_the_listening_socket(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(
        fast(down_mode="refuse", restart_lag_seconds=0.5, restart_seconds=0.8), clock=clock
    )
    raw = RawPortal(emu)
    token = raw.token()
    raw.update_key(token, NEW_KEY)
    assert raw.health().status_code == 200  # lag: still serving
    clock.advance(0.5)
    assert raw.portal.is_restarting

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", emu.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    assert wait_for(refused, timeout=HANG_GUARD)  # the listener closes (a thread polls)
    with pytest.raises(requests.ConnectionError):
        raw.health()
    clock.advance(0.8)
    assert not raw.portal.is_restarting
    assert wait_for(lambda: not refused(), timeout=HANG_GUARD)
    assert raw.health().json() == {"status": "success"}
    assert raw.admin("portaladmin", token)["error"]["code"] == 498


def test_refuse_mode_needs_a_single_portal() -> None:
    with pytest.raises(ValueError, match="refuse"):
        PortalEmulator([PortalSettings(down_mode="refuse"), PortalSettings(context="other")])


def test_restart_of_one_portal_leaves_the_others_up(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(fast(context="a", restart_seconds=5), fast(context="b"), clock=clock)
    a, b = RawPortal(emu, "a"), RawPortal(emu, "b")
    a.update_key(a.token(), NEW_KEY)
    clock.advance(FAST["restart_lag_seconds"])
    assert a.portal.is_restarting
    assert a.health().status_code == 503
    assert b.health().status_code == 200
    assert b.portal.restart_count == 0


def test_zero_length_restart(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(restart_seconds=0, restart_lag_seconds=0)))
    raw.update_key(raw.token(), NEW_KEY)
    assert raw.portal.shared_key == NEW_KEY
    assert raw.portal.restart_count == 1
