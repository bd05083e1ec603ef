"""Token service warm-up: after a restart, health is OK before generateToken answers
(PORTAL_API.md 7; FAULTS row 30)."""

from __future__ import annotations

import pytest
from portal_local.emulator import PortalEmulator
from portal_local.emulator.clock import ManualClock

from .helpers import HANG_GUARD, REFERER, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

GENERATE_TOKEN = "sharing/rest/generateToken"
NEW_KEY = "w" * 32


def generate(raw: RawPortal) -> tuple[int, str]:
    settings = raw.portal.settings
    response = raw.post(
        GENERATE_TOKEN,
        username=settings.admin_username,
        password=settings.admin_password,
        referer=REFERER,
        f="json",
    )
    return response.status_code, response.headers["Content-Type"]


def test_generate_token_waits_for_the_token_service(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu: PortalEmulator = start_emulator(
        fast(restart_lag_seconds=0.05, restart_seconds=0.2, token_warmup_seconds=1.0),
        clock=clock,
    )
    raw = RawPortal(emu)
    assert "token" in raw.token_response()  # no warm-up when the emulator starts
    raw.update_key(raw.token(), NEW_KEY)
    clock.advance(0.05 + 0.2)
    assert (raw.portal.restart_count, raw.portal.phase) == (1, "up")
    assert raw.portal.primary.warming_up

    # Warm-up: health says success, other endpoints answer, generateToken is 503 HTML.
    emu.clear_log()
    assert raw.health().json() == {"status": "success"}
    status, content_type = generate(raw)
    assert status == 503
    assert content_type.startswith("text/html")
    admin_token = raw.portal.mint_token(referer=REFERER)
    assert raw.admin("portaladmin", admin_token)["version"] == "11.3.0"
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in emu.request_log] == [
        ("healthCheck", 200),
        ("generateToken", 503),
        ("portaladmin", 200),
    ]
    assert raw.portal.summary()["machines"][0]["warming_up"] is True

    clock.advance(0.99)
    assert generate(raw)[0] == 503  # still warming up, a moment before its end

    # After it: tokens again, and the state says so.
    clock.advance(0.01)
    assert generate(raw)[0] == 200
    assert not raw.portal.primary.warming_up
    assert raw.admin("portaladmin", raw.token())["version"] == "11.3.0"


def test_warm_up_follows_a_config_restart_too(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    raw = RawPortal(
        start_emulator(
            fast(restart_lag_seconds=0, restart_seconds=0.1, token_warmup_seconds=5), clock=clock
        )
    )
    token = raw.token()
    raw.update_config(token, raw.admin("portaladmin/security/config", token))
    clock.advance(0.1)
    assert raw.portal.phase == "up"
    assert generate(raw)[0] == 503
    assert raw.health().status_code == 200


def test_no_warm_up_by_default(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(restart_lag_seconds=0, restart_seconds=0.1)))
    raw.update_key(raw.token(), NEW_KEY)
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert not raw.portal.primary.warming_up
    assert generate(raw)[0] == 200


def test_negative_warm_up_is_refused() -> None:
    with pytest.raises(ValueError, match="token_warmup_seconds"):
        fast(token_warmup_seconds=-1)
