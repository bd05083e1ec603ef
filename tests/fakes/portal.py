"""A portal as ``PortalClient`` sees it, in memory, with a restart the test drives.

Like the real portal (and the emulator): tokens are valid only while the key they were
issued under is the running key; an accepted update stores the new key or config at
once (``security/tokens`` reads it back) while the old process keeps answering with the
old key until the restart, which the test performs with ``restart()`` (or
``go_down()`` / ``come_up()``). 11.4+ generates the key itself. Every call the steps
make is recorded in ``calls``; ``fail(operation, error)`` makes the next call raise.
"""

from __future__ import annotations

import base64
import copy
import itertools
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from portal_automation.domain.credentials import PortalCredentials
from portal_automation.domain.shared_key import validate_shared_key
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import PortalAuthFailed, PortalRequestRejected, PortalUnavailable
from portal_automation.portal import AdminSession
from portal_automation.portal.models import (
    HealthStatus,
    PortalInfo,
    PortalToken,
    SecurityConfig,
    TokenClient,
    UpdateAccepted,
)
from portal_automation.sensitive import Secret

Phase = Literal["up", "lag", "down"]
_tokens = itertools.count(1)


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def factory_config() -> dict[str, Any]:
    return {
        "userStoreConfig": {"type": "BUILTIN", "properties": {}},
        "groupStoreConfig": {"type": "BUILTIN", "properties": {}},
        "enableAutomaticAccountCreation": False,
        "disableServicesDirectory": False,
        "allowedProxyHosts": "",
        "defaultRoleForUser": "account_user",
        "defaultUserTypeIdForUser": "creatorUT",
        "defaultIDPUsernameSuffix": "",
        "allowInternetCORSAccess": True,
        "webgisServerTrustKey": "trust-" + secrets.token_hex(16),
    }


class FakePortal:
    def __init__(
        self,
        url: str = "https://gis.example.com/portal",
        *,
        version: str = "11.3",
        username: str = "portaladmin",
        password: str = "fake-admin-password",
        config: Mapping[str, Any] | None = None,
        recheck_after_seconds: int = 10,
        reject_supplied_key: bool = False,
    ) -> None:
        self.url = url
        self.version = version
        self.username = username
        self.password = password
        self.recheck_after_seconds = recheck_after_seconds
        self.reject_supplied_key = reject_supplied_key
        self.stored_key = random_key()
        self.running_key = self.stored_key
        self.config: dict[str, Any] = {**factory_config(), **(config or {})}
        self.running_config = copy.deepcopy(self.config)
        self.phase: Phase = "up"
        self.generation = 1
        self.updates = 0
        self.restarts = 0
        self.calls: list[str] = []
        self.keys_seen = [self.stored_key]
        self._tokens: dict[str, int] = {}
        self._faults: dict[str, list[Exception | Callable[[], Exception]]] = {}

    # --- the test drives the restart ------------------------------------------------

    def go_down(self) -> None:
        self.phase = "down"
        self.restarts += 1

    def come_up(self) -> None:
        if self.running_key != self.stored_key:
            self.generation += 1
        self.running_key = self.stored_key
        self.running_config = copy.deepcopy(self.config)
        self.phase = "up"

    def restart(self) -> None:
        self.go_down()
        self.come_up()

    def fail(
        self, operation: str, error: Exception | Callable[[], Exception], times: int = 1
    ) -> None:
        """The next ``times`` calls of ``operation`` (a client method name) raise ``error``
        (or what ``error()`` makes at the moment of the call, as an answer would be)."""
        self._faults.setdefault(operation, []).extend([error] * times)

    def _raise_fault(self, operation: str) -> None:
        queued = self._faults.get(operation)
        if queued:
            fault = queued.pop(0)
            raise fault if isinstance(fault, Exception) else fault()

    def set_key(self, key: str) -> None:
        """Store and run ``key`` at once (as if set by hand), no restart."""
        self.stored_key = self.running_key = key
        self.generation += 1
        self.keys_seen.append(key)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def secret_values(self) -> set[str]:
        return {self.password, *self.keys_seen, *self._tokens, self.config["webgisServerTrustKey"]}

    # --- what the client sees ---------------------------------------------------------

    def enter(self, operation: str, *, admin_token: PortalToken | None = None) -> None:
        self.calls.append(operation)
        self._raise_fault(operation)
        if self.phase == "down":
            raise PortalUnavailable(f"{operation}: portal answered HTTP 502 (not available)")
        if admin_token is not None:
            generation = self._tokens.get(admin_token.value.reveal())
            if generation != self.generation:
                raise PortalAuthFailed(f"{operation}: portal error 498: Invalid token.", code=498)

    def issue(self, minutes: int, referer: str) -> PortalToken:
        value = f"fake-token-{next(_tokens)}-{secrets.token_hex(8)}"
        self._tokens[value] = self.generation
        expires = datetime.now(UTC) + timedelta(minutes=minutes)
        return PortalToken(Secret(value), expires, True, referer)

    def accept(self) -> UpdateAccepted:
        self.updates += 1
        if self.phase == "up":
            self.phase = "lag"
        return UpdateAccepted(self.recheck_after_seconds)


class FakePortalClient:
    """``PortalApi`` over a ``FakePortal``."""

    def __init__(self, portal: FakePortal, referer: str | None = None) -> None:
        self.portal = portal
        self.base_url = portal.url
        self.referer = referer or portal.url

    def close(self) -> None:
        pass

    def generate_token(
        self,
        username: str,
        password: Secret,
        *,
        client: TokenClient = "referer",
        ip: str | None = None,
        expiration_minutes: int = 5,
    ) -> PortalToken:
        portal = self.portal
        portal.enter("generate_token")
        if username != portal.username or password.reveal() != portal.password:
            raise PortalAuthFailed(
                f"generateToken refused for user {username!r}: Invalid username or password.",
                code=400,
            )
        return portal.issue(expiration_minutes, self.referer)

    def info(self, token: PortalToken) -> PortalInfo:
        self.portal.enter("info", admin_token=token)
        return PortalInfo(PortalVersion.parse(self.portal.version), f"{self.portal.version}.1")

    def read_shared_key(self, token: PortalToken) -> Secret:
        self.portal.enter("read_shared_key", admin_token=token)
        return Secret(self.portal.stored_key)

    def update_shared_key(self, token: PortalToken, key: Secret | None) -> UpdateAccepted:
        portal = self.portal
        if key is not None:
            validate_shared_key(key)
        portal.enter("update_shared_key", admin_token=token)
        if PortalVersion.parse(portal.version).generates_shared_key:
            if key is not None and key.reveal() and portal.reject_supplied_key:
                raise PortalRequestRejected(
                    "update token config: portal error 400: Unable to update the token "
                    "configuration.; The shared key is generated by the portal.",
                    code=400,
                )
            portal.stored_key = random_key()
        else:
            if key is None:
                raise PortalRequestRejected("update token config: portal error 400", code=400)
            portal.stored_key = key.reveal()
        portal.keys_seen.append(portal.stored_key)
        return portal.accept()

    def read_security_config(self, token: PortalToken) -> SecurityConfig:
        self.portal.enter("read_security_config", admin_token=token)
        return SecurityConfig(copy.deepcopy(self.portal.config))

    def update_security_config(
        self, token: PortalToken, config: Mapping[str, Any]
    ) -> UpdateAccepted:
        self.portal.enter("update_security_config", admin_token=token)
        self.portal.config = copy.deepcopy(dict(config))
        return self.portal.accept()

    def health(self) -> HealthStatus:
        portal = self.portal
        portal.calls.append("health")
        portal._raise_fault("health")
        if portal.phase == "down":
            return HealthStatus(False, "HTTP 503")
        return HealthStatus(True, "success")


class FakePortals:
    """``PortalConnector`` for any number of fake portals, found by the secret's url."""

    def __init__(self, *portals: FakePortal) -> None:
        self.by_url = {p.url: p for p in portals}

    def add(self, portal: FakePortal) -> FakePortal:
        self.by_url[portal.url] = portal
        return portal

    @contextmanager
    def session(self, creds: PortalCredentials) -> Iterator[AdminSession]:
        portal = self.by_url.get(creds.url)
        if portal is None:
            raise PortalUnavailable(f"portal {creds.url} unreachable: DNS lookup failed")
        client = FakePortalClient(portal, creds.referer)
        yield AdminSession(client, creds.username, creds.password)
