"""Steps a portal needs once its change is proven, chosen per version at Preflight.

Each step is one module implementing ``PostChangeStep``. Preflight records the names
of the steps that apply (``postChange``); Verify runs them, in order, on the portal
URL once every machine has proved the change, and reports each under its name in the
verification checks. Raising a named error fails the run before anything is promoted.
Today:

- ``licenses`` (10.7 after a key change): populate the licenses again
  (PORTAL_API.md 7b).

A new step is a new module here, registered in ``_STEPS``, plus its tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from .base import PostChangeStep
from .licenses import PopulateLicenses

if TYPE_CHECKING:
    from ...domain.credentials import PortalCredentials
    from ...domain.version import PortalVersion
    from ..models import Action
    from ..services import Services
    from ..state import PortalState

_STEPS: Final[tuple[PostChangeStep, ...]] = (PopulateLicenses(),)


def steps_for(version: PortalVersion, action: Action) -> list[str]:
    """The names Preflight records: the steps this portal needs after ``action``."""
    return [step.name for step in _STEPS if step.applies(version, action)]


def run_post_change(
    state: PortalState, services: Services, creds: PortalCredentials
) -> dict[str, Any]:
    """Run the steps Preflight recorded; their checks, by step name."""
    names = state.preflight.post_change if state.preflight else []
    steps = [step for step in _STEPS if step.name in names]
    if not steps:
        return {}
    with services.session(creds) as session:
        return {step.name: step.run(state, session) for step in steps}


__all__ = ["PostChangeStep", "run_post_change", "steps_for"]
