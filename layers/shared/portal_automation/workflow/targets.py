"""Highly available portals: which machines there are, and what the steps reach.

Behind a load balancer, a healthy answer can come from the machine that restarted while
the other still runs the old key (PORTAL_API.md 7a). So for a portal with more than one
machine, Preflight lists them (``portaladmin/machines``) and checks here that each
adminURL answers from the functions; PollHealth and Verify then reach every machine
directly through ``targets``. A portal with one machine is reached only through its
URL: its adminURL is usually an internal name the functions cannot reach, and is never
called. This module is the one place that decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ..errors import (
    InsecurePortalUrl,
    MachineUnreachable,
    PortalBadResponse,
    PortalTlsError,
    PortalUnavailable,
)
from .state import MachineRef, PortalState

if TYPE_CHECKING:
    from ..domain.credentials import PortalCredentials
    from ..domain.version import PortalVersion
    from ..portal import AdminSession
    from .services import Services

PORTAL: Final = "portal"  # the target name of a portal reached through its URL


@dataclass(frozen=True)
class Target:
    name: str
    creds: PortalCredentials
    role: str = ""

    @property
    def is_machine(self) -> bool:
        return self.name != PORTAL


def discover_machines(
    session: AdminSession, creds: PortalCredentials, services: Services, version: PortalVersion
) -> tuple[list[MachineRef], bool]:
    """The machines of an HA portal, each proven reachable from here (or the opt-out:
    ``"checkMachines": false``, reported as not checked)."""
    listed = session.call(session.client.machines)
    if len(listed) < 2:
        return [], True  # one machine: reached through the portal URL only
    machines = [MachineRef(name=m.name, admin_url=m.admin_url, role=m.role) for m in listed]
    if not creds.check_machines:
        return machines, False
    for machine in machines:
        try:
            with services.session(creds.at(machine.admin_url), version) as direct:
                direct.fresh_token()
        except (PortalUnavailable, PortalTlsError, PortalBadResponse, InsecurePortalUrl) as exc:
            raise MachineUnreachable(
                f"machine {machine.name} of the portal does not answer at its adminURL "
                f"{machine.admin_url} from the functions ({type(exc).__name__}): nothing "
                "was changed. Open port 7443 of every portal machine to the functions' "
                'subnets (and trust its certificate\'s CA), or set "checkMachines": false '
                "in the credentials secret to verify through the portal URL only "
                "(README 'Highly available portals')"
            ) from None
    return machines, True


def reaches_machines(state: PortalState) -> bool:
    """Whether the wait and the verification reach each machine (not the portal URL)."""
    pre = state.preflight
    return bool(pre and pre.machines and pre.machines_checked)


def targets(state: PortalState, creds: PortalCredentials) -> list[Target]:
    pre = state.preflight
    if pre is not None and reaches_machines(state):
        return [Target(m.name, creds.at(m.admin_url), m.role) for m in pre.machines]
    return [Target(PORTAL, creds)]


def machines_report(state: PortalState, restarts: dict[str, float]) -> dict[str, Any]:
    """The summary's part for an HA portal: each machine with its own restart time
    (``restarts``, by name) and verification, or the note that they were not checked."""
    pre, ver = state.preflight, state.verify
    if pre is None or not pre.machines:
        return {}
    machines = []
    for machine in pre.machines:
        entry: dict[str, Any] = {"name": machine.name, "role": machine.role}
        if machine.name in restarts:
            entry["restartSeconds"] = restarts[machine.name]
        if ver and machine.name in ver.machines:
            entry["verification"] = ver.machines[machine.name]
        machines.append(entry)
    report: dict[str, Any] = {"machines": machines, "machinesChecked": pre.machines_checked}
    if not pre.machines_checked:
        report["notes"] = [
            f"the portal has {len(pre.machines)} machines; they were not checked directly "
            "(checkMachines is false in the credentials secret), so the change was verified "
            "through the portal URL only"
        ]
    return report
