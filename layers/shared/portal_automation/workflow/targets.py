"""What the wait and the verification reach: the portal, or each machine of an HA portal.

Behind a load balancer, a healthy answer can come from the machine that restarted while
the other still runs the old key (PORTAL_API.md 7a). So for a portal with more than one
machine, Preflight lists them (``portaladmin/machines``), checks that each adminURL
answers from the functions, and PollHealth and Verify then reach every machine
directly. A portal with one machine is reached only through its URL: its adminURL is
usually an internal name the functions cannot reach, and is never called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..domain.credentials import PortalCredentials
from .state import PortalState

PORTAL: Final = "portal"  # the target name of a portal reached through its URL


@dataclass(frozen=True)
class Target:
    name: str
    creds: PortalCredentials
    role: str = ""

    @property
    def is_machine(self) -> bool:
        return self.name != PORTAL


def targets(state: PortalState, creds: PortalCredentials) -> list[Target]:
    pre = state.preflight
    if pre is not None and pre.machines and pre.machines_checked:
        return [Target(m.name, creds.at(m.admin_url), m.role) for m in pre.machines]
    return [Target(PORTAL, creds)]
