"""Watch the health check for one window; the state machine's Wait states do the rest.

One invocation polls every ``healthPollSeconds`` for at most ``pollWindowSeconds`` (and
never past the function's own remaining time), so the portal's return is seen within
about a second, while the long stretches in between are Wait states that cost nothing.
HTML error pages, refused and reset connections all just mean "not ready".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from ..errors import PortalRestartTimeout
from .services import Services
from .state import PollResult, PortalState

_SAFETY_SECONDS: Final = 10.0


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
    went_down = went_down_since_change(state)
    polls = state.poll.polls if state.poll else 0
    # After Verify found the old process still answering (health OK, old token valid),
    # a healthy answer says nothing new: keep watching for the restart to begin, so a
    # long lag costs one Lambda window per loop instead of one loop per poll interval.
    awaiting_restart = bool(
        state.verify and state.verify.outcome == "restart-pending" and not went_down
    )
    creds = services.secrets.read(item.secret_arn).credentials
    with services.session(creds) as session:
        while True:
            health = session.client.health()
            polls += 1
            now = clock()
            window_over = now + item.timing.health_poll_seconds >= window_end
            if health.ready and (not awaiting_restart or window_over):
                return PollResult(
                    origin=origin,
                    ready=True,
                    polls=polls,
                    elapsed_seconds=round(now - origin, 3),
                    went_down=went_down,
                    healthy_at=now,
                )
            if not health.ready:
                went_down = True
                awaiting_restart = False
            if now >= deadline:
                raise_timeout(state, services, now - origin)
            if window_over and not health.ready:
                return PollResult(
                    origin=origin,
                    ready=False,
                    polls=polls,
                    elapsed_seconds=round(now - origin, 3),
                    went_down=went_down,
                    wait_seconds=item.timing.poll_interval_seconds,
                )
            sleep(item.timing.health_poll_seconds)


def went_down_since_change(state: PortalState) -> bool:
    """Whether the health checks since the latest change (or rollback) saw it down."""
    poll = state.poll
    return bool(poll and poll.origin == restart_origin(state) and poll.went_down)


def restart_origin(state: PortalState) -> float:
    if state.change and state.change.changed_at:
        return state.change.changed_at
    if state.preflight:
        return state.preflight.started_at
    return time.time()


def max_restart_seconds(state: PortalState, services: Services) -> int:
    return min(state.item.timing.max_restart_seconds, services.max_restart_seconds)


def raise_timeout(state: PortalState, services: Services, elapsed: float) -> None:
    limit = max_restart_seconds(state, services)
    raise PortalRestartTimeout(
        f"the portal of {state.item.secret_arn} did not complete its restart within the "
        f"allowed {limit} s ({elapsed:.0f} s since the change); see the README runbook "
        "'Portal never came back'"
    )
