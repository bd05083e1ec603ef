"""generateToken and token handling (PORTAL_API.md sections 1-3)."""

from __future__ import annotations

import time

import pytest
from portal_local.emulator import PortalEmulator

from .helpers import REFERER, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

ADMIN_ROOT = "portaladmin"


def test_generate_token_answers_token_expires_ssl(raw: RawPortal) -> None:
    before = time.time() * 1000
    body = raw.token_response(expiration="60")
    assert set(body) == {"token", "expires", "ssl"}
    assert body["ssl"] is True
    assert len(body["token"]) >= 64
    assert before + 59 * 60_000 < body["expires"] < before + 61 * 60_000


def test_tokens_are_opaque_and_unique(raw: RawPortal) -> None:
    tokens = {raw.token() for _ in range(5)}
    assert len(tokens) == 5
    assert not any(raw.portal.settings.admin_password in t for t in tokens)


def test_expiration_defaults_to_60_minutes_and_is_capped(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(fast(token_max_minutes=30))
    raw = RawPortal(emu)
    now = time.time() * 1000
    default = raw.post(
        "sharing/rest/generateToken",
        username="portaladmin",
        password=raw.portal.settings.admin_password,
        referer=REFERER,
        f="json",
    ).json()
    assert default["expires"] < now + 31 * 60_000  # 60 by default, capped at 30
    capped = raw.token_response(expiration="600000")
    assert capped["expires"] < now + 31 * 60_000


def test_bad_credentials_error_shape(raw: RawPortal) -> None:
    response = raw.post(
        "sharing/rest/generateToken",
        username="portaladmin",
        password="wrong",
        referer=REFERER,
        f="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "error": {
            "code": 400,
            "message": "Unable to generate token.",
            "details": ["Invalid username or password."],
        }
    }


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"username": ""}, "'username' must be specified."),
        ({"password": ""}, "'password' must be specified."),
        ({"referer": ""}, "'referer' must be specified."),
        ({"client": "ip"}, "'ip' must be specified."),
        ({"client": "browser"}, "Invalid client type 'browser'."),
        ({"expiration": "soon"}, "Invalid expiration."),
    ],
)
def test_generate_token_field_errors(raw: RawPortal, fields: dict[str, str], detail: str) -> None:
    body = raw.token_response(**fields)
    assert body["error"]["code"] == 400
    assert body["error"]["details"] == [detail]


def test_generate_token_is_post_only(raw: RawPortal) -> None:
    response = raw.get("sharing/rest/generateToken", f="json")
    assert response.status_code == 200
    assert response.json()["error"]["code"] == 405


def test_missing_token_is_499(raw: RawPortal) -> None:
    body = raw.post(ADMIN_ROOT, f="json").json()
    assert body["error"]["code"] == 499
    assert body["error"]["message"] == "Token Required."


def test_unknown_token_is_498(raw: RawPortal) -> None:
    body = raw.admin(ADMIN_ROOT, "not-a-token")
    assert body == {"error": {"code": 498, "message": "Invalid token.", "details": []}}


def test_referer_binding(raw: RawPortal) -> None:
    token = raw.token()
    assert "version" in raw.admin(ADMIN_ROOT, token)
    other = raw.post(ADMIN_ROOT, token=token, f="json", referer_header="https://evil.example.com")
    assert other.json()["error"]["code"] == 498
    missing = raw.post(ADMIN_ROOT, token=token, f="json", referer_header=None)
    assert missing.json()["error"]["code"] == 498


def test_ip_binding(raw: RawPortal) -> None:
    mine = raw.token(client="ip", ip="127.0.0.1", referer="")
    assert "version" in raw.post(ADMIN_ROOT, token=mine, f="json", referer_header=None).json()
    other = raw.token(client="ip", ip="10.1.2.3", referer="")
    assert raw.post(ADMIN_ROOT, token=other, f="json").json()["error"]["code"] == 498


def test_requestip_binds_to_the_caller(raw: RawPortal) -> None:
    token = raw.token(client="requestip", referer="")
    assert "version" in raw.post(ADMIN_ROOT, token=token, f="json", referer_header=None).json()


def test_expired_token_is_498(raw: RawPortal) -> None:
    token = raw.token()
    raw.portal.expire_tokens()
    assert raw.admin(ADMIN_ROOT, token)["error"]["code"] == 498


def test_token_in_the_esri_header_on_every_version(raw: RawPortal) -> None:
    token = raw.token()
    response = raw.post(ADMIN_ROOT, f="json", headers={"X-Esri-Authorization": f"Bearer {token}"})
    assert response.json()["version"] == "11.3.0"


@pytest.mark.parametrize(("version", "accepted"), [("11.3", False), ("11.4", True), ("12.1", True)])
def test_an_authorization_bearer_header_counts_from_11_4(
    start_emulator: StartEmulator, version: str, accepted: bool
) -> None:
    """PORTAL_API.md 2: Esri's arcgis-gitops sends ``Authorization: Bearer`` to
    portaladmin on 11.4 to 12.0; below 11.4 the header is not a token carrier here."""
    raw = RawPortal(start_emulator(fast(version=version)))
    header = {"Authorization": f"Bearer {raw.token()}"}
    for response in (
        raw.post(ADMIN_ROOT, f="json", headers=header),
        raw.get(ADMIN_ROOT, f="json", headers=header),
    ):
        body = response.json()
        assert ("version" in body) is accepted, body
        if not accepted:
            assert body["error"]["code"] == 499


def test_a_token_in_the_query_string_is_refused_and_logged(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    """Stricter than a real portal, so that a client that puts a token in a URL fails."""
    token = raw.token()
    emu.clear_log()
    for response in (
        raw.get(ADMIN_ROOT, f="json", token=token),
        raw.post(ADMIN_ROOT, f="json", params={"token": token}),
        raw.post(ADMIN_ROOT, f="json", token=token, params={"token": token}),
    ):
        error = response.json()["error"]
        assert error["code"] == 499
        assert "query string" in error["details"][0]
    assert all("token" in record.query_keys for record in emu.request_log)


def test_request_log_names_only(raw: RawPortal, emu: PortalEmulator) -> None:
    token = raw.token()
    raw.admin(ADMIN_ROOT, token)
    records = emu.request_log
    assert [r.path for r in records] == [
        "/arcgis/sharing/rest/generateToken",
        "/arcgis/portaladmin",
    ]
    assert records[0].body_keys == ("username", "password", "client", "referer", "expiration", "f")
    assert records[1].body_keys == ("token", "f")
    assert "referer" in records[1].header_names
    assert all(r.status == 200 and r.context == "arcgis" for r in records)
    assert token not in repr(records)
    assert raw.portal.settings.admin_password not in repr(records)


def test_viewer_is_not_authorized(raw: RawPortal) -> None:
    token = raw.viewer_token()
    body = raw.admin("portaladmin/security/tokens", token)
    assert body["error"]["code"] == 403


def test_token_of_another_portal_is_invalid(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(context="one"), fast(context="two"))
    one, two = RawPortal(emu, "one"), RawPortal(emu, "two")
    assert two.admin(ADMIN_ROOT, one.token())["error"]["code"] == 498


def test_http_refused_unless_allowed(start_emulator: StartEmulator) -> None:
    closed = RawPortal(start_emulator(fast(tls=False)))
    assert closed.url.startswith("http://")
    assert closed.token_response()["error"] == {
        "code": 403,
        "message": "SSL Required",
        "details": [],
    }
    opened = RawPortal(start_emulator(fast(tls=False, http_allowed=True)))
    body = opened.token_response()
    assert body["ssl"] is False
    assert opened.admin(ADMIN_ROOT, body["token"])["version"] == "11.3.0"


def test_mint_token_helper(raw: RawPortal) -> None:
    token = raw.portal.mint_token(referer=REFERER)
    assert raw.admin(ADMIN_ROOT, token)["version"] == "11.3.0"


def test_credentials_in_the_query_string_work_and_show_in_the_log(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    settings = raw.portal.settings
    query = {"username": settings.admin_username, "password": settings.admin_password}
    response = raw.post("sharing/rest/generateToken", params=query, referer=REFERER, f="json")
    assert "token" in response.json()
    record = emu.request_log[-1]
    assert set(record.query_keys) == {"username", "password"}
    assert settings.admin_password not in repr(record)
