"""A typed client for the ArcGIS Server Administrator API endpoints this project uses
(SERVER_API.md): the portal client's transport, answer parsing and URL policy
(``portal.admin_client``), with a site's paths and answers.

Every resource is read with a POST and the token in the body, as Esri's DSC reads them
(the Administrator Directory takes GET or POST): a token never travels in a URL.
"""

from __future__ import annotations

from typing import Any, Final

from ..domain.server_key import validate_server_key
from ..domain.version import PortalVersion
from ..errors import PortalBadResponse, UnsupportedTokenManager
from ..portal.admin_client import AdminApiClient, update_accepted, vetted_machines
from ..portal.models import HealthStatus, Machine, PortalInfo, PortalToken, UpdateAccepted
from ..printable import shown
from ..sensitive import Secret
from .models import BUILTIN, TokenManagerConfig

# No restart and no recheckAfterSeconds are documented for a site's key update: look
# again at once (the wait then watches the health check and the old token's refusal).
DEFAULT_RECHECK_SECONDS: Final = 0
# A site's machines are verified one by one: a list longer than this is refused.
MAX_SITE_MACHINES: Final = 16
_SITE_MACHINES: Final = "a site's machines are each verified directly"
_MAX_VERSION: Final = 32
_MAX_BUILD: Final = 64


class ServerClient(AdminApiClient):
    """One ArcGIS Server site (its base URL with its context, e.g.
    ``https://gis.example.com:6443/arcgis``, or its Web Adaptor's), one HTTP session."""

    KIND = "server"
    TOKEN_PATH = "admin/generateToken"  # noqa: S105  # nosec B105 - a path

    def info(self, token: PortalToken) -> PortalInfo:
        """``admin/info``: the version (``fullVersion`` where the site gives it, else
        ``currentversion``) and the build."""
        body = self._admin("admin/info", token, operation="server info")
        version = body.get("fullVersion") or body.get("currentversion")
        if isinstance(version, int | float) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or len(version) > _MAX_VERSION:
            raise PortalBadResponse("server info: answer has no version")
        build = shown(str(body.get("currentbuild", "")), _MAX_BUILD)
        return PortalInfo(PortalVersion.parse(version), build)

    def machines(self, token: PortalToken) -> list[Machine]:
        """``admin/machines``: every machine of the site, as listed (adminURLs end in
        ``/admin``: ``models.site_url_of`` gives a machine's base URL)."""
        body = self._admin("admin/machines", token, operation="list machines")
        listed = body.get("machines")
        return vetted_machines(listed, limit=MAX_SITE_MACHINES, target="site", why=_SITE_MACHINES)

    def read_token_config(self, token: PortalToken) -> TokenManagerConfig:
        """``admin/security/tokens``: the whole token manager configuration (the key in
        clear: only the ``Secret`` holds it)."""
        body = self._admin("admin/security/tokens", token, operation="read token manager")
        return TokenManagerConfig.from_answer(body)

    def update_token_config(self, token: PortalToken, config: TokenManagerConfig) -> UpdateAccepted:
        """POST ``admin/security/tokens/update`` with the whole configuration. A manager
        other than BUILTIN, or a key that is missing or not a server key, is refused
        before anything is sent. Not retried on failure: a timeout leaves the outcome
        unknown and the caller must check the site."""
        _require_builtin(config)
        if config.shared_key is None:
            raise ValueError("a BUILTIN token manager's update needs its shared key")
        validate_server_key(config.shared_key)
        body = self._admin(
            "admin/security/tokens/update",
            token,
            operation="update token manager",
            form={"tokenManagerConfig": config.to_form_value()},
            idempotent=False,
        )
        return update_accepted(body, DEFAULT_RECHECK_SECONDS)

    def read_shared_key(self, token: PortalToken) -> Secret:
        """The key the site's BUILTIN token manager signs tokens with."""
        config = self.read_token_config(token)
        _require_builtin(config)
        if config.shared_key is None:
            raise PortalBadResponse("read token manager: a BUILTIN manager without sharedKey")
        return config.shared_key

    def update_shared_key(self, token: PortalToken, key: Secret | None) -> UpdateAccepted:
        """The configuration as it is now, with only ``key`` changed. A site never
        generates its key: ``None`` is refused."""
        if key is None:
            raise ValueError("a server site does not generate its key: supply one")
        validate_server_key(key)
        config = self.read_token_config(token)
        _require_builtin(config)
        return self.update_token_config(token, config.with_shared_key(key))

    def health(self) -> HealthStatus:
        """``rest/info/healthCheck``: HTTP 200 and ``{"success": true}`` when the
        answering machine can take requests; anything else is not ready."""
        return self._health("rest/info/healthCheck", _site_ready)


def _require_builtin(config: TokenManagerConfig) -> None:
    if not config.is_builtin:
        raise UnsupportedTokenManager(
            f"the site's token manager is {config.type!r}, not {BUILTIN}: its tokens are "
            "not signed with a shared key this project rotates; nothing was changed"
        )


def _site_ready(body: Any) -> bool:
    return isinstance(body, dict) and body.get("success") in (True, "true")
