"""Steps a portal needs once its change is proven, chosen per version at Preflight.

Each step is one module implementing ``PostChangeStep``. Preflight records the names
of the steps that apply (``postChange``); Verify runs them, in order, on the portal
URL once every machine has proved the change, and reports each under its name in the
verification checks, and their warnings with the verification. Raising a named error
fails the run before anything is promoted. Today:

- ``federatedServers`` (a key change, 10.4+: every supported version): validate the
  federated servers, once per portal and run (PORTAL_API.md 7d); first, so that a
  later step that fails and makes Verify run again finds it done;
- ``licensesPopulated`` (10.7 after a key change): populate the licenses again
  (PORTAL_API.md 7b).

A new step is a new module here, registered in ``_STEPS``, plus its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ...domain.kinds import PORTAL, TargetKind
from .base import Outcome, PostChangeStep
from .federation import ValidateFederation
from .licenses import PopulateLicenses

if TYPE_CHECKING:
    from ...domain.credentials import PortalCredentials
    from ...domain.version import PortalVersion
    from ..models import Action
    from ..services import Services
    from ..state import PortalState

_STEPS: Final[tuple[PostChangeStep, ...]] = (ValidateFederation(), PopulateLicenses())


@dataclass(frozen=True)
class PostChangeReport:
    checks: dict[str, Any]
    warnings: tuple[dict[str, str], ...] = ()


def steps_for(version: PortalVersion, action: Action, kind: TargetKind = PORTAL) -> list[str]:
    """The names Preflight records: the steps this target needs after ``action`` (every
    step here is a portal's: a server site has none)."""
    if kind is not PORTAL:
        return []
    return [step.name for step in _STEPS if step.applies(version, action)]


def run_post_change(
    state: PortalState, services: Services, creds: PortalCredentials
) -> PostChangeReport:
    """Run the steps Preflight recorded; their checks, by step name, and warnings."""
    names = state.preflight.post_change if state.preflight else []
    steps = [step for step in _STEPS if step.name in names]
    if not steps:
        return PostChangeReport({})
    with services.session(creds, state.known_version()) as session:
        outcomes = {step.name: step.run(state, session, services) for step in steps}
    return PostChangeReport(
        {name: outcome.check for name, outcome in outcomes.items()},
        tuple(w for outcome in outcomes.values() for w in outcome.warnings),
    )


__all__ = ["Outcome", "PostChangeReport", "PostChangeStep", "run_post_change", "steps_for"]
