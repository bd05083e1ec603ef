"""What the portal client returns. Anything that holds a secret hides it in ``repr``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

from ..domain.security_config import PROPERTIES
from ..domain.version import PortalVersion
from ..sensitive import Secret, register_found

TokenClient = Literal["referer", "ip", "requestip"]
DEFAULT_TOKEN_MINUTES: Final = 5


@dataclass(frozen=True)
class PortalToken:
    value: Secret
    expires_at: datetime
    ssl: bool
    referer: str | None = None

    def expires_within(self, seconds: float) -> bool:
        return (self.expires_at - datetime.now(UTC)).total_seconds() < seconds


@dataclass(frozen=True)
class PortalInfo:
    version: PortalVersion
    build: str
    # 10.7: false after a key change until license/populateLicense ran (None: not said).
    licenses_populated: bool | None = None


@dataclass(frozen=True)
class Machine:
    """One machine of the portal (``portaladmin/machines``); nothing here is secret."""

    name: str
    admin_url: str
    role: str


@dataclass(frozen=True)
class UpdateAccepted:
    recheck_after_seconds: int


@dataclass(frozen=True)
class HealthStatus:
    ready: bool
    detail: str


@dataclass(frozen=True, repr=False)
class SecurityConfig:
    """The whole security configuration as the portal returned it.

    It holds the user/group store settings (which may carry an LDAP password) and the
    federation trust key, so every string outside the managed properties is registered
    with the redactor, and ``repr`` shows only the managed properties.
    """

    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        register_sensitive({k: v for k, v in self.values.items() if k not in PROPERTIES})

    def managed(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k in PROPERTIES}

    def __repr__(self) -> str:
        return f"SecurityConfig(managed={self.managed()!r}, other keys hidden)"


_SENSITIVE_NAME: Final = re.compile(r"password|secret|key|token|credential", re.IGNORECASE)


def register_sensitive(values: Mapping[str, Any]) -> None:
    """Register with the redactor every string held under a sensitive-sounding name."""
    for key, value in values.items():
        for text in _sensitive_strings(key, value):
            register_found(text)


def _sensitive_strings(name: str, value: Any) -> Iterator[str]:
    """Strings held under a sensitive-sounding name (LDAP passwords, the trust key)."""
    if isinstance(value, str):
        if _SENSITIVE_NAME.search(name):
            yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _sensitive_strings(str(key), item)
    elif isinstance(value, list):
        for item in value:
            yield from _sensitive_strings(name, item)
