"""Hosting in-process: context manager, clean and bounded stop, one start only."""

from __future__ import annotations

import socket
import threading

import pytest
from portal_local.emulator import PortalEmulator, PortalSettings

from .helpers import HANG_GUARD, RawPortal, fast, wait_for

pytestmark = pytest.mark.emulator


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("emulator-")]


def test_stop_is_clean_and_bounded_with_open_connections() -> None:
    with PortalEmulator(fast()) as emu:
        raw = RawPortal(emu)
        raw.health()  # a keep-alive connection stays open
        idle = socket.create_connection(("127.0.0.1", emu.port))  # never says a word
        assert wait_for(lambda: len(_emulator_threads()) >= 3, timeout=HANG_GUARD)
    # Bounded: the stop returned (an idle connection cannot hold it; pytest's timeout
    # would end a hang), and it left no thread behind.
    assert wait_for(lambda: _emulator_threads() == [], timeout=HANG_GUARD)
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emu.port), timeout=1)


def test_a_stopped_port_can_be_used_again() -> None:
    with PortalEmulator(fast()) as first:
        RawPortal(first).health()
        port = first.port
    with PortalEmulator(fast(), port=port) as second:
        assert RawPortal(second).health().status_code == 200


def test_starts_once() -> None:
    emu = PortalEmulator(fast()).start()
    try:
        with pytest.raises(RuntimeError):
            emu.start()
    finally:
        emu.stop()


def test_defaults_and_lookup() -> None:
    emu = PortalEmulator()
    assert emu.portal().settings == PortalSettings()
    assert emu.portal("/arcgis/") is emu.portal()
    with pytest.raises(KeyError):
        emu.portal("other")


@pytest.mark.parametrize(
    "settings",
    [
        [],
        [PortalSettings(), PortalSettings()],
    ],
)
def test_invalid_server_layouts(settings: list[PortalSettings]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies
        PortalEmulator(settings)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"context": ""},
        {"context": "__emulator"},
        {"tls_variant": "broken"},
        {"down_mode": "slow"},
        {"generated_key_mode": "maybe"},
        {"restart_seconds": -1},
        {"token_max_minutes": 0},
        {"viewer_username": "portaladmin"},
    ],
)
def test_invalid_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies
        PortalSettings(**kwargs)  # type: ignore[arg-type]


def test_a_highly_available_portal_stops_every_machine() -> None:
    with PortalEmulator(fast(machines=2, unreachable_machine=2)) as emu:
        ports = [int(url.rsplit(":", 1)[1].split("/", 1)[0]) for url in emu.machine_urls()]
        assert RawPortal(emu, machine=1).health().status_code == 200
    assert wait_for(lambda: _emulator_threads() == [], timeout=HANG_GUARD)
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
