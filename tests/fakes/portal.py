"""A portal as ``PortalClient`` sees it, in memory, with a restart the test drives.

Like the real portal (and the emulator): tokens are valid only while the key they were
issued under is the running key, and until they expire (on ``clock``, which a test
moves); an accepted update stores the new key or config at once (``security/tokens``
reads it back) while the old process keeps answering with the old key until the
restart, which the test performs with ``restart()`` (or ``go_down()`` / ``come_up()``).
11.4+ generates the key itself. Every call the steps make is recorded in ``calls``;
``fail(operation, error)`` makes the next call raise.

Like the HTTP connector, ``FakePortals`` checks a URL when a session opens and connects
nowhere: a portal it does not know fails at the session's first call, as an address
that does not answer does. ``FakePortals.password_sent_to`` records every URL a
password was sent to.
"""

from __future__ import annotations

import base64
import copy
import itertools
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from portal_automation.domain.credentials import PortalCredentials
from portal_automation.domain.shared_key import validate_shared_key
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import PortalAuthFailed, PortalRequestRejected, PortalUnavailable
from portal_automation.portal import AdminSession
from portal_automation.portal.client import vetted_machines
from portal_automation.portal.models import (
    HealthStatus,
    Machine,
    PortalInfo,
    PortalToken,
    SecurityConfig,
    TokenClient,
    UpdateAccepted,
)
from portal_automation.portal.url import UrlPolicy, normalise_portal_url
from portal_automation.portal.vetted import FederatedServer, FederationValidation
from portal_automation.sensitive import Secret

Phase = Literal["up", "lag", "down"]
_tokens = itertools.count(1)


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


BOOLEANS = ("enableAutomaticAccountCreation", "disableServicesDirectory", "allowInternetCORSAccess")
MOVED_TO_USER_DEFAULTS = ("defaultRoleForUser", "defaultUserTypeIdForUser")


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


@dataclass
class Database:
    """What the machines of one portal share: the stored key and config, the tokens."""

    stored_key: str
    config: dict[str, Any]
    user_defaults: dict[str, Any] | None
    licenses_populated: bool = True
    tokens: dict[str, str | None] = field(default_factory=dict)  # token -> key issued under
    expiry: dict[str, float] = field(default_factory=dict)  # token -> when it expires
    clock: Callable[[], float] = time.time
    keys_seen: list[str] = field(default_factory=list)
    updates: int = 0
    user_default_updates: int = 0


class FakePortal:
    """One machine of a portal (or the only one). ``standby()`` adds a second machine
    sharing the database, reached at its own URL; the portal's URL then reaches this
    one (the primary), as a load balancer would while both are up."""

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
        booleans_as_strings: bool = True,
        default_user_type: str = "creatorUT",
        database: Database | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.url = url
        self.version = version
        self.username = username
        self.password = password
        self.recheck_after_seconds = recheck_after_seconds
        self.reject_supplied_key = reject_supplied_key
        self.booleans_as_strings = booleans_as_strings
        self.db = database or _database(version, config, default_user_type)
        if clock is not None:
            self.db.clock = clock
        self.running_key = self.db.stored_key
        self.running_config = copy.deepcopy(self.db.config)
        self.phase: Phase = "up"
        self.populate_license_works = True
        # portaladmin/license (11.4+: the portal's own user types) and the federated
        # servers' validation statuses.
        self.user_types = ["viewerUT", "creatorUT", "GISProfessionalStdUT", "fieldWorkerUT"]
        self.federated_servers = ["success"]
        self.default_administrator = True  # False: portaladmin/machines answers 403
        self.restarts = 0
        self.calls: list[str] = []
        self.token_minutes: list[int] = []  # the lifetime of each token issued, in order
        # The machines' names are the portal's own (the portal lock tells portals apart
        # by them); the one machine's adminURL is an internal name never reached.
        self.host = urlsplit(url).hostname or "portal"
        self.machines = [
            Machine(
                f"portal-machine-1.{self.host}",
                f"https://portal-machine-1.{self.host}:7443/arcgis",
                "primary",
            )
        ]
        self._faults: dict[str, list[Exception | Callable[[], Exception]]] = {}

    def standby(self, url: str = "https://10.0.2.12:7443/arcgis") -> FakePortal:
        """A second machine of this portal; both are then listed with their adminURLs."""
        other = FakePortal(
            url,
            version=self.version,
            username=self.username,
            password=self.password,
            recheck_after_seconds=self.recheck_after_seconds,
            booleans_as_strings=self.booleans_as_strings,
            database=self.db,
        )
        primary_url = "https://10.0.2.11:7443/arcgis"
        self.machines = [
            Machine(f"portal-machine-1.{self.host}", primary_url, "primary"),
            Machine(f"portal-machine-2.{self.host}", url, "standby"),
        ]
        other.machines = self.machines
        return other

    # --- the shared database ---------------------------------------------------------

    @property
    def stored_key(self) -> str:
        return self.db.stored_key

    @stored_key.setter
    def stored_key(self, key: str) -> None:
        self.db.stored_key = key

    @property
    def config(self) -> dict[str, Any]:
        return self.db.config

    @config.setter
    def config(self, value: dict[str, Any]) -> None:
        self.db.config = value

    @property
    def user_defaults(self) -> dict[str, Any] | None:
        return self.db.user_defaults

    @user_defaults.setter
    def user_defaults(self, value: dict[str, Any] | None) -> None:
        self.db.user_defaults = value

    @property
    def licenses_populated(self) -> bool:
        return self.db.licenses_populated

    @licenses_populated.setter
    def licenses_populated(self, value: bool) -> None:
        self.db.licenses_populated = value

    @property
    def updates(self) -> int:
        return self.db.updates

    @property
    def user_default_updates(self) -> int:
        return self.db.user_default_updates

    @property
    def keys_seen(self) -> list[str]:
        return self.db.keys_seen

    # --- the test drives the restart ------------------------------------------------

    def go_down(self) -> None:
        self.phase = "down"
        self.restarts += 1

    def come_up(self) -> None:
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
        self.keys_seen.append(key)

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (as if expired)."""
        self.db.tokens = dict.fromkeys(self.db.tokens)

    def token_is_valid(self, value: str) -> bool:
        """Issued under the key this machine runs, and not expired (on the clock)."""
        fresh = self.db.expiry.get(value, float("-inf")) > self.db.clock()
        return fresh and self.db.tokens.get(value) == self.running_key

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def secret_values(self) -> set[str]:
        return {
            self.password,
            *self.keys_seen,
            *self.db.tokens,
            self.config["webgisServerTrustKey"],
        }

    # --- what the client sees ---------------------------------------------------------

    def enter(self, operation: str, *, admin_token: PortalToken | None = None) -> None:
        self.calls.append(operation)
        self._raise_fault(operation)
        if self.phase == "down":
            raise PortalUnavailable(f"{operation}: portal answered HTTP 502 (not available)")
        if admin_token is not None and not self.token_is_valid(admin_token.value.reveal()):
            raise PortalAuthFailed(f"{operation}: portal error 498: Invalid token.", code=498)

    def issue(self, minutes: int, referer: str) -> PortalToken:
        value = f"fake-token-{next(_tokens)}-{secrets.token_hex(8)}"
        self.db.tokens[value] = self.running_key
        self.db.expiry[value] = self.db.clock() + minutes * 60
        self.token_minutes.append(minutes)
        expires = datetime.fromtimestamp(self.db.expiry[value], UTC)
        return PortalToken(Secret(value), expires, True, referer)

    def accept(self) -> UpdateAccepted:
        self.db.updates += 1
        if self.phase == "up":
            self.phase = "lag"
        return UpdateAccepted(self.recheck_after_seconds)


def _database(version: str, config: Mapping[str, Any] | None, default_user_type: str) -> Database:
    key = random_key()
    values: dict[str, Any] = {
        **factory_config(),
        "defaultUserTypeIdForUser": default_user_type,
        **(config or {}),
    }
    user_defaults = None
    # From 10.8 the default role and user type are the new-member defaults.
    if PortalVersion.parse(version) >= PortalVersion.parse("10.8"):
        user_defaults = {
            "role": values.pop("defaultRoleForUser"),
            "userLicenseType": values.pop("defaultUserTypeIdForUser"),
            "groups": [],
            "userType": "arcgisonly",
            "apps": [],
            "appBundles": [],
        }
    return Database(key, values, user_defaults, keys_seen=[key])


def _meaning(value: Any) -> Any:
    if value in ("true", "false"):
        return value == "true"
    return value


class FakeKeyClient:
    """``KeyTargetApi`` (what a rotation calls, of a portal or a site) over a ``FakePortal``;
    ``sent`` records the URL of every password sent."""

    def __init__(
        self,
        portal: FakePortal,
        referer: str | None = None,
        sent: list[str] | None = None,
        url: str | None = None,
        version: PortalVersion | None = None,
    ) -> None:
        self.portal = portal
        self.base_url = url or portal.url
        self.referer = referer or portal.url
        self.version = version  # the version the step passed, as PortalClient keeps it
        self._sent = sent if sent is not None else []

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
        self._sent.append(self.base_url)
        portal.enter("generate_token")
        if username != portal.username or password.reveal() != portal.password:
            raise PortalAuthFailed(
                f"generateToken refused for user {username!r}: Invalid username or password.",
                code=400,
            )
        return portal.issue(expiration_minutes, self.referer)

    def info(self, token: PortalToken) -> PortalInfo:
        portal = self.portal
        portal.enter("info", admin_token=token)
        version = PortalVersion.parse(portal.version)
        return PortalInfo(version, f"{portal.version}.1", portal.licenses_populated)

    def read_shared_key(self, token: PortalToken) -> Secret:
        self.portal.enter("read_shared_key", admin_token=token)
        return Secret(self.portal.stored_key)

    def machines(self, token: PortalToken) -> list[Machine]:
        self.portal.enter("machines", admin_token=token)
        if not self.portal.default_administrator:
            raise PortalAuthFailed("list machines: portal error 403: not authorized", code=403)
        answer = [
            {"machineName": m.name, "adminURL": m.admin_url, "role": m.role}
            for m in self.portal.machines
        ]
        return vetted_machines(answer)  # bounded and printable, as the client does

    def health(self) -> HealthStatus:
        portal = self.portal
        if isinstance(portal, _Unreachable):
            portal.calls.append("health")
            return HealthStatus(False, "DNS lookup failed")
        portal.calls.append("health")
        portal._raise_fault("health")
        if portal.phase == "down":
            return HealthStatus(False, "HTTP 503")
        return HealthStatus(True, "success")


class FakePortalClient(FakeKeyClient):
    """``PortalApi`` over a ``FakePortal``."""

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
        if portal.version == "10.7":
            portal.licenses_populated = False
        return portal.accept()

    def read_security_config(self, token: PortalToken) -> SecurityConfig:
        portal = self.portal
        portal.enter("read_security_config", admin_token=token)
        answer = copy.deepcopy(portal.config)
        if portal.booleans_as_strings:
            for name in BOOLEANS:
                if isinstance(answer.get(name), bool):
                    answer[name] = "true" if answer[name] else "false"
        return SecurityConfig(answer)

    def update_security_config(
        self, token: PortalToken, config: Mapping[str, Any]
    ) -> UpdateAccepted:
        portal = self.portal
        portal.enter("update_security_config", admin_token=token)
        new = {k: _meaning(v) for k, v in copy.deepcopy(dict(config)).items()}
        if portal.user_defaults is not None:
            for name in MOVED_TO_USER_DEFAULTS:
                new.pop(name, None)  # dropped from 10.8
            user_type = portal.user_defaults.get("userLicenseType")
        else:
            user_type = new.get("defaultUserTypeIdForUser")
        if new.get("enableAutomaticAccountCreation") is True and not user_type:
            raise PortalRequestRejected(
                "update security config: portal error 500: A default user type id must be "
                "specified to enable automatic account creation for your Enterprise portal.",
                code=500,
            )
        portal.config = new
        return portal.accept()

    def read_user_default_settings(self, token: PortalToken) -> dict[str, Any]:
        portal = self.portal
        portal.enter("read_user_default_settings", admin_token=token)
        if portal.user_defaults is None:
            raise PortalRequestRejected("read user default settings: HTTP 404", code=404)
        return copy.deepcopy(portal.user_defaults)

    def update_user_default_settings(self, token: PortalToken, settings: Mapping[str, Any]) -> None:
        portal = self.portal
        portal.enter("update_user_default_settings", admin_token=token)
        if portal.user_defaults is None:
            raise PortalRequestRejected("set user default settings: HTTP 404", code=404)
        portal.user_defaults = copy.deepcopy(dict(settings))
        portal.db.user_default_updates += 1

    def is_enterprise_on_kubernetes(self, token: PortalToken) -> bool:
        self.portal.enter("is_enterprise_on_kubernetes", admin_token=token)
        return False

    def populate_license(self, token: PortalToken) -> None:
        self.portal.enter("populate_license", admin_token=token)
        if self.portal.populate_license_works:
            self.portal.licenses_populated = True

    def license_user_types(self, token: PortalToken) -> list[str]:
        self.portal.enter("license_user_types", admin_token=token)
        return list(self.portal.user_types)

    def validate_federated_servers(self, token: PortalToken) -> FederationValidation:
        self.portal.enter("validate_federated_servers", admin_token=token)
        servers = tuple(
            FederatedServer(f"server{n}", status, (f"validated: {status}",))
            for n, status in enumerate(self.portal.federated_servers, start=1)
        )
        return FederationValidation(servers, len(servers))


class _Unreachable(FakePortal):
    """An address nothing answers at: every call fails as a DNS failure does."""

    def enter(self, operation: str, *, admin_token: PortalToken | None = None) -> None:
        self.calls.append(operation)
        raise PortalUnavailable(f"{operation}: portal {self.url} unreachable: DNS lookup failed")


class FakePortals:
    """``PortalConnector`` for any number of fake portals, found by the secret's url."""

    def __init__(self, *portals: FakePortal, policy: UrlPolicy = UrlPolicy()) -> None:  # noqa: B008
        self.by_url = {p.url: p for p in portals}
        self.policy = policy
        self.password_sent_to: list[str] = []  # every URL a password went to, in order

    def add(self, portal: FakePortal) -> FakePortal:
        self.by_url[portal.url] = portal
        return portal

    @contextmanager
    def session(
        self, creds: PortalCredentials, version: PortalVersion | None = None
    ) -> Iterator[AdminSession]:
        client = self._client(creds.url, creds.referer, version)
        yield AdminSession(client, creds.username, creds.password)

    @contextmanager
    def machine(self, url: str, portal: AdminSession) -> Iterator[AdminSession]:
        version = getattr(portal.client, "version", None)
        yield portal.borrowing(self._client(url, portal.client.referer, version))

    def _client(
        self, url: str, referer: str | None, version: PortalVersion | None = None
    ) -> FakePortalClient:
        # As PortalClient does when it is made: the URL is checked, nothing is sent.
        url = normalise_portal_url(url, self.policy)
        portal = self.by_url.get(url) or _Unreachable(url)
        kind = getattr(portal, "client_class", FakePortalClient)  # a site's (fakes/server)
        return kind(portal, referer, sent=self.password_sent_to, url=url, version=version)
