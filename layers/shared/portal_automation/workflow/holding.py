"""A per-portal step, run while its branch holds its locks (``locks``).

Before the step touches the portal, every lock of the branch is renewed (``LockLost``
when one is no longer this run's: the branch stops there). The branch must also be
open, before the step and after it: a stopped run is cleaned up while the invocation of
its step may still be pending or running (Lambda does not stop with the execution), and
the cleanup closes the branch by recording its result first. A step that finds it closed
does not start; one that finds it closed when it is done undoes what it may have added
since (``cleanup.undo``); either fails ``LockLost``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from ..errors import LockLost
from .locks import branch_locks, renew
from .services import Services
from .state import PortalState

ResultT = TypeVar("ResultT", bound=BaseModel)
Step = Callable[[PortalState, Services], ResultT]


def holding(step: Step[ResultT], stage: str, *, renews: bool = True) -> Step[ResultT]:
    """``step`` run while the branch holds its locks: renewed first, noting ``stage``
    (unless the step takes them itself: Preflight), and checked still open after it."""

    def run(state: PortalState, services: Services) -> ResultT:
        item = state.item
        if item.dry_run:  # a dry run changes nothing and takes no lock
            return step(state, services)
        if services.ledger.result_of(item.run_id, item.secret_arn) is not None:
            raise LockLost(  # an invocation that outlived its stopped run: it starts nothing
                f"the run was stopped before {stage} ran on the portal of {item.secret_arn}"
            )
        if renews:
            renew(state, services, stage)
        result = step(state, services)
        if services.ledger.result_of(item.run_id, item.secret_arn) is not None:
            # The run was stopped and cleaned up while this step ran: undo what it may
            # have added since (scratch objects, AWSPENDING, the locks it took).
            # Imported here: only a stopped run needs it, and it costs every cold start.
            from .cleanup import undo  # noqa: PLC0415

            undo(item, services, branch_locks(state, result))
            raise LockLost(
                f"the run was stopped while {stage} ran on the portal of {item.secret_arn}; "
                "what it left was cleaned up and its locks released"
            )
        return result

    return run
