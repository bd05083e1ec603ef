"""Highly available portals: which machines there are, and which URLs the steps reach.

Behind a load balancer, a healthy answer can come from the machine that restarted while
the other still runs the old key (PORTAL_API.md 7a). So a portal with more than one
machine is waited for and verified on each machine directly: PollHealth and Verify
reach them through ``reach``. This module is the one place that decides which URL a
step sends anything to.

What the portal lists is input, not truth (FAULTS rows 43-45): an adminURL on another
host, a private address or a port of the attacker's choosing would otherwise get the
password, and the functions would probe the VPC for whoever changed the list. So:

- The password goes to the portal's URL only. A machine is reached with the tokens the
  portal's URL issues, and only at an adminURL the credentials secret pins
  (``"machines"``). The portal must list exactly the pinned machines, or the run is
  refused before any change (``MachinePinMismatch``), nothing sent to any machine.
- Without pins, no machine URL is reached: the change is verified through the portal's
  URL, and the summary says so and how to pin. ``"checkMachines": false`` opts out of
  the check explicitly.
- The list is bounded (``MachineListTooLarge``, in the client), and the state keeps the
  machines' names and a digest of each one's pin, never a URL.
- Listing the machines needs the default administrator role: an account without it is
  refused with ``MachineListForbidden`` (under the opt-out, the portal then goes on
  without its machines listed).

A portal with one machine is reached through its URL only.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from ..errors import (
    InsecurePortalUrl,
    MachineListForbidden,
    MachinePinMismatch,
    MachineUnreachable,
    PortalAnswerTooLarge,
    PortalAuthFailed,
    PortalBadResponse,
    PortalTlsError,
    PortalUnavailable,
)
from ..portal.url import comparable_url
from ..printable import shown
from .services import digest
from .state import MachineRef, PortalState

if TYPE_CHECKING:
    from ..domain.credentials import PortalCredentials
    from ..domain.kinds import TargetKind
    from ..portal import AdminSession
    from ..portal.models import Machine
    from .services import Services

PORTAL: Final = "portal"  # the target name of a portal reached through its URL
Unchecked = Literal["not-pinned", "opted-out", "not-listed"]
_NOT_REACHED: Final = (
    PortalUnavailable,
    PortalTlsError,
    PortalBadResponse,
    PortalAnswerTooLarge,
    InsecurePortalUrl,
)
_TOKEN_REFUSED: Final = frozenset({498, 499})


@dataclass(frozen=True)
class Target:
    name: str
    url: str | None = None  # a machine's pinned adminURL; None: the portal's URL
    role: str = ""

    @property
    def is_machine(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Discovery:
    """What Preflight learnt of the portal's machines."""

    machines: list[MachineRef]
    checked: bool
    unchecked: Unchecked | None
    names: list[str] | None  # every machine the portal listed (None: it could not be asked)


def discover_machines(
    session: AdminSession, creds: PortalCredentials, services: Services
) -> Discovery:
    """The machines of the portal, matched with the pins and each pinned one proven
    reachable from here with the portal's token; refused before anything changes when
    they do not match or one does not answer."""
    listed = _listed(session, creds)
    if listed is None:
        return Discovery([], checked=False, unchecked="not-listed", names=None)
    names = [m.name for m in listed]
    pins = _pins_of(listed, creds)
    if len(listed) < 2:
        return Discovery([], checked=True, unchecked=None, names=names)
    machines = [
        MachineRef(name=m.name, role=m.role, pin=digest(pins[i]) if pins else None)
        for i, m in enumerate(listed)
    ]
    if not creds.check_machines:
        return Discovery(machines, checked=False, unchecked="opted-out", names=names)
    if not pins:
        return Discovery(machines, checked=False, unchecked="not-pinned", names=names)
    for machine, url in zip(machines, pins, strict=True):
        _prove_reachable(machine, url, session, services, creds.kind)
    return Discovery(machines, checked=True, unchecked=None, names=names)


def _listed(session: AdminSession, creds: PortalCredentials) -> list[Machine] | None:
    try:
        return session.call(session.client.machines)
    except PortalAuthFailed as exc:
        if exc.code != 403:
            raise
        if not creds.check_machines:
            return None
    raise MachineListForbidden(
        f"the account {creds.username!r} may not list the {creds.kind.noun}'s machines "
        "(its machines resource answered 403): Esri allows it only to the default "
        "administrator role, which 'Security and Infrastructure' alone is not. Nothing was "
        "changed. Give the account the default administrator role, or set "
        '"checkMachines": false in the credentials secret to go on without the machines '
        "(verified through the portal URL only; README 'Highly available portals')"
    )


def _pins_of(listed: list[Machine], creds: PortalCredentials) -> list[str]:
    """The pinned URL of each listed machine, in the target's order ([] without pins);
    ``MachinePinMismatch`` unless the two name the same machines. A site lists a
    machine's adminURL with ``/admin``; its pin names the machine's URL without it."""
    pins, kind = creds.pinned_machines, creds.kind
    if not pins:
        return []
    unmatched = {comparable_url(pin): pin for pin in pins}
    matched = []
    for machine in listed:
        address = _pin_address(kind, machine.admin_url)
        pin = unmatched.pop(address, None) if address is not None else None
        if pin is None:
            raise MachinePinMismatch(
                f"the {kind.noun} lists machine {machine.name} at "
                f"{shown(machine.admin_url, 160)}, which the credentials secret does not pin "
                "in its 'machines': nothing was sent to any machine and nothing changed. If "
                f"that is the machine's URL, pin it ({kind.pin_example()}); if not, the "
                f"{kind.noun}'s list of machines was changed by someone: find out who before "
                "running again"
            )
        matched.append(pin)
    if unmatched:
        raise MachinePinMismatch(
            f"the credentials secret pins {', '.join(unmatched.values())}, which the "
            f"{kind.noun} does not list among its machines: nothing was sent to any machine "
            f"and nothing changed. Pin exactly the {kind.noun}'s machines"
        )
    return matched


def _pin_address(kind: TargetKind, admin_url: str) -> str | None:
    """What a pin of the machine listed at ``admin_url`` compares as (None: no pin can
    name it, e.g. a site's adminURL without ``/admin``)."""
    try:
        return comparable_url(kind.pin_of(admin_url))
    except PortalBadResponse:
        return None


def _prove_reachable(
    machine: MachineRef, url: str, session: AdminSession, services: Services, kind: TargetKind
) -> None:
    try:
        with services.machine(url, session) as direct:
            direct.call(direct.client.info)
    except (*_NOT_REACHED, PortalAuthFailed) as exc:
        if isinstance(exc, PortalAuthFailed) and exc.code not in _TOKEN_REFUSED:
            raise
        raise MachineUnreachable(
            f"machine {machine.name} of the {kind.noun} does not answer at its pinned URL "
            f"{url} from the functions ({type(exc).__name__}): nothing was changed. Open "
            f"port {kind.machine_port} of every machine to the functions' subnets (and trust "
            "its certificate's CA), or remove the pins and the change is verified through "
            "the URL of the secret only (README 'Highly available portals')"
        ) from None


def reaches_machines(state: PortalState) -> bool:
    """Whether the wait and the verification reach each machine (not the portal URL)."""
    pre = state.preflight
    return bool(pre and pre.machines and pre.machines_checked)


def targets(state: PortalState, creds: PortalCredentials) -> list[Target]:
    """Where the wait and the verification send their checks: each machine at its
    pinned adminURL, or the portal's URL."""
    pre = state.preflight
    if pre is None or not reaches_machines(state):
        return [Target(PORTAL)]
    pins = {digest(pin): pin for pin in creds.pinned_machines}
    found = []
    for machine in pre.machines:
        url = pins.get(machine.pin or "")
        if url is None:
            raise MachinePinMismatch(
                f"machine {machine.name} was pinned in the credentials secret when the run "
                "began and is pinned no more: nothing is sent to it. Run again once the "
                "pins are as meant"
            )
        found.append(Target(machine.name, url, machine.role))
    return found


def reach(
    state: PortalState, creds: PortalCredentials, services: Services, stack: ExitStack
) -> list[tuple[Target, AdminSession]]:
    """A session with every target, open until ``stack`` closes: the portal's URL, or
    each machine at its pinned adminURL with the tokens the portal's URL issues."""
    portal = stack.enter_context(services.session(creds, state.known_version()))
    found = targets(state, creds)
    return [
        (t, stack.enter_context(services.machine(t.url, portal)) if t.url else portal)
        for t in found
    ]


def machines_report(state: PortalState, restarts: dict[str, float]) -> dict[str, Any]:
    """The summary's part for an HA portal: each machine with its own restart time
    (``restarts``, by name) and verification, or why they were not checked."""
    pre, ver = state.preflight, state.verify
    if pre is None or not (pre.machines or pre.unchecked):
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
    if pre.unchecked:
        report["notes"] = [_UNCHECKED[pre.unchecked].format(count=len(pre.machines))]
    return report


_UNCHECKED: Final[dict[Unchecked, str]] = {
    "not-pinned": (
        "the portal has {count} machines and the credentials secret pins none, so no "
        "machine was reached directly: the change was verified through the portal URL "
        "only. To verify each machine, pin their adminURLs in the secret: "
        '"machines": ["https://<machine>:7443/arcgis", ...] (README \'Highly available '
        "portals')"
    ),
    "opted-out": (
        "the portal has {count} machines; they were not checked directly "
        "(checkMachines is false in the credentials secret), so the change was verified "
        "through the portal URL only"
    ),
    "not-listed": (
        "the portal's machines could not be listed (the account lacks the default "
        "administrator role) and checkMachines is false: the change was verified through "
        "the portal URL only"
    ),
}
