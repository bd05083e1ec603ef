"""security/tokens and tokens/update (PORTAL_API.md section 5)."""

from __future__ import annotations

import base64
import json

import pytest
from portal_local.emulator import PortalEmulator

from .helpers import HANG_GUARD, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

GOOD_BASE64 = base64.b64encode(bytes(range(32))).decode()
UPDATE = "portaladmin/security/tokens/update"


def test_read_returns_the_stored_key(raw: RawPortal) -> None:
    token = raw.token()
    for response in (
        raw.post("portaladmin/security/tokens", token=token, f="json"),
        raw.get_admin("portaladmin/security/tokens", token, f="json"),
    ):
        assert response.json() == {"sharedKey": raw.portal.stored_shared_key}
    assert len(raw.portal.shared_key) == 44
    assert len(base64.b64decode(raw.portal.shared_key)) == 32


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcdef", GOOD_BASE64])
def test_valid_key_is_stored_then_runs_after_the_restart(raw: RawPortal, key: str) -> None:
    old_key = raw.portal.shared_key
    token = raw.token()
    assert raw.update_key(token, key) == {"status": "success", "recheckAfterSeconds": 10}
    assert raw.portal.stored_shared_key == key
    assert raw.portal.shared_key == old_key  # not before the restart
    assert raw.portal.update_count == 1
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.portal.shared_key == key
    assert raw.portal.restart_count == 1
    assert raw.admin("portaladmin/security/tokens", raw.token()) == {"sharedKey": key}


@pytest.mark.parametrize(
    "config",
    [
        {"sharedKey": "short"},
        {"sharedKey": "x" * 33},
        {"sharedKey": "A" * 44},  # base64, but decodes to 33 bytes
        {"sharedKey": "!" * 43 + "="},  # 44 characters, not base64
        {"sharedKey": base64.b64encode(bytes(31)).decode()},
        {"sharedKey": 12345678901234567890123456789012},
        {"sharedKey": ""},
        {},
    ],
)
def test_bad_key_changes_nothing(raw: RawPortal, config: dict[str, object]) -> None:
    before = raw.portal.stored_shared_key
    token = raw.token()
    body = raw.admin(UPDATE, token, tokenConfig=json.dumps(config))
    assert body["error"]["code"] == 400
    assert raw.portal.stored_shared_key == before
    assert raw.portal.update_count == 0
    assert raw.portal.phase == "up"
    assert "version" in raw.admin("portaladmin", token)  # the token still works


@pytest.mark.parametrize("fields", [{}, {"tokenConfig": "{not json"}, {"tokenConfig": "[1]"}])
def test_missing_or_invalid_token_config(raw: RawPortal, fields: dict[str, str]) -> None:
    body = raw.admin(UPDATE, raw.token(), **fields)
    assert body["error"]["code"] == 400
    assert raw.portal.update_count == 0


def test_update_needs_admin(raw: RawPortal) -> None:
    body = raw.update_key(raw.viewer_token(), GOOD_BASE64)
    assert body["error"]["code"] == 403
    assert raw.portal.update_count == 0


@pytest.mark.parametrize("version", ["11.4", "11.5"])
def test_11_4_generates_a_new_key_on_every_call(
    start_emulator: StartEmulator, version: str
) -> None:
    raw = RawPortal(start_emulator(fast(version=version, restart_seconds=0.1)))
    seen = {raw.portal.stored_shared_key}
    for supplied in (None, "", GOOD_BASE64):
        assert raw.update_key(raw.token(), supplied)["status"] == "success"
        key = raw.portal.stored_shared_key
        assert key not in seen
        assert len(key) == 44
        assert len(base64.b64decode(key, validate=True)) == 32
        seen.add(key)
        assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.portal.shared_key == key
    assert raw.portal.restart_count == 3


def test_11_4_reject_mode_refuses_a_supplied_key(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(version="11.4", generated_key_mode="reject")))
    before = raw.portal.stored_shared_key
    assert raw.update_key(raw.token(), GOOD_BASE64)["error"]["code"] == 400
    assert raw.portal.stored_shared_key == before
    assert raw.portal.update_count == 0
    assert raw.update_key(raw.token(), None)["status"] == "success"
    assert raw.portal.stored_shared_key != before


def test_11_4_still_needs_token_config(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(version="11.4")))
    assert raw.admin(UPDATE, raw.token())["error"]["code"] == 400


def test_key_change_invalidates_every_earlier_token(raw: RawPortal, emu: PortalEmulator) -> None:
    old = raw.token()
    generation = raw.portal.token_key_generation
    raw.update_key(old, GOOD_BASE64)
    during_lag = raw.token()  # issued by the old process, with the old key
    assert "version" in raw.admin("portaladmin", old)
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.portal.token_key_generation == generation + 1
    assert raw.admin("portaladmin", old)["error"]["code"] == 498
    assert raw.admin("portaladmin", during_lag)["error"]["code"] == 498
    assert "version" in raw.admin("portaladmin", raw.token())


def test_same_key_restarts_but_keeps_tokens(raw: RawPortal) -> None:
    key = raw.portal.shared_key
    token = raw.token()
    raw.update_key(token, key)
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.portal.restart_count == 1
    assert "version" in raw.admin("portaladmin", token)


def test_set_shared_key_helper(raw: RawPortal) -> None:
    token = raw.token()
    raw.portal.set_shared_key(GOOD_BASE64)
    assert raw.portal.shared_key == raw.portal.stored_shared_key == GOOD_BASE64
    assert raw.admin("portaladmin", token)["error"]["code"] == 498
    assert raw.portal.restart_count == 0
