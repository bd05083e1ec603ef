"""A portal's branch failed: clean up what is safe to clean, and report what is not.

Runs from every Catch in the per-portal branch and never fails itself (a failed failure
handler would hide the first error). For a rotation it settles the AWSPENDING version:
removed when the portal still uses the current key (nothing happened), kept and
reported when the portal uses the pending key or cannot be asked (the runbook says how
to finish or undo by hand). Nothing here is retried blindly and no value is revealed.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aws_lambda_powertools import Logger

from ..errors import PortalAutomationError
from ..sensitive import clip
from . import locks
from .finalize import summary
from .pending import settle_pending
from .regimes import Rotation, regime_named
from .results import record
from .services import Services, work_prefix
from .state import PortalState

logger = Logger(child=True)
_MAX_CAUSE: Final = 600


def record_failure(state: PortalState, services: Services) -> dict[str, Any]:
    item = state.item
    error = describe_error(state)
    notes: list[str] = []
    changing = bool(state.preflight and state.preflight.next == "change")
    if changing and item.action == "rotate-shared-key":
        notes.append(settle_pending(item, services, version=state.known_version()))
        regime = regime_named(state.preflight.key_mode if state.preflight else None)
        update_sent = bool(state.change and state.change.outcome != "already-applied")
        notes.append(regime.failure_note(Rotation(item, services), update_sent))
        # The probe token is a valid admin token until it expires, and the pre-change
        # key a portal's key: neither outlives the run (FAULTS row 37).
        _discard(state, services, notes)
    if changing and item.action == "apply-security-config":
        notes.append(
            "the configuration snapshot taken before the change is kept (encrypted) under "
            f"s3://<work bucket>/{work_prefix(item.run_id, item.secret_arn)} for manual rollback"
        )
    if not item.dry_run:
        _release(state, services, notes)  # only ever releases this branch's own locks
    error["stage"] = _stage(state)
    if notes:
        error["notes"] = [n for n in notes if n]
    # A ledger that cannot take the report fails this step (retried; Summarize reports a
    # portal without a recorded result as failed anyway).
    return record(state, services, summary(state, "failed", error, _kind(state, services)))


def _kind(state: PortalState, services: Services) -> str | None:
    """What the secret names, when Preflight failed before saying it (None: the secret
    itself could not be read, which is what the error then says)."""
    if state.preflight is not None:
        return None
    try:
        return services.secrets.read(state.item.secret_arn).credentials.kind.name
    except PortalAutomationError:
        return None


def describe_error(state: PortalState) -> dict[str, Any]:
    caught = state.error
    if caught is None:
        return {"name": "Unknown", "message": "no error information"}
    message = caught.cause
    try:
        parsed = json.loads(caught.cause)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    if isinstance(parsed, dict):
        message = str(parsed.get("errorMessage", ""))
    return {"name": clip(caught.error, 100), "message": clip(message, _MAX_CAUSE)}


def _discard(state: PortalState, services: Services, notes: list[str]) -> None:
    prefix = work_prefix(state.item.run_id, state.item.secret_arn)
    try:
        services.work.delete_prefix(prefix)
    except PortalAutomationError as exc:
        logger.warning("work store not cleaned", extra={"error": type(exc).__name__})
        notes.append(
            f"the run's scratch objects could not be deleted ({type(exc).__name__}); delete "
            f"s3://<work bucket>/{prefix} (the lifecycle rule expires them after 14 days)"
        )


def _release(state: PortalState, services: Services, notes: list[str]) -> None:
    try:
        kept = locks.release(state, services)
    except PortalAutomationError as exc:
        notes.append(f"the portal lock could not be released ({type(exc).__name__}); it expires")
        return
    if kept and (state.error is None or state.error.error != "PortalBusy"):
        notes.append(
            f"the lock on {', '.join(kept)} was no longer this run's when the branch ended "
            "(released by a cleanup, or expired and taken by another run)"
        )


def _stage(state: PortalState) -> str:
    if state.verify is not None:
        return "verify"
    if state.poll is not None:
        return "wait"
    if state.change is not None:
        return "change"
    if state.preflight is not None:
        return "change" if state.preflight.next == "change" else "preflight"
    return "preflight"
