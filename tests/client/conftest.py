"""Fixtures for the portal client against the Portal emulator over real sockets.

- One TLS emulator per test module hosts several portals (one per context path); a
  test picks its version by context. Restarts last well under a second. Module scope,
  not session scope: nothing of ours is left running when other test packages start.
- ``canary`` (autouse): every secret value the tests see (the admin password, every
  token and shared key wrapped in ``Secret``, every key and trust key the emulators
  hold) is collected; every exception a test expects goes through ``canary.raises``
  and, after the test, none of its texts (str, repr, args, traceback, chained context)
  may contain any of them (FAULTS row 25).
- After every test, no request in any emulator's log has ``token`` or ``password`` in
  its query string, and every request carries a Referer header (FAULTS row 26).
- Server sites (``server_emu``: 11.3, 11.5, 12.0 and 10.9.1 at their own contexts) are
  held to the same checks: their keys and tokens are canary values too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from portal_automation.portal import AdminSession, PortalClient
from portal_automation.sensitive import Secret
from portal_automation.server import ServerClient
from portal_local.emulator import PortalEmulator

from .support import (
    ADMIN,
    CANARY_PASSWORD,
    EMULATORS,
    HANG_GUARD,
    P107,
    P109,
    P113,
    P114,
    P114_REJECT,
    P1071,
    S113,
    S115,
    S120,
    S1091,
    Canary,
    client_factory,
    portal_settings,
    running,
    server_settings,
)


@pytest.fixture(scope="module")
def emu() -> Iterator[PortalEmulator]:
    with running(
        portal_settings("11.3", P113),
        portal_settings("11.4", P114, generated_key_mode="ignore"),
        portal_settings("11.4", P114_REJECT, generated_key_mode="reject"),
        portal_settings("10.7", P107),
        portal_settings("10.7.1", P1071),
        portal_settings("10.9", P109),
    ) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def server_emu() -> Iterator[PortalEmulator]:
    with running(
        server_settings("11.3", S113),
        server_settings("11.5", S115),
        server_settings("12.0", S120),
        server_settings("10.9.1", S1091),
    ) as emulator:
        yield emulator


@pytest.fixture
def make_client(emu: PortalEmulator) -> Iterator[Callable[..., PortalClient]]:
    """``make_client(context, referer=..., **transport_overrides)``; closed after the test."""
    with client_factory(emu, PortalClient, P113) as make:
        yield make


@pytest.fixture
def make_server(server_emu: PortalEmulator) -> Iterator[Callable[..., ServerClient]]:
    """``make_server(context, emu=..., url=..., referer=..., **transport_overrides)``."""
    with client_factory(server_emu, ServerClient, S113) as make:
        yield make


@pytest.fixture
def client(make_client: Callable[..., PortalClient]) -> PortalClient:
    return make_client(P113)


@pytest.fixture
def session(client: PortalClient) -> AdminSession:
    return AdminSession(client, ADMIN, Secret(CANARY_PASSWORD))


@pytest.fixture(autouse=True)
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canary]:
    watcher = Canary()
    original_init = Secret.__init__

    def recording_init(self: Secret, value: str) -> None:
        original_init(self, value)
        if isinstance(value, str):
            watcher.add(value)

    monkeypatch.setattr(Secret, "__init__", recording_init)
    yield watcher
    for emulator in list(EMULATORS):
        for site in emulator.servers:
            for value in site.secret_values_seen():
                watcher.add(value)
        for portal in emulator.portals:
            watcher.add(portal.shared_key)
            watcher.add(portal.stored_shared_key)
            trust_key = portal.security_config.get("webgisServerTrustKey")
            if isinstance(trust_key, str):
                watcher.add(trust_key)
    leaks = watcher.leaks()
    assert not leaks, f"secret values found in exception or report texts: {leaks}"


@pytest.fixture(autouse=True)
def _request_log_hygiene() -> Iterator[None]:
    yield
    for emulator in list(EMULATORS):
        for record in emulator.request_log:
            where = f"{record.method} {record.path}"
            assert "token" not in record.query_keys, f"token in the URL of {where}"
            assert "password" not in record.query_keys, f"password in the URL of {where}"
            assert "referer" in record.header_names, f"no Referer header on {where}"


@pytest.fixture(autouse=True)
def _reset_emulators() -> Iterator[None]:
    yield
    for emulator in list(EMULATORS):
        emulator.faults.clear()
        for site in emulator.sites:
            assert site.wait_until_up(HANG_GUARD), f"{site.kind} {site.context} did not come up"
