"""Open an administrator's session with the target a credentials secret names: the
client of its kind (a portal's or an ArcGIS Server site's), made with what the secret
says the tokens are bound to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from ..domain.credentials import PortalCredentials
from .session import AdminSession
from .url import UrlPolicy

if TYPE_CHECKING:
    from ..domain.version import PortalVersion
    from ..ports import PortalApi
    from .admin_client import AdminApiClient
    from .transport import TransportSettings


class HttpPortalConnector:
    """One HTTP session per step invocation; transport settings resolved on first use."""

    def __init__(self, transport: Callable[[], TransportSettings], policy: UrlPolicy) -> None:
        self._transport = transport
        self._policy = policy

    @contextmanager
    def session(
        self, creds: PortalCredentials, version: PortalVersion | None = None
    ) -> Iterator[AdminSession]:
        """``version``: the portal's, when the step knows it (the token's transport
        depends on it, PORTAL_API.md 2)."""
        binding = {"token_client": creds.token_client, "token_ip": creds.token_ip}
        with self._client(creds.kind.name, creds.url, creds.referer, version, binding) as client:
            yield AdminSession(_as_api(client), creds.username, creds.password)

    @contextmanager
    def machine(self, url: str, portal: AdminSession) -> Iterator[AdminSession]:
        # The portal's referer: its tokens are bound to it, and stay valid on a machine.
        version = getattr(portal.client, "version", None)
        kind = getattr(portal.client, "KIND", "portal")
        with self._client(kind, url, portal.client.referer, version, {}) as client:
            yield portal.borrowing(_as_api(client))

    @contextmanager
    def _client(
        self,
        kind: str,
        url: str,
        referer: str | None,
        version: PortalVersion | None,
        binding: dict[str, Any],
    ) -> Iterator[AdminApiClient]:
        client = _client_class(kind)(
            url,
            referer=referer,
            policy=self._policy,
            settings=self._transport(),
            version=version,
            **binding,
        )
        try:
            yield client
        finally:
            client.close()


def _as_api(client: AdminApiClient) -> PortalApi:
    """A session's client is typed as the portal's API: a site's client answers a
    rotation's calls (``ports.KeyTargetApi``), and the steps make the portal's other
    calls only for a kind that has them (``domain.kinds``: a site is only rotated)."""
    return cast("PortalApi", client)


def _client_class(kind: str) -> type[AdminApiClient]:
    """The client of a kind. requests comes with it, on the first session rather than at
    cold start."""
    if kind == "server":
        from ..server.client import ServerClient  # noqa: PLC0415

        return ServerClient
    from .client import PortalClient  # noqa: PLC0415

    return PortalClient
