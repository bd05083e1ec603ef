"""The Portal Admin API client. HTTP only: it knows nothing of AWS.

``PortalClient`` is imported on first use: it brings in requests, which the functions that
never reach a portal do without, and the others need only once they call one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import HealthStatus, PortalInfo, PortalToken, SecurityConfig, UpdateAccepted
from .session import AdminSession

if TYPE_CHECKING:
    from .client import PortalClient

__all__ = [
    "AdminSession",
    "HealthStatus",
    "PortalClient",
    "PortalInfo",
    "PortalToken",
    "SecurityConfig",
    "UpdateAccepted",
]


def __getattr__(name: str) -> Any:
    if name == "PortalClient":
        from .client import PortalClient  # noqa: PLC0415 - on first use, see above

        return PortalClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
