"""HTTP transport to one portal: one Session, timeouts on every call, TLS always verified.

Only POST bodies and headers carry tokens and passwords; the one GET (the anonymous
health check) carries nothing secret. Connection failures of idempotent calls are
retried a bounded number of times with jittered exponential backoff; a call that
changes the portal is never retried here (the workflow checks state before any retry).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import requests

from ..errors import PortalTlsError, PortalUnavailable

USER_AGENT: Final = "arcgis-portal-security-automation/0.1"


@dataclass(frozen=True)
class TransportSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 2
    backoff_seconds: float = 0.5
    ca_bundle: str | None = None


class Transport:
    def __init__(self, base_url: str, referer: str, settings: TransportSettings) -> None:
        self.base_url = base_url
        self.settings = settings
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Referer": referer})
        # A configured CA bundle replaces the default trust store; verification is never off.
        self._session.verify = settings.ca_bundle or True
        self._session.trust_env = False

    def close(self) -> None:
        self._session.close()

    def post(
        self, path: str, data: Mapping[str, str], *, operation: str, idempotent: bool
    ) -> requests.Response:
        return self._send("POST", path, operation, idempotent, data=dict(data))

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
    ) -> requests.Response:
        url = f"{self.base_url}/{path}"
        attempts = 1 + (self.settings.retries if idempotent else 0)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        for attempt in range(attempts):
            try:
                return self._session.request(
                    method, url, data=data, params=params, timeout=timeout, allow_redirects=False
                )
            except requests.exceptions.SSLError as exc:
                raise PortalTlsError(
                    f"{operation}: TLS verification failed for {self.base_url}: "
                    f"{_tls_reason(exc)}. Configure the CA bundle that signed the portal's "
                    "certificate; verification is never disabled"
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
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


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "certificate has expired",
        "Hostname mismatch",
        "self-signed certificate",
        "self signed certificate",
        "unable to get local issuer certificate",
        "IP address mismatch",
        "certificate verify failed",
    ):
        if marker.lower() in text.lower():
            return marker
    return "certificate verification failed"


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
