"""Fixtures for testing the Portal emulator on its own, over real sockets on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from portal_local.emulator import PortalEmulator, PortalSettings

from .helpers import RawPortal, StartEmulator, fast


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    """Start emulators (sub-second restarts unless settings are given); all stopped after."""
    started: list[PortalEmulator] = []

    def start(*settings: PortalSettings, **kwargs: Any) -> PortalEmulator:
        emu = PortalEmulator(list(settings) or [fast()], **kwargs)
        started.append(emu)
        return emu.start()

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(start_emulator: StartEmulator) -> PortalEmulator:
    return start_emulator()


@pytest.fixture
def raw(emu: PortalEmulator) -> RawPortal:
    return RawPortal(emu)
