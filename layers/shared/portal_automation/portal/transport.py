"""HTTP transport to one portal: one Session, timeouts on every call, TLS always verified.

Only POST bodies and headers carry tokens and passwords (a call may add headers: the
token's ``Authorization`` from 11.4); the one GET (the anonymous health check) carries
nothing secret. Connection failures of idempotent calls are
retried a bounded number of times with jittered exponential backoff; a call that
changes the portal is never retried here (the workflow checks state before any retry).
"""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import InsecurePortalUrl, PortalTlsError, PortalUnavailable
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


@dataclass(frozen=True)
class TransportSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff_seconds: float = 0.5
    ca_bundle: str | None = None


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


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(super()._new_conn())


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """Checks the address every new connection reaches (a name may resolve anywhere)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


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
        if not allow_local:
            adapter = _GuardedAdapter()
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
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        for attempt in range(attempts):
            try:
                return self._session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
            except ForbiddenPeer as exc:
                raise InsecurePortalUrl(
                    f"{operation}: {self.base_url} resolves to {exc.reason}; refusing to send "
                    "anything there (allowed only for local testing)"
                ) from None
            except requests.exceptions.SSLError as exc:
                reason, advice = _tls_reason(exc)
                raise PortalTlsError(
                    f"{operation}: TLS verification failed for {self.base_url}: {reason}. "
                    f"{advice}; verification is never disabled"
                ) from None
            except _CONNECTION_FAILURES as exc:
                reason = _connection_reason(exc)
                if attempt + 1 >= attempts:
                    outcome = "" if idempotent else " (outcome unknown: check before retrying)"
                    raise PortalUnavailable(
                        f"{operation}: portal unreachable after {attempt + 1} attempt(s): "
                        f"{reason}{outcome}"
                    ) from None
                delay = self.settings.backoff_seconds * (2**attempt)
                time.sleep(random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not crypto
        raise AssertionError("unreachable")


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
