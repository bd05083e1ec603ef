"""Open an administrator's session with the portal a credentials secret names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..domain.credentials import PortalCredentials
from .session import AdminSession
from .url import UrlPolicy

if TYPE_CHECKING:
    from ..domain.version import PortalVersion
    from .client import PortalClient
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
        with self._client(creds.url, creds.referer, version) as client:
            yield AdminSession(client, creds.username, creds.password)

    @contextmanager
    def machine(self, url: str, portal: AdminSession) -> Iterator[AdminSession]:
        # The portal's referer: its tokens are bound to it, and stay valid on a machine.
        version = getattr(portal.client, "version", None)
        with self._client(url, portal.client.referer, version) as client:
            yield portal.borrowing(client)

    @contextmanager
    def _client(
        self, url: str, referer: str | None, version: PortalVersion | None
    ) -> Iterator[PortalClient]:
        # requests comes with the client, on the first session rather than at cold start.
        from .client import PortalClient  # noqa: PLC0415

        client = PortalClient(
            url, referer=referer, policy=self._policy, settings=self._transport(), version=version
        )
        try:
            yield client
        finally:
            client.close()
