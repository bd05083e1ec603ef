"""Failure shapes of the portal, as the client sees them over real sockets (FAULTS rows 1-8)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from portal_automation.domain.shared_key import generate_shared_key
from portal_automation.errors import (
    InvalidSharedKey,
    PortalAnswerTooLarge,
    PortalAnswerTooSlow,
    PortalAuthFailed,
    PortalBadResponse,
    PortalRequestRejected,
    PortalUnavailable,
)
from portal_automation.portal import AdminSession, PortalClient, PortalToken
from portal_automation.portal.transport import TransportSettings
from portal_automation.sensitive import Secret
from portal_local.emulator import Fault, PortalEmulator
from portal_local.emulator.http_messages import Response
from portal_local.emulator.server import HttpServer

from .support import (
    ADMIN,
    CANARY_PASSWORD,
    HANG_GUARD,
    LOCAL,
    LOCAL_HTTP,
    P113,
    P114,
    Canary,
    fast_settings,
    paths,
    portal_settings,
    running,
    since,
)

pytestmark = pytest.mark.client

PASSWORD = Secret(CANARY_PASSWORD)


def _token(client: PortalClient) -> PortalToken:
    return client.generate_token(ADMIN, PASSWORD)


class _AttemptCounter:
    """Counts the HTTP attempts of one client (wraps its session's ``request``)."""

    def __init__(self, client: PortalClient) -> None:
        session = client._http._session
        self.count = 0
        self._original = session.request

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self._original(*args, **kwargs)

        session.request = counted  # type: ignore[method-assign]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- row 1: unreachable ------------------------------------------------------------


@pytest.mark.parametrize("retries", [0, 2])
def test_connection_refused_bounded_retries_then_unavailable(retries: int, canary: Canary) -> None:
    port = _closed_port()
    client = PortalClient(
        f"https://127.0.0.1:{port}/arcgis",
        settings=fast_settings(retries=retries, backoff_seconds=0.01),
        policy=LOCAL,
    )
    counter = _AttemptCounter(client)
    with canary.raises(PortalUnavailable) as info:
        client.generate_token(ADMIN, PASSWORD)
    assert counter.count == retries + 1
    assert f"after {retries + 1} attempt(s)" in info.value.message
    assert "connection refused" in info.value.message
    assert info.value.transient


def test_non_idempotent_update_is_never_retried(canary: Canary) -> None:
    client = PortalClient(
        f"https://127.0.0.1:{_closed_port()}/arcgis",
        settings=fast_settings(retries=3),
        policy=LOCAL,
    )
    counter = _AttemptCounter(client)
    token = PortalToken(Secret("CANARY-made-up-token-1"), expires_at=_far_future(), ssl=True)
    with canary.raises(PortalUnavailable, match="outcome unknown"):
        client.update_shared_key(token, generate_shared_key())
    assert counter.count == 1


def test_health_of_an_unreachable_portal_is_not_ready(canary: Canary) -> None:
    client = PortalClient(
        f"https://127.0.0.1:{_closed_port()}/arcgis",
        settings=fast_settings(retries=1),
        policy=LOCAL,
    )
    status = client.health()
    assert not status.ready
    assert "connection refused" in canary.text(status.detail)


def test_dns_failure_is_unavailable(canary: Canary) -> None:
    client = PortalClient(
        "https://portal.name-does-not-exist.invalid/arcgis",
        settings=fast_settings(retries=0),
        policy=LOCAL,
    )
    with canary.raises(PortalUnavailable, match="unreachable"):
        client.generate_token(ADMIN, PASSWORD)


def test_read_timeout_is_unavailable_and_retried_a_bounded_number_of_times(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P113, read_timeout=0.2, retries=1)
    token = _token(client)
    emu.faults.add(Fault(action="delay", path="portaladmin", seconds=0.6))
    counter = _AttemptCounter(client)
    with canary.raises(PortalUnavailable) as info:
        client.info(token)
    assert "read timeout" in info.value.message
    assert "after 2 attempt(s)" in info.value.message
    assert counter.count == 2
    emu.faults.clear()
    # Both attempts reached the emulator (they are logged once answered).
    assert emu.portal(P113).wait_until(
        lambda _: len(paths(emu.request_log, "portaladmin")) >= 2, timeout=HANG_GUARD
    )


def test_delay_below_the_timeout_is_fine(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P113, read_timeout=2.0)
    token = _token(client)
    emu.faults.add(Fault(action="delay", path="portaladmin", seconds=0.1, times=1))
    assert client.info(token).version


def test_health_timeout_is_not_ready(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P113, read_timeout=0.2, retries=0)
    emu.faults.add(Fault(action="delay", path="portaladmin/healthCheck", seconds=0.5))
    status = client.health()
    assert not status.ready
    assert "timeout" in canary.text(status.detail)


def test_connection_reset_retried_then_unavailable(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P113, retries=2)
    token = _token(client)
    emu.faults.add(Fault(action="reset", path="portaladmin/security/tokens"))
    mark = len(emu.request_log)
    with canary.raises(PortalUnavailable) as info:
        client.read_shared_key(token)
    assert "after 3 attempt(s)" in info.value.message
    records = paths(since(emu, mark), "portaladmin/security/tokens")
    assert len(records) == 3
    assert all(r.status is None for r in records)


def test_reset_of_an_update_is_one_attempt_outcome_unknown(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P113, retries=3)
    token = _token(client)
    portal = emu.portal(P113)
    updates = portal.update_count
    emu.faults.add(Fault(action="reset", path="portaladmin/security/tokens/update"))
    mark = len(emu.request_log)
    with canary.raises(PortalUnavailable, match="outcome unknown"):
        client.update_shared_key(token, generate_shared_key())
    assert len(paths(since(emu, mark), "portaladmin/security/tokens/update")) == 1
    assert portal.update_count == updates


def test_reset_then_recovery_within_the_retries(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P113, retries=2)
    token = _token(client)
    emu.faults.add(Fault(action="reset", path="portaladmin", times=2))
    mark = len(emu.request_log)
    assert client.info(token).version
    assert [r.status for r in paths(since(emu, mark), "portaladmin")] == [None, None, 200]


# --- refuse mode: the port closes while the portal restarts -------------------------


@pytest.fixture(scope="module")
def refusing() -> Iterator[PortalEmulator]:
    with running(portal_settings("11.3", "arcgis", down_mode="refuse")) as emulator:
        yield emulator


def test_portal_that_refuses_while_restarting(refusing: PortalEmulator, canary: Canary) -> None:
    """Rows 1 and 4: refused during the restart -> unavailable / not ready; then back."""
    client = PortalClient(refusing.url(), settings=fast_settings(refusing, retries=1), policy=LOCAL)
    portal = refusing.portal()
    token = _token(client)
    hold = refusing.faults.add(Fault(action="restart_forever"))
    restarts = portal.restart_count
    client.update_shared_key(token, generate_shared_key())
    assert portal.wait_until(lambda p: p.is_restarting, timeout=HANG_GUARD)  # held
    status = client.health()
    assert not status.ready
    canary.text(status.detail)
    counter = _AttemptCounter(client)
    with canary.raises(PortalUnavailable) as info:
        client.generate_token(ADMIN, PASSWORD)
    assert counter.count == 2
    assert "after 2 attempt(s)" in info.value.message
    refusing.faults.remove(hold)
    assert portal.wait_until(lambda p: p.restart_count > restarts and p.phase == "up", HANG_GUARD)
    assert portal.wait_until(lambda _: client.health().ready, timeout=HANG_GUARD)
    fresh = _token(client)
    assert client.read_shared_key(fresh) == Secret(portal.shared_key)
    client.close()


# --- row 2: HTTP 200 with error 498 ------------------------------------------------


def _count(records: list[Any], suffix: str) -> int:
    return len(paths(records, suffix))


def test_498_is_an_auth_failure(emu: PortalEmulator, client: PortalClient, canary: Canary) -> None:
    token = _token(client)
    emu.faults.add(Fault(action="error", path="portaladmin", code=498, message="Invalid token."))
    with canary.raises(PortalAuthFailed) as info:
        client.info(token)
    assert info.value.code == 498


def test_session_makes_exactly_one_fresh_token_then_fails(
    emu: PortalEmulator, session: AdminSession, client: PortalClient, canary: Canary
) -> None:
    session.token()  # a cached token, as in the middle of a workflow
    emu.faults.add(Fault(action="error", path="portaladmin", code=498, message="Invalid token."))
    mark = len(emu.request_log)
    with canary.raises(PortalAuthFailed) as info:
        session.call(client.info)
    assert info.value.code == 498
    records = since(emu, mark)
    assert _count(records, "sharing/rest/generateToken") == 1
    assert _count(records, "portaladmin") == 2


def test_session_without_a_cached_token_makes_two_tokens_at_most(
    emu: PortalEmulator, session: AdminSession, client: PortalClient, canary: Canary
) -> None:
    emu.faults.add(Fault(action="error", path="portaladmin", code=499, style="status"))
    mark = len(emu.request_log)
    with canary.raises(PortalAuthFailed) as info:
        session.call(client.info)
    assert info.value.code == 499
    records = since(emu, mark)
    assert _count(records, "sharing/rest/generateToken") == 2
    assert _count(records, "portaladmin") == 2


def test_session_recovers_with_one_fresh_token(
    emu: PortalEmulator, session: AdminSession, client: PortalClient
) -> None:
    first = session.token()
    emu.portal(P113).expire_tokens()  # the real 498 from the portal
    mark = len(emu.request_log)
    info = session.call(client.info)
    assert info.version
    records = since(emu, mark)
    assert _count(records, "sharing/rest/generateToken") == 1
    assert [r.status for r in paths(records, "portaladmin")] == [200, 200]
    assert session.token() is not first


def test_session_renews_after_a_key_change(
    emu: PortalEmulator, session: AdminSession, client: PortalClient
) -> None:
    """Row 7: the token from before the key change is not reused after the restart."""
    portal = emu.portal(P113)
    old = session.token()
    restarts = portal.restart_count
    new_key = generate_shared_key()
    session.call(lambda token: client.update_shared_key(token, new_key))
    assert portal.wait_until(lambda p: p.restart_count > restarts and p.phase == "up", HANG_GUARD)
    assert session.call(client.read_shared_key) == new_key
    assert session.token() is not old


def test_403_is_not_retried_with_a_fresh_token(
    emu: PortalEmulator, session: AdminSession, client: PortalClient, canary: Canary
) -> None:
    session.token()
    emu.faults.add(Fault(action="error", path="portaladmin", code=403, message="Not authorized."))
    mark = len(emu.request_log)
    with canary.raises(PortalAuthFailed) as info:
        session.call(client.info)
    assert info.value.code == 403
    records = since(emu, mark)
    assert _count(records, "sharing/rest/generateToken") == 0
    assert _count(records, "portaladmin") == 1


def test_session_wrong_password_fails_at_once(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    session = AdminSession(client, ADMIN, Secret("-".join(("CANARY", "not", "the", "pw"))))
    mark = len(emu.request_log)
    with canary.raises(PortalAuthFailed) as info:
        session.call(client.info)
    assert info.value.code == 400
    assert _count(since(emu, mark), "sharing/rest/generateToken") == 1


# --- row 3: update answers failed / error ------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault(action="status_failed", messages=("Could not update the token configuration.",)),
        Fault(action="error", code=500, message="Internal error."),
        Fault(action="error", code=500, message="Internal error.", style="status"),
        Fault(action="error", code=400, message="Invalid key.", details=("length",)),
    ],
    ids=["status-failed", "error-500", "status-error-500", "error-400"],
)
@pytest.mark.parametrize(
    "target", ["portaladmin/security/tokens/update", "portaladmin/security/config/update"]
)
def test_failed_update_is_rejected(
    emu: PortalEmulator,
    client: PortalClient,
    canary: Canary,
    fault: Fault,
    target: str,
) -> None:
    portal = emu.portal(P113)
    token = _token(client)
    current = client.read_security_config(token).values
    updates, key = portal.update_count, portal.stored_shared_key
    emu.faults.add(Fault(**{**fault.to_dict(), "path": target}))
    with canary.raises(PortalRequestRejected):
        if target.endswith("tokens/update"):
            client.update_shared_key(token, generate_shared_key())
        else:
            client.update_security_config(token, current)
    assert portal.update_count == updates
    assert portal.stored_shared_key == key


# --- row 4: proxy error pages --------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504, 500])
def test_proxy_error_page_is_unavailable(
    emu: PortalEmulator, client: PortalClient, canary: Canary, status: int
) -> None:
    token = _token(client)
    emu.faults.add(Fault(action="http", path="portaladmin/security/tokens", status=status))
    with canary.raises(PortalUnavailable, match=f"HTTP {status}") as info:
        client.read_shared_key(token)
    assert info.value.transient


@pytest.mark.parametrize("status", [502, 503, 504])
def test_health_with_html_error_page_is_not_ready(
    emu: PortalEmulator, client: PortalClient, canary: Canary, status: int
) -> None:
    emu.faults.add(Fault(action="http", path="portaladmin/healthCheck", status=status))
    status_now = client.health()
    assert not status_now.ready
    assert canary.text(status_now.detail) == f"HTTP {status}"


def test_health_flapping_is_reported_as_it_comes(emu: PortalEmulator, client: PortalClient) -> None:
    emu.faults.add(Fault(action="health_flap", sequence=("down", "ok", "down")))
    assert [client.health().ready for _ in range(4)] == [False, True, False, True]


def test_admin_call_while_restarting_html_is_unavailable(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    portal = emu.portal(P113)
    token = _token(client)
    hold = emu.faults.add(Fault(action="restart_forever", context=P113))
    client.update_shared_key(token, generate_shared_key())
    assert portal.wait_until(lambda p: p.is_restarting, timeout=HANG_GUARD)  # held
    with canary.raises(PortalUnavailable, match="HTTP 502"):
        client.generate_token(ADMIN, PASSWORD)
    emu.faults.remove(hold)


# --- HTML where JSON was asked ----------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["portaladmin", "portaladmin/security/tokens", "portaladmin/security/config"]
)
def test_html_200_is_a_bad_response(
    emu: PortalEmulator, client: PortalClient, canary: Canary, target: str
) -> None:
    token = _token(client)
    emu.faults.add(Fault(action="html", path=target))
    call = {
        "portaladmin": client.info,
        "portaladmin/security/tokens": client.read_shared_key,
        "portaladmin/security/config": client.read_security_config,
    }[target]
    with canary.raises(PortalBadResponse, match="text/html"):
        call(token)


def test_html_200_from_generate_token_is_a_bad_response(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    emu.faults.add(Fault(action="html", path="sharing/rest/generateToken"))
    with canary.raises(PortalBadResponse):
        client.generate_token(ADMIN, PASSWORD)


def test_html_200_health_is_not_ready(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    emu.faults.add(Fault(action="html", path="portaladmin/healthCheck"))
    status = client.health()
    assert not status.ready
    canary.text(status.detail)


def test_wrong_context_is_a_clear_404(emu: PortalEmulator, canary: Canary) -> None:
    client = PortalClient(
        emu.base_url + "/no-such-portal", settings=fast_settings(emu), policy=LOCAL
    )
    with canary.raises(PortalRequestRejected, match="404") as info:
        client.generate_token(ADMIN, PASSWORD)
    assert info.value.code == 404
    client.close()


# --- row 8: a bad key never reaches the portal ------------------------------------------


BAD_KEYS = [
    "a" * 32,
    "0123456789abcdef" * 2,
    "-".join(("CANARY", "too", "short")),
    "!" * 44,
    "A" * 43 + "=",
]


@pytest.mark.parametrize("context", [P113, P114])
@pytest.mark.parametrize("bad", range(len(BAD_KEYS)))
def test_bad_key_is_rejected_before_any_request(
    emu: PortalEmulator,
    make_client: Callable[..., PortalClient],
    canary: Canary,
    context: str,
    bad: int,
) -> None:
    client = make_client(context)
    token = _token(client)
    portal = emu.portal(context)
    updates = portal.update_count
    mark = len(emu.request_log)
    with canary.raises(InvalidSharedKey):
        client.update_shared_key(token, Secret(BAD_KEYS[bad]))
    assert since(emu, mark) == []
    assert portal.update_count == updates


def _far_future() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)


# --- a connection that breaks in the middle of the answer --------------------------


class _TruncatingServer:
    """Plain-http server that promises a 200-byte JSON body, sends 14 bytes, and hangs up.

    That is what a proxy or a portal going down mid-answer looks like on the wire.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with conn:
                self.connections += 1
                conn.settimeout(2.0)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b'Content-Length: 200\r\n\r\n{"token": "abc'
                    )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._listener.close()


@pytest.fixture
def truncating() -> Iterator[_TruncatingServer]:
    server = _TruncatingServer()
    yield server
    server.close()


def test_connection_broken_mid_answer_is_unavailable(
    truncating: _TruncatingServer, canary: Canary
) -> None:
    """Row 1/4: a body cut short is a transport failure, so it must be the named
    PortalUnavailable (transient, retried a bounded number of times), not a raw
    requests.exceptions.ChunkedEncodingError that no Retry/Catch of the workflow matches."""
    client = PortalClient(
        f"http://127.0.0.1:{truncating.port}/arcgis",
        policy=LOCAL_HTTP,
        settings=fast_settings(retries=1),
    )
    with canary.raises(PortalUnavailable) as info:
        client.generate_token(ADMIN, PASSWORD)
    assert info.value.transient
    assert truncating.connections == 2
    client.close()


def test_health_with_a_broken_answer_is_not_ready(truncating: _TruncatingServer) -> None:
    client = PortalClient(
        f"http://127.0.0.1:{truncating.port}/arcgis",
        policy=LOCAL_HTTP,
        settings=fast_settings(retries=0),
    )
    assert not client.health().ready
    client.close()


# --- row 25: a portal answer that echoes a secret ------------------------------------


def test_echoed_password_is_masked(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    echo = f"Invalid username or password ({ADMIN}/{CANARY_PASSWORD})."
    emu.faults.add(
        Fault(action="error", path="sharing/rest/generateToken", code=400, details=(echo,))
    )
    with canary.raises(PortalAuthFailed) as info:
        client.generate_token(ADMIN, PASSWORD)
    assert "****" in info.value.message


def test_echoed_shared_key_is_masked(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    token = _token(client)
    key = generate_shared_key()
    emu.faults.add(
        Fault(
            action="error",
            path="portaladmin/security/tokens/update",
            code=400,
            message=f"Key {key.reveal()} was refused.",
        )
    )
    with canary.raises(PortalRequestRejected) as info:
        client.update_shared_key(token, key)
    assert "****" in info.value.message


def test_echoed_token_and_trust_key_are_masked(
    emu: PortalEmulator, client: PortalClient, canary: Canary
) -> None:
    token = _token(client)
    config = client.read_security_config(token).values
    trust_key = config["webgisServerTrustKey"]
    emu.faults.add(
        Fault(
            action="status_failed",
            path="portaladmin/security/config/update",
            messages=(f"trust key {trust_key} locked", f"token {token.value.reveal()} used"),
        )
    )
    with canary.raises(PortalRequestRejected) as info:
        client.update_security_config(token, config)
    assert info.value.message.count("****") == 2


# --- row 40: redirects are never followed ----------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_so_the_password_goes_nowhere_else(
    emu: PortalEmulator, status: int, canary: Canary
) -> None:
    """FAULTS row 40: a portal (or something in front of it) answers a redirect to
    another host: the client does not follow it, so the form with the password is
    never sent there; the answer is a refusal naming the status."""
    target = emu.url(P113) + "/sharing/rest/generateToken"
    redirector = HttpServer(
        lambda request: Response(status, b"", headers=(("Location", target),)), port=0
    )
    redirector.start()
    mark = len(emu.request_log)
    try:
        client = PortalClient(
            f"http://127.0.0.1:{redirector.port}/arcgis",
            settings=fast_settings(emu, retries=0),
            policy=LOCAL_HTTP,
        )
        with canary.raises(PortalRequestRejected) as info:
            client.generate_token(ADMIN, PASSWORD)
        token = PortalToken(
            Secret(emu.portal(P113).mint_token()), datetime.now(UTC) + timedelta(minutes=5), True
        )
        with canary.raises(PortalRequestRejected):
            client.read_shared_key(token)
    finally:
        redirector.stop()
    assert info.value.code == status
    assert since(emu, mark) == []  # nothing reached the redirect's target


# --- row 51: a hostile answer costs bounded time and memory -------------------------------


def test_a_dripped_answer_is_cut_at_the_calls_deadline(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    """Every read of the drip is far within the read timeout; the whole answer is not
    within the deadline: cut there, named, and not repeated (another attempt could take
    the whole deadline again)."""
    client = make_client(P113, read_timeout=2.0, deadline_seconds=1.0, retries=2)
    token = _token(client)
    emu.faults.add(Fault(action="drip", path="portaladmin", seconds=30.0))
    counter = _AttemptCounter(client)

    with canary.raises(PortalAnswerTooSlow, match="within 1 s") as info:
        client.info(token)

    assert isinstance(info.value, PortalUnavailable)  # not ready, wherever that is asked
    assert info.value.transient
    assert counter.count == 1


def test_a_dripped_health_check_is_not_ready(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P113, deadline_seconds=0.5)
    emu.faults.add(Fault(action="drip", path="portaladmin/healthCheck", seconds=30.0))
    assert not client.health().ready


def test_a_dripped_answer_within_the_deadline_is_read(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P113, read_timeout=2.0, deadline_seconds=30.0)
    token = _token(client)
    emu.faults.add(Fault(action="drip", path="portaladmin", seconds=0.5, times=1))
    assert str(client.info(token).version) == "11.3"


def test_a_dripped_update_answer_is_cut_with_its_outcome_unknown(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    client = make_client(P113, deadline_seconds=1.0, retries=2)
    token = _token(client)
    portal = emu.portal(P113)
    updates = portal.update_count
    emu.faults.add(Fault(action="drip", path="portaladmin/security/tokens/update", seconds=30.0))

    with canary.raises(PortalAnswerTooSlow, match="outcome unknown"):
        client.update_shared_key(token, generate_shared_key())

    assert portal.update_count == updates + 1  # it landed; only its answer was cut


@pytest.mark.parametrize("path", ["portaladmin", "portaladmin/security/tokens/update"])
def test_an_answer_over_the_size_cap_is_not_read_further(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary, path: str
) -> None:
    """150 MiB, streamed without a length: read up to the cap, then the connection is
    dropped. Named, not retried; an update cut so has an unknown outcome."""
    client = make_client(P113, max_answer_bytes=1024 * 1024, retries=2)
    token = _token(client)
    emu.faults.add(Fault(action="huge", path=path))
    counter = _AttemptCounter(client)

    with canary.raises(PortalAnswerTooLarge, match="1048576 bytes") as info:
        if path.endswith("update"):
            client.update_shared_key(token, generate_shared_key())
        else:
            client.info(token)

    assert not info.value.transient
    assert counter.count == 1
    assert ("outcome unknown" in info.value.message) == path.endswith("update")


def test_an_answer_under_the_size_cap_is_read(
    emu: PortalEmulator, make_client: Callable[..., PortalClient]
) -> None:
    client = make_client(P113, max_answer_bytes=1024 * 1024)
    token = _token(client)
    emu.faults.add(Fault(action="huge", path="portaladmin", size=512 * 1024, times=1))
    assert str(client.info(token).version) == "11.3"


def test_an_answer_whose_declared_length_is_over_the_cap_is_refused(
    emu: PortalEmulator, make_client: Callable[..., PortalClient], canary: Canary
) -> None:
    token = _token(make_client(P113))
    capped = make_client(P113, max_answer_bytes=256)
    with canary.raises(PortalAnswerTooLarge):
        capped.read_security_config(token)  # a few KB, with its Content-Length


def test_the_deadline_defaults_to_connect_and_twice_the_read_timeout() -> None:
    assert TransportSettings(connect_timeout=5, read_timeout=30).deadline == 65
    assert TransportSettings(deadline_seconds=7).deadline == 7


# --- what the portal says is bounded before it steers anything ---------------------------


def test_a_recheck_longer_than_any_input_allows_is_capped(canary: Canary) -> None:
    """A portal asking to be left alone for 31 years gets the input's maximum, 600 s."""
    with running(portal_settings("11.3", "recheck", token_update_recheck=10**9)) as emu:
        client = PortalClient(emu.url("recheck"), settings=fast_settings(emu), policy=LOCAL)
        with client:
            accepted = client.update_shared_key(_token(client), generate_shared_key())
    assert accepted.recheck_after_seconds == 600


@pytest.mark.parametrize(
    "answer",
    [
        b'{"token": "t-0123456789", "expires": 1e300}',
        b'{"token": "t-0123456789", "expires": NaN}',
        b'{"token": "t-0123456789", "expires": true}',
        b'{"version": "11.3.0", "currentbuild": "' + b"9" * 100 + b'\\u001b[2K"}',
        b'{"version": "' + b"1" * 64 + b'"}',
    ],
    ids=["far expiry", "NaN expiry", "boolean expiry", "long build", "long version"],
)
def test_answers_outside_any_real_portal_are_bad_or_bounded(
    make_client: Callable[..., PortalClient], canary: Canary, answer: bytes
) -> None:
    client = make_client(P113)
    token = _token(client)
    canned = requests.Response()
    canned.status_code = 200
    canned._content = answer
    client._http.post = lambda *a, **k: canned  # type: ignore[method-assign]
    if b"currentbuild" in answer:
        build = client.info(token).build
        assert len(build) <= 67
        assert "\x1b" not in build
        return
    with canary.raises(PortalBadResponse):
        if b"token" in answer:
            client.generate_token(ADMIN, PASSWORD)
        else:
            client.info(token)
