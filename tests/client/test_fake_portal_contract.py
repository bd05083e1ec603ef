"""tests/fakes/portal.FakePortal answers like the emulator does through the real client.

The same scenario runs against ``PortalClient`` over TLS to the emulator and against
``FakePortalClient``: tokens die with the key they were issued under, an update is
stored at once but runs only after the restart, 11.4+ generates the key, the config
update replaces the whole object, health is "not ready" while down, and a token past
its expiry is refused. The connectors agree too (issue 18 item 10): a session opens
without connecting (a bad URL is refused then, an address nothing answers at fails at
the first call), and a machine's session uses the portal's tokens, never the password.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from portal_automation.domain.credentials import PortalCredentials
from portal_automation.errors import (
    InsecurePortalUrl,
    InvalidCredentialsSecret,
    PortalAuthFailed,
    PortalUnavailable,
)
from portal_automation.portal import AdminSession, PortalClient
from portal_automation.portal.connector import HttpPortalConnector
from portal_automation.ports import PortalConnector
from portal_automation.sensitive import Secret
from portal_local.emulator import Fault, PortalEmulator

from tests.fakes.portal import FakePortal, FakePortalClient, FakePortals, random_key

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
    expire: Callable[[], None] = lambda: None  # every token issued so far expires


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
        expire=portal.expire_tokens,
    )


def fake_side(version: str) -> Side:
    now = [time.time()]
    portal = FakePortal(
        version=version, username=ADMIN, password=CANARY_PASSWORD, clock=lambda: now[0]
    )
    client = FakePortalClient(portal)

    def expire() -> None:
        now[0] += 2 * 60 * 60  # past every token of the session's few minutes

    return Side(
        AdminSession(client, ADMIN, Secret(CANARY_PASSWORD)),
        restart=portal.restart,
        go_down=portal.go_down,
        stored_key=lambda: portal.stored_key,
        expire=expire,
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


def test_a_token_past_its_expiry_is_refused(side113: Side) -> None:
    """The probe's lifetime matters only because an expired token is refused (498)."""
    session = side113.session
    token = session.fresh_token()
    assert str(session.client.info(token).version) == "11.3"

    side113.expire()

    with pytest.raises(PortalAuthFailed) as refused:
        session.client.info(token)
    assert refused.value.code == 498


# --- the connectors --------------------------------------------------------------------


@dataclass
class Connector:
    connector: PortalConnector
    portal_url: str
    machine_urls: list[str]
    generated_on_machines: Callable[[], int]  # sign-ins (with the password) at a machine


@pytest.fixture(scope="module")
def ha_emulator() -> Iterator[PortalEmulator]:
    with running(portal_settings("11.3", "cha", machines=2)) as emu:
        yield emu


@pytest.fixture(params=["real", "fake"])
def connector(request: pytest.FixtureRequest, ha_emulator: PortalEmulator) -> Connector:
    if request.param == "real":
        emu = ha_emulator
        return Connector(
            HttpPortalConnector(lambda: fast_settings(emu), LOCAL),
            emu.url("cha"),
            emu.machine_urls("cha"),
            lambda: sum(
                1 for r in emu.requests_for("cha") if r.direct and r.path.endswith("generateToken")
            ),
        )
    primary = FakePortal("https://cha.example.com/arcgis", username=ADMIN, password=CANARY_PASSWORD)
    standby = primary.standby()
    fakes = FakePortals(primary, standby, policy=LOCAL)
    fakes.by_url[primary.machines[0].admin_url] = primary
    return Connector(
        fakes,
        primary.url,
        [m.admin_url for m in primary.machines],
        lambda: sum(1 for url in fakes.password_sent_to if url != primary.url),
    )


def creds(url: str) -> PortalCredentials:
    # Made directly: the connector's own check of the URL is what is tested.
    return PortalCredentials(url=url, username=ADMIN, password=Secret(CANARY_PASSWORD))


def test_an_address_nothing_answers_at_fails_at_the_first_call_not_at_open(
    connector: Connector,
) -> None:
    with connector.connector.session(
        creds("https://portal-machine-9.internal.invalid/arcgis")
    ) as s:
        assert not s.client.health().ready
        with pytest.raises(PortalUnavailable):
            s.fresh_token()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://admin:pw@cha.example.com/arcgis", InvalidCredentialsSecret),
        ("https://cha.example.com/arcgis?x=1", InvalidCredentialsSecret),
        ("http://cha.example.com/arcgis", InsecurePortalUrl),
    ],
    ids=["userinfo", "query", "plain http"],
)
def test_a_url_no_portal_may_have_is_refused_when_the_session_opens(
    connector: Connector, url: str, error: type[Exception]
) -> None:
    with pytest.raises(error), connector.connector.session(creds(url)):
        pass


def test_a_machine_is_reached_with_the_portals_token_never_the_password(
    connector: Connector,
) -> None:
    with connector.connector.session(creds(connector.portal_url)) as portal:
        for url in connector.machine_urls:
            with connector.connector.machine(url, portal) as machine:
                assert str(machine.call(machine.client.info).version) == "11.3"
                assert machine.client.base_url == url
                assert not hasattr(machine, "_password")

    assert connector.generated_on_machines() == 0
