"""ServerClient against emulated ArcGIS Server sites over TLS (SERVER_API.md 1-7), with
the canary and request-log checks of every client test (conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from portal_automation.domain.server_key import generate_server_key
from portal_automation.errors import (
    InsecurePortalUrl,
    InvalidSharedKey,
    PortalAuthFailed,
    PortalRequestRejected,
    PortalTlsError,
    PortalUnavailable,
    UnsupportedTokenManager,
)
from portal_automation.portal import AdminSession, PortalToken
from portal_automation.portal.url import UrlPolicy
from portal_automation.sensitive import Secret
from portal_automation.server import ServerClient, TokenManagerConfig, site_url_of
from portal_local.emulator import Fault, PortalEmulator

from .support import (
    CANARY_PASSWORD,
    S113,
    S115,
    S120,
    S1091,
    SITE_ADMIN,
    Canary,
    paths,
    running,
    server_settings,
    since,
)

pytestmark = pytest.mark.client

PASSWORD = Secret(CANARY_PASSWORD)
WRONG_PASSWORD = "-".join(("CANARY", "wrong", "site", "pw"))
UPDATE = "admin/security/tokens/update"


def _token(server: ServerClient, **kwargs: Any) -> PortalToken:
    return server.generate_token(SITE_ADMIN, PASSWORD, **kwargs)


# --- generateToken -----------------------------------------------------------------


def test_generate_token_posts_to_the_admin_directory(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient]
) -> None:
    client = make_server()
    mark = len(server_emu.request_log)
    before = datetime.now(UTC)
    token = _token(client, expiration_minutes=7)
    after = datetime.now(UTC)
    (record,) = since(server_emu, mark)
    assert (record.method, record.path) == ("POST", f"/{S113}/admin/generateToken")
    assert set(record.body_keys) == {"username", "password", "client", "referer", "expiration", "f"}
    assert record.query_keys == ()
    # the site answers the expiry as a string of digits
    assert before + timedelta(minutes=7) - timedelta(seconds=1) <= token.expires_at
    assert token.expires_at <= after + timedelta(minutes=7) + timedelta(seconds=1)
    assert token.referer == client.referer == server_emu.url(S113)
    assert client.info(token).version.parts == (11, 3)


def test_a_wrong_password_is_an_auth_failure(
    make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    canary.add(WRONG_PASSWORD)
    with canary.raises(PortalAuthFailed) as caught:
        make_server().generate_token(SITE_ADMIN, Secret(WRONG_PASSWORD))
    assert caught.value.code == 400
    assert "Invalid user name or password" in str(caught.value)
    assert SITE_ADMIN in str(caught.value)


def test_tokens_bound_to_the_requesting_address(make_server: Callable[..., ServerClient]) -> None:
    client = make_server()
    by_address = _token(client, client="requestip")
    assert by_address.referer is None
    assert client.info(by_address).build == "51575"
    named = _token(client, client="ip", ip="127.0.0.1")
    assert client.info(named).build == "51575"


# --- info, machines -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "version", "build"),
    [(S113, (11, 3), "51575"), (S115, (11, 5), "56632"), (S120, (12, 0), "60100")],
)
def test_info_per_version(
    make_server: Callable[..., ServerClient],
    context: str,
    version: tuple[int, ...],
    build: str,
) -> None:
    client = make_server(context)
    info = client.info(_token(client))
    assert (info.version.parts, info.build) == (version, build)


def test_info_falls_back_to_currentversion(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient]
) -> None:
    client = make_server(S1091)
    token = _token(client)
    assert server_emu.server(S1091).settings.info_has_full_version is False
    assert str(client.info(token).version) == "10.9.1"


def test_machines_of_a_site_and_their_base_urls(
    make_server: Callable[..., ServerClient],
) -> None:
    with running(server_settings("11.3", "multi", machines=3)) as emu:
        client = make_server("multi", emu=emu)
        token = _token(client)
        machines = client.machines(token)
        assert [m.name for m in machines] == [
            f"SERVER-{n}.MULTI.INTERNAL.INVALID" for n in (1, 2, 3)
        ]
        assert [m.admin_url for m in machines] == emu.machine_urls("multi")
        for machine in machines:
            base = site_url_of(machine.admin_url)
            assert base == machine.admin_url.removesuffix("/admin")
            # the token made at the site's URL (same referer) works on the machine itself
            direct = make_server(emu=emu, url=base, referer=client.referer)
            assert direct.info(token).version.parts == (11, 3)
            assert direct.health().ready
        machine_names = {r.machine for r in emu.request_log if r.direct}
        assert machine_names == {m.name for m in machines}


@pytest.mark.parametrize(
    "admin_url",
    ["https://m.example.com:6443/arcgis", "https://m.example.com:6443/arcgis/admin/x"],
)
def test_an_admin_url_not_ending_in_admin_is_refused(admin_url: str) -> None:
    with pytest.raises(Exception, match="does not end in /admin"):
        site_url_of(admin_url)


# --- the token manager ----------------------------------------------------------------


def test_read_token_config_keeps_the_key_secret(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    client = make_server()
    config = client.read_token_config(_token(client))
    site = server_emu.server(S113)
    assert config.is_builtin
    assert config.shared_key is not None
    assert config.shared_key.reveal() == site.stored_shared_key
    assert dict(config.properties) == {"longTimeout": "2880", "shortTimeout": "120"}
    assert site.stored_shared_key not in canary.text(repr(config))
    assert client.read_shared_key(_token(client)).reveal() == site.stored_shared_key


def test_update_posts_everything_back_with_only_the_key_changed(
    make_server: Callable[..., ServerClient],
) -> None:
    custom = {"customProperty": {"nested": [1, "two"]}, "longTimeout": "600"}
    with running(server_settings("11.3", "whole", initial_token_properties=custom)) as emu:
        client = make_server("whole", emu=emu)
        token = _token(client)
        before = emu.server("whole").token_manager_config
        key = generate_server_key()
        assert client.update_shared_key(token, key).recheck_after_seconds == 0
        after = emu.server("whole").token_manager_config
        assert after == {
            **before,
            "properties": {**before["properties"], "sharedKey": key.reveal()},
        }
        (update,) = paths(emu.request_log, UPDATE)
        assert set(update.body_keys) == {"f", "token", "tokenManagerConfig"}
        # no restart: the old token is dead at once, a fresh one works
        with pytest.raises(PortalAuthFailed) as caught:
            client.info(token)
        assert caught.value.code == 498
        assert client.info(_token(client)).version.parts == (11, 3)


def test_a_session_renews_its_token_after_the_key_changed(
    make_server: Callable[..., ServerClient],
) -> None:
    with running(server_settings("12.0", "renew")) as emu:
        client = make_server("renew", emu=emu)
        session = AdminSession(client, SITE_ADMIN, PASSWORD)
        session.call(client.read_token_config)
        emu.server("renew").set_shared_key(generate_server_key().reveal())
        assert session.call(client.info).version.parts == (12, 0)


def test_a_bad_key_is_refused_before_anything_is_sent(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    client = make_server()
    token = _token(client)
    mark = len(server_emu.request_log)
    for bad in ("short", "x" * 43, "has-a-dash-" * 4):
        canary.add(bad)
        with canary.raises(InvalidSharedKey):
            client.update_shared_key(token, Secret(bad))
    with pytest.raises(ValueError, match="does not generate"):
        client.update_shared_key(token, None)
    assert since(server_emu, mark) == []


def test_a_token_manager_other_than_builtin_is_refused_before_any_update(
    make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    with running(server_settings("11.5", "other", token_manager_type="EXTERNAL")) as emu:
        client = make_server("other", emu=emu)
        token = _token(client)
        config = client.read_token_config(token)
        assert (config.type, config.shared_key) == ("EXTERNAL", None)
        with canary.raises(UnsupportedTokenManager, match="'EXTERNAL', not BUILTIN"):
            client.read_shared_key(token)
        with canary.raises(UnsupportedTokenManager):
            client.update_shared_key(token, generate_server_key())
        forced = TokenManagerConfig("EXTERNAL", {}, generate_server_key())
        with canary.raises(UnsupportedTokenManager):
            client.update_token_config(token, forced)
        assert paths(emu.request_log, UPDATE) == []
        assert emu.server("other").update_count == 0


def test_a_key_the_site_refuses_is_a_rejection(
    make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    with running(server_settings("11.3", "strict", refused_key_length=32)) as emu:
        site = emu.server("strict")
        before = site.stored_shared_key
        client = make_server("strict", emu=emu)
        with canary.raises(PortalRequestRejected, match="alphanumeric") as caught:
            client.update_shared_key(_token(client), generate_server_key())
        assert caught.value.code == 500
        assert site.stored_shared_key == before
        assert site.update_count == 0


def test_an_update_cut_off_is_unknown_and_never_repeated(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient], canary: Canary
) -> None:
    client = make_server()
    token = _token(client)
    server_emu.faults.add(Fault(action="reset", path=UPDATE, times=3))
    mark = len(server_emu.request_log)
    with canary.raises(PortalUnavailable, match="outcome unknown"):
        client.update_shared_key(token, generate_server_key())
    assert len(paths(since(server_emu, mark), UPDATE)) == 1


@pytest.mark.parametrize(
    "case",
    [
        ("Token Expired.", 498, PortalAuthFailed),
        ("Unauthorized access. Token not found.", 499, PortalAuthFailed),
        ("Not permitted.", 403, PortalAuthFailed),
        ("Something failed.", 500, PortalRequestRejected),
    ],
)
def test_status_errors_with_http_200_are_named(
    server_emu: PortalEmulator,
    make_server: Callable[..., ServerClient],
    canary: Canary,
    case: tuple[str, int, type[Exception]],
) -> None:
    message, code, error = case
    client = make_server()
    token = _token(client)
    server_emu.faults.add(
        Fault(action="error", path="admin/info", style="status", code=code, message=message)
    )
    with canary.raises(error) as caught:
        client.info(token)
    assert getattr(caught.value, "code", None) == code
    assert message in str(caught.value)


# --- health ------------------------------------------------------------------------


def test_health_across_a_restart(make_server: Callable[..., ServerClient]) -> None:
    settings = server_settings("11.3", "restarts", key_update_restarts=True)
    with running(settings) as emu:
        client = make_server("restarts", emu=emu)
        assert client.health().ready
        client.update_shared_key(_token(client), generate_server_key())
        site = emu.server("restarts")
        assert site.wait_until(lambda s: s.is_restarting, timeout=3)
        down = client.health()
        assert (down.ready, down.detail) == (False, "HTTP 503")
        assert site.wait_until_up(timeout=3)
        assert client.health().ready


def test_health_is_not_ready_unless_it_says_success(
    server_emu: PortalEmulator, make_server: Callable[..., ServerClient]
) -> None:
    client = make_server()
    for body in ('{"success": false}', "[]", "<html>up</html>"):
        server_emu.faults.add(
            Fault(action="http", path="rest/info/healthCheck", status=200, body=body, times=1)
        )
        assert not client.health().ready
    assert client.health().ready


def test_https_only_and_tls_verified(server_emu: PortalEmulator) -> None:
    with pytest.raises(InsecurePortalUrl):
        ServerClient("http://gis.example.com:6080/arcgis")
    client = ServerClient(server_emu.url(S113), policy=UrlPolicy(allow_local=True))
    with pytest.raises(PortalTlsError):  # the emulator's CA is not trusted by default
        client.generate_token(SITE_ADMIN, PASSWORD)
    client.close()
