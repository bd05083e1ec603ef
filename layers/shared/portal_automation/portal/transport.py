"""HTTP transport to one portal: one Session, timeouts on every call, TLS always verified.

Only POST bodies and headers carry tokens and passwords (a call may add headers: the
token's ``Authorization`` from 11.4); the one GET (the anonymous health check) carries
nothing secret. Connection failures of idempotent calls are
retried a bounded number of times with jittered exponential backoff; a call that
changes the portal is never retried here (the workflow checks state before any retry).

A hostile answer costs bounded time and memory (FAULTS row 51). Every call has a total
deadline besides its per-read timeout (a body dripped a byte at a time passes every
read timeout): when it passes, the call's connection is cut (``PortalAnswerTooSlow``,
not retried here: each attempt could take the whole deadline again). Every answer is
read up to a size cap, never further (``PortalAnswerTooLarge``). A change cut off by
either has an unknown outcome, said in the message as for a timeout.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import (
    InsecurePortalUrl,
    PortalAnswerTooLarge,
    PortalAnswerTooSlow,
    PortalTlsError,
    PortalUnavailable,
)
from .url import forbidden_address

USER_AGENT: Final = "arcgis-portal-security-automation/0.1"
# A connection that fails before, during or after the answer (refused, reset, timed out,
# cut mid-body). SSLError is a ConnectionError too, but it is caught first: never retried.
_CONNECTION_FAILURES: Final = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


_PIECE: Final = 64 * 1024


@dataclass(frozen=True)
class TransportSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff_seconds: float = 0.5
    ca_bundle: str | None = None
    # The whole of one attempt, from connecting to the answer's last byte (None: the
    # connect timeout and twice the read timeout: time to start answering, and as long
    # again for an answer of kilobytes).
    deadline_seconds: float | None = None
    # The largest answer read: a portal's answers are kilobytes; a function has 256 MB.
    max_answer_bytes: int = 8 * 1024 * 1024

    @property
    def deadline(self) -> float:
        if self.deadline_seconds is not None:
            return self.deadline_seconds
        return self.connect_timeout + 2 * self.read_timeout


class ForbiddenPeer(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _checked(sock: socket.socket) -> socket.socket:
    """The new TCP connection, unless it reached a forbidden address (before any byte,
    TLS handshake included, is sent)."""
    reason = forbidden_address(str(sock.getpeername()[0]))
    if reason is not None:
        sock.close()
        raise ForbiddenPeer(reason)
    return sock


class _Deadline:
    """Cuts the connections of one attempt when its deadline passes. Each connection the
    attempt uses reports itself (``watch``) from the calling thread; the timer shuts its
    socket down from its own (the plain socket's shutdown, also for TLS: the reading
    thread then sees the connection end, whatever it was waiting for)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._token: Any = None

    def __enter__(self) -> _Deadline:
        self._token = _ATTEMPT.set(self)
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        _ATTEMPT.reset(self._token)

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _cut(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)


_ATTEMPT: ContextVar[_Deadline | None] = ContextVar("portal_attempt", default=None)


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watched(connection: HTTPConnection) -> None:
    deadline = _ATTEMPT.get()
    if deadline is not None:
        deadline.watch(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _GuardedHTTPConnection(_WatchedHTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _GuardedHTTPSConnection(_WatchedHTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


def _pool(base: type[HTTPConnectionPool], connection: type[HTTPConnection]) -> Any:
    return type(f"_{connection.__name__}Pool", (base,), {"ConnectionCls": connection})


_POOLS: Final = {
    # guarded (the addresses each connection reaches are checked) -> scheme -> pool class
    True: {
        "http": _pool(HTTPConnectionPool, _GuardedHTTPConnection),
        "https": _pool(HTTPSConnectionPool, _GuardedHTTPSConnection),
    },
    False: {
        "http": _pool(HTTPConnectionPool, _WatchedHTTPConnection),
        "https": _pool(HTTPSConnectionPool, _WatchedHTTPSConnection),
    },
}


class _PortalAdapter(HTTPAdapter):
    """Every connection under its attempt's deadline; with ``guarded``, the address each
    new connection reaches checked too (a name may resolve anywhere)."""

    def __init__(self, *, guarded: bool) -> None:
        self._guarded = guarded
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS[self._guarded])


class _TooLarge(Exception):
    pass


def _read_capped(response: requests.Response, cap: int) -> None:
    """Read the answer into ``response`` (as ``response.content`` would), never more than
    ``cap`` bytes of it."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _TooLarge
    pieces: list[bytes] = []
    size = 0
    for piece in response.iter_content(_PIECE):
        size += len(piece)
        if size > cap:
            raise _TooLarge
        pieces.append(piece)
    # Where requests itself keeps a body it has read (iter_content marked it consumed):
    # json() and text read it from there.
    response._content = b"".join(pieces)


class Transport:
    """``allow_local``: connections that reach this host or the link-local network (the
    metadata service) are cut before anything is sent, unless allowed for local tests."""

    def __init__(
        self, base_url: str, referer: str, settings: TransportSettings, *, allow_local: bool = False
    ) -> None:
        self.base_url = base_url
        self.settings = settings
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Referer": referer})
        # A configured CA bundle replaces the default trust store; verification is never off.
        self._session.verify = settings.ca_bundle or True
        self._session.trust_env = False
        adapter = _PortalAdapter(guarded=not allow_local)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def close(self) -> None:
        self._session.close()

    def post(
        self,
        path: str,
        data: Mapping[str, str],
        *,
        operation: str,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return self._send(
            "POST", path, operation, idempotent, data=dict(data), headers=dict(headers or {})
        )

    def get_anonymous(
        self, path: str, params: Mapping[str, str], *, operation: str
    ) -> requests.Response:
        return self._send("GET", path, operation, True, params=dict(params))

    def _send(
        self,
        method: str,
        path: str,
        operation: str,
        idempotent: bool,
        *,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = f"{self.base_url}/{path}"
        attempts = 1 + (self.settings.retries if idempotent else 0)
        for attempt in range(attempts):
            deadline = _Deadline(self.settings.deadline)
            try:
                with deadline:
                    return self._attempt(method, url, data, params, headers)
            except Exception as exc:  # noqa: BLE001 - each failure is named in _failure
                last = attempt + 1 >= attempts
                error = self._failure(exc, deadline, operation, idempotent, attempt, last=last)
                if error is not None:
                    raise error from None
            delay = self.settings.backoff_seconds * (2**attempt)
            time.sleep(random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not crypto
        raise AssertionError("unreachable")

    def _attempt(
        self,
        method: str,
        url: str,
        data: dict[str, str] | None,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
    ) -> requests.Response:
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        response = self._session.request(
            method,
            url,
            data=data,
            params=params,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        try:
            _read_capped(response, self.settings.max_answer_bytes)
        finally:
            response.close()  # read whole: the connection back to the pool; else dropped
        return response

    def _failure(
        self,
        exc: Exception,
        deadline: _Deadline,
        operation: str,
        idempotent: bool,
        attempt: int,
        *,
        last: bool,
    ) -> Exception | None:
        """The named error for ``exc``, or None when the attempt is to be repeated."""
        outcome = "" if idempotent else " (outcome unknown: check before retrying)"
        if deadline.expired:
            return PortalAnswerTooSlow(
                f"{operation}: the portal's answer did not complete within {deadline.seconds:g} s "
                f"(the call's deadline){outcome}"
            )
        if isinstance(exc, _TooLarge):
            return PortalAnswerTooLarge(
                f"{operation}: the portal's answer is larger than "
                f"{self.settings.max_answer_bytes} bytes (the call's size cap); it was not "
                f"read further{outcome}"
            )
        if isinstance(exc, ForbiddenPeer):
            return InsecurePortalUrl(
                f"{operation}: {self.base_url} resolves to {exc.reason}; refusing to send "
                "anything there (allowed only for local testing)"
            )
        if isinstance(exc, requests.exceptions.SSLError):
            reason, advice = _tls_reason(exc)
            return PortalTlsError(
                f"{operation}: TLS verification failed for {self.base_url}: {reason}. "
                f"{advice}; verification is never disabled"
            )
        if not isinstance(exc, _CONNECTION_FAILURES):
            return exc
        if not last:
            return None
        return PortalUnavailable(
            f"{operation}: portal unreachable after {attempt + 1} attempt(s): "
            f"{_connection_reason(exc)}{outcome}"
        )


_TLS_REASONS: Final = (
    ("certificate has expired", "the portal's certificate must be renewed"),
    ("Hostname mismatch", "use the host name the certificate was issued for in the url"),
    ("IP address mismatch", "use the host name the certificate was issued for in the url"),
    ("self-signed certificate", "install a CA-signed certificate or configure its CA bundle"),
    ("self signed certificate", "install a CA-signed certificate or configure its CA bundle"),
    ("unable to get local issuer certificate", "configure the CA bundle of the portal's CA"),
)


def _tls_reason(exc: Exception) -> tuple[str, str]:
    text = str(exc).lower()
    for marker, advice in _TLS_REASONS:
        if marker.lower() in text:
            return marker, advice.capitalize()
    return "certificate verify failed", "Configure the CA bundle that signed the certificate"


def _connection_reason(exc: Exception) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timeout"
    text = str(exc)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "DNS lookup failed"),
        ("nodename nor servname", "DNS lookup failed"),
        ("Temporary failure in name resolution", "DNS lookup failed"),
        ("Failed to resolve", "DNS lookup failed"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "connection closed without a response"),
        ("Connection aborted", "connection aborted"),
    ):
        if marker in text:
            return reason
    return type(exc).__name__
