"""An ArcGIS Server site as ``ServerClient`` sees it, in memory (SERVER_API.md).

Built on ``FakePortal``'s machinery (tokens bound to the running key, faults, calls,
a restart the test drives), with a site's rules, failing where the real client fails:

- its key is validated as a server key before anything is sent (``InvalidSharedKey``),
  and a site never generates one (``ValueError`` for ``None``);
- a token manager other than BUILTIN is ``UnsupportedTokenManager`` before any update;
- a key the site refuses (``refuse_keys``) is ``PortalRequestRejected`` (code 500) and
  nothing changes;
- an accepted update runs the new key at once on every machine (``restarts=False``,
  the emulator's default), or, like a portal, once the test restarts it;
- the answer has no ``recheckAfterSeconds`` (the client then looks again at once);
- no token outlives ``long_timeout_minutes`` (the token manager's ``longTimeout``);
- its machines are listed with adminURLs that end in ``/admin``;
- it has no portal calls (security config, licenses, federation): a step that makes
  one on a site fails, as it would with the real client.
"""

from __future__ import annotations

from typing import Any

from portal_automation.domain.server_key import validate_server_key
from portal_automation.errors import PortalRequestRejected, UnsupportedTokenManager
from portal_automation.portal.models import Machine, PortalToken, UpdateAccepted
from portal_automation.sensitive import Secret

from .portal import FakeKeyClient, FakePortal

BUILTIN = "BUILTIN"


class FakeServer(FakePortal):
    """One machine of a site (or the only one); ``another_machine()`` adds one more
    sharing its configuration store."""

    def __init__(
        self,
        url: str = "https://gis.example.com:6443/arcgis",
        *,
        version: str = "11.3",
        username: str = "siteadmin",
        restarts: bool = False,
        token_manager_type: str = BUILTIN,
        refuse_keys: bool = False,
        long_timeout_minutes: int = 2880,
        **settings: Any,
    ) -> None:
        super().__init__(url, version=version, username=username, **settings)
        self.long_timeout_minutes = long_timeout_minutes
        self.restarts_on_update = restarts
        self.token_manager_type = token_manager_type
        self.refuse_keys = refuse_keys
        self.peers: list[FakeServer] = [self]
        self.machines = [Machine(f"SERVER-1.{self.host.upper()}", f"{url}/admin", "")]

    def issue(self, minutes: int, referer: str) -> PortalToken:
        """As a site does: no token outlives the token manager's ``longTimeout``."""
        return super().issue(min(minutes, self.long_timeout_minutes), referer)

    def another_machine(self, url: str) -> FakeServer:
        """A machine more of this site, at ``url`` (its base URL); every machine is then
        listed with its adminURL (``<url>/admin``)."""
        other = FakeServer(
            url,
            version=self.version,
            username=self.username,
            password=self.password,
            restarts=self.restarts_on_update,
            token_manager_type=self.token_manager_type,
            refuse_keys=self.refuse_keys,
            database=self.db,
        )
        self.peers.append(other)
        other.peers = self.peers
        number = len(self.peers)
        self.machines = [
            *self.machines,
            Machine(f"SERVER-{number}.{self.host.upper()}", f"{url}/admin", ""),
        ]
        for peer in self.peers:
            peer.machines = self.machines
        return other


class FakeServerClient(FakeKeyClient):
    """``KeyTargetApi`` over a ``FakeServer``, as ``ServerClient`` behaves."""

    portal: FakeServer

    def read_shared_key(self, token: PortalToken) -> Secret:
        site = self.portal
        site.enter("read_shared_key", admin_token=token)
        if site.token_manager_type != BUILTIN:
            raise UnsupportedTokenManager(
                f"the site's token manager is {site.token_manager_type!r}, not BUILTIN"
            )
        return Secret(site.stored_key)

    def update_shared_key(self, token: PortalToken, key: Secret | None) -> UpdateAccepted:
        site = self.portal
        if key is None:
            raise ValueError("a server site does not generate its key: supply one")
        validate_server_key(key)
        site.enter("read_token_config", admin_token=token)
        if site.token_manager_type != BUILTIN:
            raise UnsupportedTokenManager(
                f"the site's token manager is {site.token_manager_type!r}, not BUILTIN"
            )
        site.enter("update_shared_key", admin_token=token)
        if site.refuse_keys:
            raise PortalRequestRejected(
                "update token manager: portal error 500: The shared key is not valid. "
                "Specify an alphanumeric value.",
                code=500,
            )
        site.stored_key = key.reveal()
        site.keys_seen.append(site.stored_key)
        site.db.updates += 1
        if not site.restarts_on_update:
            for peer in site.peers:
                peer.running_key = site.stored_key
        elif site.phase == "up":
            site.phase = "lag"
        return UpdateAccepted(0)


FakeServer.client_class = FakeServerClient  # what FakePortals makes for a site's URL
