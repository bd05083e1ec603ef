"""The ArcGIS Server Administrator API client, beside the portal's (SERVER_API.md). HTTP
only: it knows nothing of AWS.

``ServerClient`` is imported on first use, as ``PortalClient`` is: it brings in requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import TokenManagerConfig, site_url_of

if TYPE_CHECKING:
    from .client import ServerClient

__all__ = ["ServerClient", "TokenManagerConfig", "site_url_of"]


def __getattr__(name: str) -> Any:
    if name == "ServerClient":
        from .client import ServerClient  # noqa: PLC0415 - on first use, see above

        return ServerClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
