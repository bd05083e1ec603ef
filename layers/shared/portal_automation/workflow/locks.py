"""One portal, one change at a time, for as long as the change lasts (FAULTS row 46).

Preflight takes the branch's locks: its secret's first, and any other key it lists in
``PreflightResult.locks`` (the portal's own identity). Every later step that can touch
the portal renews each of them before it does (``holding``: a conditional update on the
owner; a lock no longer this run's is ``LockLost``, and the branch stops). Finalize and
RecordFailure release them; ``cleanup`` releases a stopped run's.

A lock lasts ``LockTtlSeconds`` after its last renewal, so the longest gap between two
renewals must be shorter: ``renewal_gap`` is that gap for a run's timing, which
PlanExecution checks against the deployment's TTL, and the template's minimum TTL covers
every gap the deployment alone decides.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

from . import portal_lock
from .models import PortalItem, Timing
from .services import Services
from .state import PortalState, PreflightResult

# The longest a branch goes without renewing, besides its Wait states (from the ASL,
# statemachine/portal_security.asl.json; tests/template checks these against it): the
# longest task state (ApplyChange, TimeoutSeconds 920: its function's timeout is at most
# 900 s), and the retry delays before a step's code runs (a throttled invocation is
# retried up to 4 times, at most 20 s apart).
LONGEST_TASK_SECONDS: Final = 920
RETRY_DELAY_SECONDS: Final = 4 * 20
# A portal's own recheckAfterSeconds is input: the first Wait is capped at this.
MAX_RECHECK_SECONDS: Final = 120


def renewal_gap(timing: Timing) -> int:
    """The longest time a branch with this timing can go between two renewals: one
    task attempt, the longest Wait after it (the first recheck, or the pause between
    two health windows), and the retry delays before the next step runs."""
    recheck = MAX_RECHECK_SECONDS if timing.recheck_seconds is None else timing.recheck_seconds
    wait = max(recheck, timing.poll_interval_seconds)
    return LONGEST_TASK_SECONDS + wait + RETRY_DELAY_SECONDS


def branch_locks(state: PortalState, result: BaseModel | None = None) -> list[str]:
    """Every lock the branch holds: its secret's, then the others Preflight took (its
    result, when the step that took them is ``result``'s)."""
    preflight = result if isinstance(result, PreflightResult) else state.preflight
    others = preflight.locks if preflight else []
    return [state.item.secret_arn, *(key for key in others if key != state.item.secret_arn)]


def owner(item: PortalItem, key: str) -> str:
    """Who holds the branch's lock ``key``: the run holds its secret's; the portal's own
    lock is held by this branch of the run (``portal_lock.holder``: two secrets of one
    run that name one portal are two holders)."""
    return item.run_id if key == item.secret_arn else portal_lock.holder(item)


def renew(state: PortalState, services: Services, stage: str) -> None:
    """Renew every lock of the branch, noting ``stage``; ``LockLost`` if one is gone."""
    item = state.item
    for key in branch_locks(state):
        services.ledger.renew(key, item.run_id, stage, owner=owner(item, key))


def release_keys(item: PortalItem, services: Services, keys: list[str]) -> list[str]:
    """Release the branch's locks ``keys``; the keys that were no longer its own."""
    return [
        key for key in keys if not services.ledger.release(key, item.run_id, owner=owner(item, key))
    ]


def release(state: PortalState, services: Services) -> list[str]:
    """Release every lock of the branch; the keys that were no longer this run's."""
    return release_keys(state.item, services, branch_locks(state))
