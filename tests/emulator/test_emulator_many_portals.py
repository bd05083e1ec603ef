"""Fifty portals on one server stay responsive under concurrent callers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .helpers import RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

PORTALS = 50


def test_fifty_portals_concurrently(start_emulator: StartEmulator) -> None:
    emu = start_emulator(*(fast(context=f"portal{i:02d}") for i in range(PORTALS)))

    def exercise(context: str) -> tuple[str, str, int]:
        raw = RawPortal(emu, context)
        token = raw.token()
        version = raw.admin("portaladmin", token)["version"]
        key = raw.admin("portaladmin/security/tokens", token)["sharedKey"]
        assert key == raw.portal.stored_shared_key
        return context, version, raw.health().status_code

    with ThreadPoolExecutor(max_workers=PORTALS) as pool:
        results = list(pool.map(exercise, [p.context for p in emu.portals]))
    assert len(results) == PORTALS
    assert all(version == "11.3.0" and status == 200 for _, version, status in results)
    assert len({p.shared_key for p in emu.portals}) == PORTALS  # every portal its own key
    assert len(emu.request_log) == 4 * PORTALS
