"""tests/fakes/server.FakeServer answers like an emulated site does through ServerClient.

The same scenario runs against ``ServerClient`` over TLS to the emulator and against
``FakeServerClient``: without a restart the new key runs at once (the old token is
refused, a fresh one works), with one it is stored at once and runs after the restart;
a token manager other than BUILTIN and a bad key are refused before anything is sent, a
key the site refuses changes nothing, a site that is down is "not ready", and machines
are listed at adminURLs that end in ``/admin``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from portal_automation.domain.server_key import generate_server_key
from portal_automation.errors import (
    InvalidSharedKey,
    PortalAuthFailed,
    PortalRequestRejected,
    PortalUnavailable,
    UnsupportedTokenManager,
)
from portal_automation.portal import AdminSession
from portal_automation.sensitive import Secret
from portal_automation.server import ServerClient
from portal_local.emulator import PortalEmulator

from tests.fakes.server import FakeServer, FakeServerClient

from .support import CANARY_PASSWORD, LOCAL, SITE_ADMIN, fast_settings, running, server_settings

SETTINGS = {
    "plain": {},
    "restarts": {"key_update_restarts": True},
    "external": {"token_manager_type": "EXTERNAL"},
    "refusing": {"refused_key_length": 0},
}
FAKE = {
    "plain": {},
    "restarts": {"restarts": True},
    "external": {"token_manager_type": "EXTERNAL"},
    "refusing": {"refuse_keys": True},
}


@dataclass
class Side:
    session: AdminSession
    restart: Callable[[], None]  # the accepted update's restart, done
    go_down: Callable[[], None]
    stored_key: Callable[[], str]
    updates: Callable[[], int]


@pytest.fixture(scope="module")
def emulator() -> Iterator[PortalEmulator]:
    with running(
        *(server_settings("11.5", f"c{name}", **s) for name, s in SETTINGS.items())
    ) as emu:
        yield emu


def emulator_side(emu: PortalEmulator, name: str) -> Side:
    site = emu.server(f"c{name}")
    client = ServerClient(emu.url(f"c{name}"), settings=fast_settings(emu), policy=LOCAL)

    def down() -> None:  # an accepted update of a site that restarts: lag, then down
        config = site.token_manager_config
        config["properties"]["sharedKey"] = generate_server_key().reveal()
        site.store_token_manager_config(config)
        assert site.wait_until(lambda s: s.is_restarting, 5.0)

    return Side(
        AdminSession(client, SITE_ADMIN, Secret(CANARY_PASSWORD)),
        restart=lambda: site.wait_until_up(10.0),
        go_down=down,
        stored_key=lambda: site.stored_shared_key,
        updates=lambda: site.update_count,
    )


def fake_side(name: str) -> Side:
    site = FakeServer(version="11.5", username=SITE_ADMIN, password=CANARY_PASSWORD, **FAKE[name])
    client = FakeServerClient(site)
    return Side(
        AdminSession(client, SITE_ADMIN, Secret(CANARY_PASSWORD)),
        restart=site.restart,
        go_down=site.go_down,
        stored_key=lambda: site.stored_key,
        updates=lambda: site.updates,
    )


def side(request: pytest.FixtureRequest, emulator: PortalEmulator, name: str) -> Side:
    return fake_side(name) if request.param == "fake" else emulator_side(emulator, name)


@pytest.fixture(params=["emulator", "fake"])
def plain(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    return side(request, emulator, "plain")


@pytest.fixture(params=["emulator", "fake"])
def restarts(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    return side(request, emulator, "restarts")


@pytest.fixture(params=["emulator", "fake"])
def external(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    return side(request, emulator, "external")


@pytest.fixture(params=["emulator", "fake"])
def refusing(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    return side(request, emulator, "refusing")


def test_without_a_restart_the_new_key_runs_at_once(plain: Side) -> None:
    session, client = plain.session, plain.session.client
    old_token = session.fresh_token()
    key = generate_server_key()

    assert client.update_shared_key(old_token, key).recheck_after_seconds == 0

    assert plain.stored_key() == key.reveal()
    with pytest.raises(PortalAuthFailed) as refused:
        client.read_shared_key(old_token)
    assert refused.value.code == 498
    assert client.read_shared_key(session.fresh_token()) == key


def test_with_a_restart_the_key_is_stored_now_and_runs_after(restarts: Side) -> None:
    session, client = restarts.session, restarts.session.client
    old_token = session.fresh_token()
    key = generate_server_key()

    client.update_shared_key(old_token, key)

    assert client.read_shared_key(old_token) == key  # the old process still answers
    restarts.restart()
    with pytest.raises(PortalAuthFailed):
        client.read_shared_key(old_token)
    assert client.read_shared_key(session.fresh_token()) == key


def test_a_token_manager_other_than_builtin_is_refused_before_any_update(
    external: Side,
) -> None:
    client, token = external.session.client, external.session.fresh_token()
    with pytest.raises(UnsupportedTokenManager):
        client.read_shared_key(token)
    with pytest.raises(UnsupportedTokenManager):
        client.update_shared_key(token, generate_server_key())
    assert external.updates() == 0


def test_a_bad_key_is_refused_before_anything_is_sent(plain: Side) -> None:
    client, token = plain.session.client, plain.session.fresh_token()
    before = plain.stored_key()
    with pytest.raises(InvalidSharedKey):
        client.update_shared_key(token, Secret("short"))
    with pytest.raises(ValueError, match="does not generate"):
        client.update_shared_key(token, None)
    assert plain.stored_key() == before


def test_a_key_the_site_refuses_changes_nothing(refusing: Side) -> None:
    client, token = refusing.session.client, refusing.session.fresh_token()
    before = refusing.stored_key()
    with pytest.raises(PortalRequestRejected) as refused:
        client.update_shared_key(token, generate_server_key())
    assert refused.value.code == 500
    assert refusing.stored_key() == before
    assert refusing.updates() == 0


def test_a_site_that_is_down_is_not_ready_and_unavailable(restarts: Side) -> None:
    client = restarts.session.client
    assert client.health().ready
    restarts.go_down()
    assert not client.health().ready
    with pytest.raises(PortalUnavailable):
        client.generate_token(SITE_ADMIN, Secret(CANARY_PASSWORD))
    restarts.restart()
    assert client.health().ready


def test_wrong_credentials_are_an_auth_failure(plain: Side) -> None:
    with pytest.raises(PortalAuthFailed):
        plain.session.client.generate_token(SITE_ADMIN, Secret("wrong-password-123"))


def test_machines_are_listed_at_admin_urls(plain: Side) -> None:
    client = plain.session.client
    (machine,) = client.machines(plain.session.fresh_token())
    assert machine.admin_url.endswith("/arcgis/admin")
