"""A typed client for the Portal Admin API endpoints this project uses (PORTAL_API.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ..domain.shared_key import validate_shared_key
from ..domain.version import PortalVersion
from ..errors import PortalBadResponse, PortalRequestRejected
from ..printable import shown
from ..sensitive import Secret
from .admin_client import AdminApiClient, update_accepted, vetted_machines
from .models import HealthStatus, Machine, PortalInfo, PortalToken, SecurityConfig, UpdateAccepted
from .vetted import FederationValidation, federation, user_types

DEFAULT_RECHECK_SECONDS: Final = 10
# What the portal says is bounded before it steers anything (issue 18): a version or
# build longer than any real one.
_MAX_VERSION: Final = 32
_MAX_BUILD: Final = 64

__all__ = ["PortalClient", "vetted_machines"]


class PortalClient(AdminApiClient):
    """One portal, one HTTP session. Every method maps failures to the named errors.

    The token goes in the POST body on every version and, once the portal's version is
    known (given, or read by ``info``) and takes it, also in ``Authorization: Bearer``
    (PORTAL_API.md 2); never in a URL.
    """

    KIND = "portal"
    TOKEN_PATH = "sharing/rest/generateToken"  # noqa: S105  # nosec B105 - a path

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
        """The anonymous health check: ``{"status": "success"}`` when ready."""
        return self._health("portaladmin/healthCheck", _portal_ready)

    def _headers(self, token: PortalToken) -> dict[str, str] | None:
        if self.version is not None and self.version.takes_bearer_header:
            return {"Authorization": f"Bearer {token.value.reveal()}"}
        return None


def _accepted(body: Mapping[str, Any]) -> UpdateAccepted:
    return update_accepted(body, DEFAULT_RECHECK_SECONDS)


def _portal_ready(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") == "success"
