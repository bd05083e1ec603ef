"""What a run asked, stored once in the ledger by PlanExecution and read by the steps.

The desired ``securityConfig`` is not copied into every portal's item (a fleet's state
would grow with it, PORTAL_API.md aside: Step Functions caps a payload at 256 KiB): the
steps that need it read it here, by the run's id.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidExecutionInput
from .services import Services
from .state import PortalState


def desired_config(state: PortalState, services: Services) -> dict[str, Any]:
    """The run's desired security configuration (validated by PlanExecution)."""
    run = services.ledger.get_run(state.item.run_id)
    if run is None:
        raise InvalidExecutionInput(f"run {state.item.run_id} has no record in the ledger")
    config = run.get("securityConfig")
    return dict(config) if isinstance(config, dict) else {}
