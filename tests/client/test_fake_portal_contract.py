"""tests/fakes/portal.FakePortal answers like the emulator does through the real client.

The same scenario runs against ``PortalClient`` over TLS to the emulator and against
``FakePortalClient``: tokens die with the key they were issued under, an update is
stored at once but runs only after the restart, 11.4+ generates the key, the config
update replaces the whole object, and health is "not ready" while down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from portal_automation.errors import PortalAuthFailed, PortalUnavailable
from portal_automation.portal import AdminSession, PortalClient
from portal_automation.sensitive import Secret
from portal_local.emulator import Fault, PortalEmulator

from tests.fakes.portal import FakePortal, FakePortalClient, random_key

from .support import (
    ADMIN,
    CANARY_PASSWORD,
    HANG_GUARD,
    LOCAL,
    fast_settings,
    portal_settings,
    running,
)


@dataclass
class Side:
    session: AdminSession
    restart: Callable[[], None]  # the accepted update's restart, done
    go_down: Callable[[], None]
    stored_key: Callable[[], str]


@pytest.fixture(scope="module")
def emulator() -> Iterator[PortalEmulator]:
    with running(
        portal_settings("11.3", "c113"),
        portal_settings("11.4", "c114"),
    ) as emu:
        yield emu


def emulator_side(emu: PortalEmulator, context: str) -> Side:
    portal = emu.portal(context)
    client = PortalClient(emu.url(context), settings=fast_settings(emu), policy=LOCAL)

    held: list[Fault] = []

    def down() -> None:  # down until restart(), however long the test takes to look
        held.append(emu.faults.add(Fault(action="restart_forever", context=context)))
        portal.store_shared_key(portal.stored_shared_key)  # an update: lag, then down
        assert portal.wait_until(lambda p: p.is_restarting, HANG_GUARD)

    def restart() -> None:
        while held:
            emu.faults.remove(held.pop())
        assert portal.wait_until_up(HANG_GUARD)

    return Side(
        AdminSession(client, ADMIN, Secret(CANARY_PASSWORD)),
        restart=restart,
        go_down=down,
        stored_key=lambda: portal.stored_shared_key,
    )


def fake_side(version: str) -> Side:
    portal = FakePortal(version=version, username=ADMIN, password=CANARY_PASSWORD)
    client = FakePortalClient(portal)
    return Side(
        AdminSession(client, ADMIN, Secret(CANARY_PASSWORD)),
        restart=portal.restart,
        go_down=portal.go_down,
        stored_key=lambda: portal.stored_key,
    )


@pytest.fixture(params=["emulator", "fake"])
def side113(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    if request.param == "fake":
        return fake_side("11.3")
    return emulator_side(emulator, "c113")


@pytest.fixture(params=["emulator", "fake"])
def side114(request: pytest.FixtureRequest, emulator: PortalEmulator) -> Side:
    if request.param == "fake":
        return fake_side("11.4")
    return emulator_side(emulator, "c114")


def test_a_supplied_key_is_stored_now_and_runs_after_the_restart(side113: Side) -> None:
    session, client = side113.session, side113.session.client
    old_token = session.fresh_token()
    assert str(client.info(old_token).version) == "11.3"
    new_key = random_key()

    client.update_shared_key(old_token, Secret(new_key))

    assert client.read_shared_key(old_token).reveal() == new_key == side113.stored_key()
    side113.restart()
    with pytest.raises(PortalAuthFailed) as refused:
        client.read_shared_key(old_token)
    assert refused.value.code == 498
    assert client.read_shared_key(session.fresh_token()).reveal() == new_key


def test_a_generated_key_replaces_whatever_was_sent(side114: Side) -> None:
    client = side114.session.client
    token = side114.session.fresh_token()
    before = client.read_shared_key(token).reveal()

    client.update_shared_key(token, Secret(random_key()))
    side114.restart()

    after = client.read_shared_key(side114.session.fresh_token()).reveal()
    assert after not in (before, "")
    assert after == side114.stored_key()


def test_the_config_update_replaces_the_whole_object(side113: Side) -> None:
    client, token = side113.session.client, side113.session.fresh_token()
    current: dict[str, Any] = dict(client.read_security_config(token).values)
    assert {"webgisServerTrustKey", "userStoreConfig", "allowedProxyHosts"} <= set(current)

    client.update_security_config(token, {**current, "allowedProxyHosts": "a.example.com"})
    side113.restart()

    read_back = client.read_security_config(side113.session.fresh_token()).values
    assert read_back["allowedProxyHosts"] == "a.example.com"
    assert read_back["webgisServerTrustKey"] == current["webgisServerTrustKey"]


def test_a_portal_that_is_down_is_not_ready_and_unavailable(side113: Side) -> None:
    client = side113.session.client
    assert client.health().ready

    side113.go_down()

    assert not client.health().ready
    with pytest.raises(PortalUnavailable):
        client.generate_token(ADMIN, Secret(CANARY_PASSWORD))
    side113.restart()
    assert client.health().ready


def test_wrong_credentials_are_an_auth_failure(side113: Side) -> None:
    with pytest.raises(PortalAuthFailed):
        side113.session.client.generate_token(ADMIN, Secret("wrong-password-123"))
