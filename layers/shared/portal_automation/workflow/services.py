"""What the steps use from the outside world, passed in (never imported by the steps).

A handler builds its ``Services`` once per warm function from its settings
(``wiring.step_services``); tests build one from the in-memory fakes in tests/fakes.
A store the function is not configured for answers every call with a
``ConfigurationError`` naming it, so a step that reaches for it fails loudly.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigurationError
from ..ports import LedgerPort, PortalConnector, SecretsPort, WorkStorePort

if TYPE_CHECKING:
    from ..domain.credentials import PortalCredentials
    from ..domain.version import PortalVersion
    from ..portal import AdminSession


class _NotConfigured:
    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise ConfigurationError(
            f"this function is not configured with a {self._what} (it called {name})"
        )


def not_configured(what: str) -> Any:
    """A stand-in for a store this function has no settings for."""
    return cast(Any, _NotConfigured(what))


@dataclass(frozen=True)
class Services:
    secrets: SecretsPort
    portals: PortalConnector
    work: WorkStorePort = field(default_factory=lambda: not_configured("work store"))
    ledger: LedgerPort = field(default_factory=lambda: not_configured("run ledger"))
    # The deployment's bound on a restart (an execution may ask for less, never more).
    max_restart_seconds: int = 1800
    # The portal read timeout: how long an unanswered update may still be in flight.
    read_timeout_seconds: float = 30.0

    def session(
        self, creds: PortalCredentials, version: PortalVersion | None = None
    ) -> AbstractContextManager[AdminSession]:
        """A session with the portal; ``version`` when the step knows it (from Preflight)."""
        return self.portals.session(creds, version)

    def machine(self, url: str, portal: AdminSession) -> AbstractContextManager[AdminSession]:
        """One machine of ``portal`` at ``url``, with the portal session's tokens."""
        return self.portals.machine(url, portal)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def work_prefix(run_id: str, secret_arn: str) -> str:
    return f"runs/{run_id}/{digest(secret_arn)}/"
