"""The post-change step interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.version import PortalVersion
    from ...portal import AdminSession
    from ..models import Action
    from ..state import PortalState


class PostChangeStep(Protocol):
    @property
    def name(self) -> str:
        """Recorded by Preflight (``postChange``); the key of its check in Verify."""
        ...

    def applies(self, version: PortalVersion, action: Action) -> bool:
        """Whether a portal of ``version`` needs this step after ``action``."""
        ...

    def run(self, state: PortalState, session: AdminSession) -> str:
        """Do it (idempotent: Verify may run again) and say what was done, or raise a
        named error; nothing is promoted then."""
        ...
