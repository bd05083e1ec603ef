"""Watch the portal come back for one window; the state machine's Wait states do the rest.

One invocation polls for at most ``pollWindowSeconds`` (and never past the function's own
remaining time): every ``healthPollSeconds`` while the portal answers, every
``downPollSeconds`` while it does not, so its return is seen within a fraction of a
second, while the long stretches in between are Wait states that cost nothing.
HTML error pages, refused and reset connections all just mean "not ready".

"Back" means what Esri's DSC waits for: the health check answers success *and* the
token service issues a token (it can answer 503 for a while after health turns OK,
PORTAL_API.md 7). An HA portal is back when every machine is, each checked directly:
its health, and a token the portal's URL issues accepted by it (the password goes to
the portal's URL only; ``targets``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Final

from ..errors import (
    PortalAuthFailed,
    PortalBadResponse,
    PortalRestartTimeout,
    PortalUnavailable,
)
from ..portal import AdminSession
from .models import Timing
from .services import Services
from .state import MachineHealth, PollResult, PortalState
from .targets import Target, reach, reaches_machines

_SAFETY_SECONDS: Final = 10.0
_TOKEN_REFUSED: Final = frozenset({498, 499})


def poll_health(
    state: PortalState,
    services: Services,
    *,
    remaining_seconds: Callable[[], float] = lambda: 900.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> PollResult:
    item = state.item
    origin = restart_origin(state)
    deadline = origin + max_restart_seconds(state, services)
    window_end = clock() + min(
        item.timing.poll_window_seconds, max(1.0, remaining_seconds() - _SAFETY_SECONDS)
    )
    if update_not_landed(state):
        # Healthy at the bound: Verify decides whether the update landed (not a timeout).
        window_end = min(window_end, deadline)
    creds = services.secrets.read(item.secret_arn).credentials
    with ExitStack() as stack:
        reached = reach(state, creds, services, stack)
        watched = [target for target, _ in reached]
        sessions = {target.name: session for target, session in reached}
        seen = _seen_since_change(state, watched)
        polls = state.poll.polls if state.poll else 0
        # After Verify found the old process still answering (health OK, old token
        # valid), or an unanswered update not landed yet, a healthy answer says nothing
        # new: keep watching for the restart to begin, so a long wait costs one Lambda
        # window per loop, not one loop per interval.
        awaiting = {name for name in awaited(state, watched) if not seen[name].went_down}
        while True:
            healthy = {name: s.client.health().ready for name, s in sessions.items()}
            polls += 1
            now = clock()
            interval = poll_interval(item.timing, answering=all(healthy.values()))
            window_over = now + interval >= window_end
            for name, ready in healthy.items():
                _note(seen[name], ready, now)
                if not ready:
                    awaiting.discard(name)
            if all(healthy.values()) and (not awaiting or window_over):
                if all(_token_service_ready(t, sessions[t.name]) for t in watched):
                    return _result(state, seen, origin, polls, now, ready=True)
                healthy = dict.fromkeys(healthy, False)
            if now >= deadline:
                late = [t for t in watched if not seen[t.name].ready]
                raise_timeout(state, services, now - origin, late)
            if window_over and not all(healthy.values()):
                return _result(state, seen, origin, polls, now, ready=False)
            sleep(interval)


def poll_interval(timing: Timing, *, answering: bool) -> float:
    """While every machine answers its health check (the old process before its restart,
    or a token service warming up), every ``healthPollSeconds``; while one does not, every
    ``downPollSeconds``: its return is what the run waits for, the portal is not there to
    be loaded by the checks, and the lag from its return to Verify is at most this."""
    if answering:
        return timing.health_poll_seconds
    return min(timing.down_poll_seconds, timing.health_poll_seconds)


def _token_service_ready(target: Target, session: AdminSession) -> bool:
    """The portal's URL issues a token; a machine also accepts it (one that refuses it
    runs another key than the machine that issued it: not ready either)."""
    try:
        token = session.fresh_token()
        if target.is_machine:
            session.client.info(token)
    except (PortalUnavailable, PortalBadResponse):
        return False
    except PortalAuthFailed as exc:
        if exc.code not in _TOKEN_REFUSED:
            raise
        return False
    return True


def _note(machine: MachineHealth, ready: bool, now: float) -> None:
    if not ready:
        machine.went_down = True
        machine.healthy_at = None
    elif machine.healthy_at is None:
        machine.healthy_at = now
    machine.ready = ready


def _seen_since_change(state: PortalState, watched: list[Target]) -> dict[str, MachineHealth]:
    """What earlier windows of this change saw of each target (fresh after a new change)."""
    poll = state.poll
    earlier: dict[str, MachineHealth] = {}
    if poll is not None and poll.origin == restart_origin(state):
        if poll.machines:
            earlier = {m.name: m.model_copy() for m in poll.machines}
        elif len(watched) == 1:
            earlier = {
                watched[0].name: MachineHealth(
                    name=watched[0].name,
                    ready=poll.ready,
                    went_down=poll.went_down,
                    healthy_at=poll.healthy_at,
                )
            }
    return {t.name: earlier.get(t.name) or MachineHealth(name=t.name) for t in watched}


def _result(
    state: PortalState,
    seen: dict[str, MachineHealth],
    origin: float,
    polls: int,
    now: float,
    *,
    ready: bool,
) -> PollResult:
    machines = list(seen.values())
    return PollResult(
        origin=origin,
        ready=ready,
        polls=polls,
        elapsed_seconds=round(now - origin, 3),
        went_down=any(m.went_down for m in machines),
        healthy_at=now if ready else None,
        wait_seconds=0 if ready else state.item.timing.poll_interval_seconds,
        machines=machines if len(machines) > 1 or reaches_machines(state) else [],
    )


def update_not_landed(state: PortalState) -> bool:
    """Whether Verify is waiting for an unanswered config update to land."""
    verify = state.verify
    return bool(
        verify is not None
        and verify.outcome == "restart-pending"
        and verify.checks.get("updateLanded") is False
    )


def awaited(state: PortalState, watched: list[Target]) -> set[str]:
    """The targets whose restart Verify is waiting to see begin."""
    names = {t.name for t in watched}
    if update_not_landed(state):
        return names
    return {name for name in old_processes(state) if name in names}


def old_processes(state: PortalState) -> list[str]:
    """The targets Verify found still running the process from before the change."""
    verify = state.verify
    if verify is None or verify.outcome != "restart-pending":
        return []
    if verify.machines:
        return [n for n, c in verify.machines.items() if c.get("oldTokenRejected") is False]
    return ["portal"] if verify.checks.get("oldTokenRejected") is False else []


def went_down_since_change(state: PortalState, name: str | None = None) -> bool:
    """Whether the health checks since the latest change (or rollback) saw it down: the
    portal (any machine), or the machine ``name``."""
    poll = state.poll
    if not (poll and poll.origin == restart_origin(state)):
        return False
    if name is None or not poll.machines:
        return poll.went_down
    return any(m.went_down for m in poll.machines if m.name == name)


def restart_seconds(state: PortalState) -> Iterator[tuple[str, float]]:
    """(machine, seconds from the change until it answered again) for each machine seen
    down and back since the change."""
    poll, change = state.poll, state.change
    if not (poll and change and change.changed_at and poll.origin == restart_origin(state)):
        return
    for machine in poll.machines:
        if machine.went_down and machine.healthy_at is not None:
            yield machine.name, round(machine.healthy_at - change.changed_at, 3)


def restart_origin(state: PortalState) -> float:
    if state.change and state.change.changed_at:
        return state.change.changed_at
    if state.preflight:
        return state.preflight.started_at
    return time.time()


def max_restart_seconds(state: PortalState, services: Services) -> int:
    return min(state.item.timing.max_restart_seconds, services.max_restart_seconds)


def raise_timeout(
    state: PortalState, services: Services, elapsed: float, late: list[Target] | None = None
) -> None:
    limit = max_restart_seconds(state, services)
    machines = [t.name for t in late or [] if t.is_machine]
    which = f" (machine {', '.join(machines)} not back)" if machines else ""
    raise PortalRestartTimeout(
        f"the portal of {state.item.secret_arn} did not complete its restart within the "
        f"allowed {limit} s ({elapsed:.0f} s since the change){which}; see the README "
        "runbook 'Portal never came back'"
    )
