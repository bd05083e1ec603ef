"""What a run asked, stored once in the ledger by PlanExecution and read by the steps.

The desired ``securityConfig`` is not copied into every portal's item (a fleet's state
would grow with it, PORTAL_API.md aside: Step Functions caps a payload at 256 KiB): the
steps that need it read it here, by the run's id. ``desired_for`` turns it into what one
portal should hold: checked against the portal's version, with Esri's default proxy
hosts kept on 12.0+ unless the run asked for an exact list (``domain.proxy_hosts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.proxy_hosts import DEFAULT_MODE, MODES, PROPERTY, ProxyHostsMode, plan_hosts
from ..domain.security_config import validate_desired
from ..domain.version import PortalVersion
from ..errors import InvalidExecutionInput
from .services import Services
from .state import PortalState


@dataclass(frozen=True)
class Desired:
    """What one portal should hold, and what its summary says about it."""

    config: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _run(state: PortalState, services: Services) -> dict[str, Any]:
    run = services.ledger.get_run(state.item.run_id)
    if run is None:
        raise InvalidExecutionInput(f"run {state.item.run_id} has no record in the ledger")
    return run


def desired_for(state: PortalState, services: Services, version: PortalVersion) -> Desired:
    """The desired configuration for a portal of ``version`` (``InvalidSecurityConfig``
    names every problem, before anything is sent)."""
    run = _run(state, services)
    raw = run.get("securityConfig")
    config = validate_desired(raw if isinstance(raw, dict) else {}, version)
    mode = run.get("proxyHostsMode")
    if PROPERTY not in config:
        return Desired(config)
    hosts = plan_hosts(config[PROPERTY], version, _mode(mode))
    return Desired({**config, PROPERTY: hosts.value}, hosts.notes)


def _mode(value: object) -> ProxyHostsMode:
    for mode in MODES:
        if value == mode:
            return mode
    return DEFAULT_MODE
