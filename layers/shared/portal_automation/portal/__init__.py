"""The Portal Admin API client. HTTP only: it knows nothing of AWS."""

from .client import PortalClient
from .models import HealthStatus, PortalInfo, PortalToken, SecurityConfig, UpdateAccepted
from .session import AdminSession

__all__ = [
    "AdminSession",
    "HealthStatus",
    "PortalClient",
    "PortalInfo",
    "PortalToken",
    "SecurityConfig",
    "UpdateAccepted",
]
