"""A typed client for the Portal Admin API endpoints this project uses (PORTAL_API.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

import requests

from ..domain.shared_key import validate_shared_key
from ..domain.version import PortalVersion
from ..errors import (
    MachineListTooLarge,
    PortalAuthFailed,
    PortalBadResponse,
    PortalRequestRejected,
    PortalTlsError,
)
from ..printable import printable, shown
from ..sensitive import Secret
from .models import (
    DEFAULT_TOKEN_MINUTES,
    HealthStatus,
    Machine,
    PortalInfo,
    PortalToken,
    SecurityConfig,
    TokenClient,
    UpdateAccepted,
)
from .responses import parse_json_response
from .transport import Transport, TransportSettings
from .url import UrlPolicy, normalise_portal_url
from .vetted import FederationValidation, federation, user_types

MAX_TOKEN_MINUTES: Final = 525_600
DEFAULT_RECHECK_SECONDS: Final = 10
# What the portal says is bounded before it steers anything (issue 18): a recheck longer
# than the input's own maximum, a version or build longer than any real one.
MAX_RECHECK_SECONDS: Final = 600
_MAX_VERSION: Final = 32
_MAX_BUILD: Final = 64
_LAST_EXPIRY_MS: Final = 253_402_300_799_000  # 9999-12-31: datetime's last second
# portaladmin/machines: a highly available portal has two machines; a host name has at
# most 253 characters.
MAX_MACHINES: Final = 8
_MAX_MACHINE_NAME: Final = 255
_MAX_ADMIN_URL: Final = 2048
_MAX_ROLE: Final = 32


class PortalClient:
    """One portal, one HTTP session. Every method maps failures to the named errors.

    The token goes in the POST body on every version and, once the portal's version is
    known (given, or read by ``info``) and takes it, also in ``Authorization: Bearer``
    (PORTAL_API.md 2); never in a URL.
    """

    def __init__(
        self,
        url: str,
        *,
        referer: str | None = None,
        policy: UrlPolicy = UrlPolicy(),  # noqa: B008 - immutable
        settings: TransportSettings | None = None,
        version: PortalVersion | None = None,
    ) -> None:
        self.base_url = normalise_portal_url(url, policy)
        self.referer = referer or self.base_url
        self.version = version
        self._http = Transport(
            self.base_url,
            self.referer,
            settings or TransportSettings(),
            allow_local=policy.allow_local,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PortalClient({self.base_url!r})"

    # --- tokens --------------------------------------------------------------------

    def generate_token(
        self,
        username: str,
        password: Secret,
        *,
        client: TokenClient = "referer",
        ip: str | None = None,
        expiration_minutes: int = DEFAULT_TOKEN_MINUTES,
    ) -> PortalToken:
        if not 1 <= expiration_minutes <= MAX_TOKEN_MINUTES:
            raise ValueError(f"expiration_minutes must be 1..{MAX_TOKEN_MINUTES}")
        form = {
            "username": username,
            "password": password.reveal(),
            "client": client,
            "expiration": str(expiration_minutes),
            "f": "json",
        }
        if client == "referer":
            form["referer"] = self.referer
        elif client == "ip":
            if not ip:
                raise ValueError("client='ip' needs the ip the token is bound to")
            form["ip"] = ip
        response = self._http.post(
            "sharing/rest/generateToken", form, operation="generateToken", idempotent=True
        )
        try:
            body = parse_json_response(response, "generateToken")
        except PortalAuthFailed:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            if code == 400:
                raise PortalAuthFailed(
                    f"generateToken refused for user {username!r}: {exc}", code=400
                ) from None
            raise
        token = body.get("token")
        expires = body.get("expires")
        if not isinstance(token, str) or not token or not _is_epoch_ms(expires):
            raise PortalBadResponse("generateToken: answer has no token or expiry")
        return PortalToken(
            value=Secret(token),
            expires_at=datetime.fromtimestamp(expires / 1000, tz=UTC),
            ssl=bool(body.get("ssl", False)),
            referer=self.referer if client == "referer" else None,
        )

    # --- portaladmin ---------------------------------------------------------------

    def info(self, token: PortalToken) -> PortalInfo:
        body = self._admin("portaladmin", token, operation="portaladmin info")
        version = body.get("version")
        if not isinstance(version, str) or len(version) > _MAX_VERSION:
            raise PortalBadResponse("portaladmin info: answer has no version")
        populated = body.get("isLicensePopulated")
        self.version = PortalVersion.parse(version)
        return PortalInfo(
            self.version,
            shown(str(body.get("currentbuild", "")), _MAX_BUILD),
            populated if isinstance(populated, bool) else None,
        )

    def is_enterprise_on_kubernetes(self, token: PortalToken) -> bool:
        """Whether ``<portal>/admin`` is ArcGIS Enterprise on Kubernetes' admin root (it has
        no portaladmin: ask only once ``portaladmin`` answered 404)."""
        try:
            body = self._admin("admin", token, operation="Enterprise admin root")
        except (PortalRequestRejected, PortalBadResponse):
            return False
        return isinstance(body.get("fullVersion") or body.get("currentVersion"), str)

    def machines(self, token: PortalToken) -> list[Machine]:
        """``portaladmin/machines``: every machine of the portal, primary first as listed;
        bounded (``MachineListTooLarge``), names and roles made printable. The adminURLs
        are kept as listed: they are compared with the operator's pins, never called."""
        body = self._admin("portaladmin/machines", token, operation="list machines")
        return vetted_machines(body.get("machines"))

    def populate_license(self, token: PortalToken) -> None:
        """10.7: ``license/populateLicense`` after a key change (PORTAL_API.md 7b)."""
        self._admin(
            "portaladmin/license/populateLicense",
            token,
            operation="populate license",
            idempotent=False,
        )

    def license_user_types(self, token: PortalToken) -> list[str]:
        """The user type IDs ``portaladmin/license`` lists (PORTAL_API.md 6c), vetted."""
        return user_types(self._admin("portaladmin/license", token, operation="read license"))

    def validate_federated_servers(self, token: PortalToken) -> FederationValidation:
        """``federation/servers/validate``: each federated server's status (7d), vetted."""
        body = self._admin(
            "portaladmin/federation/servers/validate",
            token,
            operation="validate federated servers",
        )
        return federation(body)

    def read_shared_key(self, token: PortalToken) -> Secret:
        """The current shared key. The whole answer is secret; only the key is kept."""
        body = self._admin("portaladmin/security/tokens", token, operation="read token config")
        key = body.get("sharedKey")
        if not isinstance(key, str) or not key:
            raise PortalBadResponse("read token config: answer has no sharedKey")
        return Secret(key)

    def update_shared_key(self, token: PortalToken, key: Secret | None) -> UpdateAccepted:
        """POST tokens/update. ``None`` sends an empty key (for portals that generate it).

        A supplied key is validated before anything is sent. Not retried on failure:
        a timeout leaves the outcome unknown and the caller must check the portal.
        """
        if key is not None:
            validate_shared_key(key)
        config = json.dumps({"sharedKey": key.reveal() if key is not None else ""})
        body = self._admin(
            "portaladmin/security/tokens/update",
            token,
            operation="update token config",
            form={"tokenConfig": config},
            idempotent=False,
        )
        return _accepted(body)

    def read_security_config(self, token: PortalToken) -> SecurityConfig:
        body = self._admin("portaladmin/security/config", token, operation="read security config")
        return SecurityConfig(body)

    def update_security_config(
        self, token: PortalToken, config: Mapping[str, Any]
    ) -> UpdateAccepted:
        """POST config/update with the whole configuration (it replaces, it does not merge)."""
        body = self._admin(
            "portaladmin/security/config/update",
            token,
            operation="update security config",
            form={"securityConfig": json.dumps(dict(config))},
            idempotent=False,
        )
        return _accepted(body)

    def read_user_default_settings(self, token: PortalToken) -> dict[str, Any]:
        """10.8+: the new-member defaults (role, userLicenseType, groups, userType, apps,
        appBundles); the token goes in the POST body, never in the URL."""
        return self._admin(
            "sharing/rest/portals/self/userDefaultSettings",
            token,
            operation="read user default settings",
        )

    def update_user_default_settings(self, token: PortalToken, settings: Mapping[str, Any]) -> None:
        """10.8+: post the whole settings object (fields as Esri's DSC sends them)."""
        form = {
            "role": str(settings.get("role") or ""),
            "userLicenseType": str(settings.get("userLicenseType") or ""),
            "userType": str(settings.get("userType") or ""),
            "groups": json.dumps(list(settings.get("groups") or [])),
            "apps": json.dumps(list(settings.get("apps") or [])),
            "appBundles": json.dumps(list(settings.get("appBundles") or [])),
        }
        self._admin(
            "sharing/rest/portals/self/setUserDefaultSettings",
            token,
            operation="set user default settings",
            form=form,
            idempotent=False,
        )

    def health(self) -> HealthStatus:
        """The anonymous health check. Not ready is an answer, not an error; TLS is an error."""
        try:
            response = self._http.get_anonymous(
                "portaladmin/healthCheck", {"f": "json"}, operation="health check"
            )
        except PortalTlsError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport failure means "not ready"
            return HealthStatus(False, getattr(exc, "message", type(exc).__name__))
        return _health_from(response)

    # --- plumbing ------------------------------------------------------------------

    def _admin(
        self,
        path: str,
        token: PortalToken,
        *,
        operation: str,
        form: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        data = {"f": "json", "token": token.value.reveal(), **(form or {})}
        headers = None
        if self.version is not None and self.version.takes_bearer_header:
            headers = {"Authorization": f"Bearer {token.value.reveal()}"}
        response = self._http.post(
            path, data, operation=operation, idempotent=idempotent, headers=headers
        )
        return parse_json_response(response, operation)


def _accepted(body: Mapping[str, Any]) -> UpdateAccepted:
    recheck = body.get("recheckAfterSeconds", DEFAULT_RECHECK_SECONDS)
    finite = isinstance(recheck, int | float) and not isinstance(recheck, bool)
    seconds = int(recheck) if finite and math.isfinite(recheck) else DEFAULT_RECHECK_SECONDS
    return UpdateAccepted(min(max(0, seconds), MAX_RECHECK_SECONDS))


def vetted_machines(listed: object) -> list[Machine]:
    """The ``machines`` of a ``portaladmin/machines`` answer, bounded and printable."""
    if not isinstance(listed, list):
        raise PortalBadResponse("list machines: answer has no machines")
    if len(listed) > MAX_MACHINES:
        raise MachineListTooLarge(
            f"list machines: the portal lists {len(listed)} machines, more than the "
            f"{MAX_MACHINES} accepted (a highly available portal has two)"
        )
    return [_machine(entry) for entry in listed]


def _machine(entry: object) -> Machine:
    name = entry.get("machineName") if isinstance(entry, dict) else None
    url = entry.get("adminURL") if isinstance(entry, dict) else None
    role = str(entry.get("role", "")) if isinstance(entry, dict) else ""
    if not isinstance(name, str) or not name or not isinstance(url, str):
        raise PortalBadResponse("list machines: a machine without a name or adminURL")
    if len(name) > _MAX_MACHINE_NAME or len(url) > _MAX_ADMIN_URL or len(role) > _MAX_ROLE:
        raise MachineListTooLarge(
            f"list machines: a machine's name ({len(name)} characters), adminURL "
            f"({len(url)}) or role ({len(role)}) is longer than any portal's (at most "
            f"{_MAX_MACHINE_NAME}, {_MAX_ADMIN_URL} and {_MAX_ROLE})"
        )
    return Machine(printable(name), url.rstrip("/"), printable(role))


def _is_epoch_ms(value: object) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= _LAST_EXPIRY_MS
    )


def _health_from(response: requests.Response) -> HealthStatus:
    if response.status_code != 200:
        return HealthStatus(False, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return HealthStatus(False, "HTTP 200 without JSON")
    if isinstance(body, dict) and body.get("status") == "success":
        return HealthStatus(True, "success")
    return HealthStatus(False, "health check did not report success")
