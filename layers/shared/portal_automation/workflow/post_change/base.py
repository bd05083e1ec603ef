"""The post-change step interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ...domain.version import PortalVersion
    from ...portal import AdminSession
    from ..models import Action
    from ..services import Services
    from ..state import PortalState


@dataclass(frozen=True)
class Outcome:
    """What a step did: its check (reported under the step's name in the verification
    checks) and what it found wrong without undoing the change ({name, message} each:
    the name has a README runbook entry)."""

    check: Any
    warnings: tuple[dict[str, str], ...] = ()


class PostChangeStep(Protocol):
    @property
    def name(self) -> str:
        """Recorded by Preflight (``postChange``); the key of its check in Verify."""
        ...

    def applies(self, version: PortalVersion, action: Action) -> bool:
        """Whether a portal of ``version`` needs this step after ``action``."""
        ...

    def run(self, state: PortalState, session: AdminSession, services: Services) -> Outcome:
        """Do it (Verify may run again: a step makes sure it does no harm twice) and
        say what was done, or raise a named error; nothing is promoted then."""
        ...
