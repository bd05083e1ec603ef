"""Finish one portal: promote the verified key, release the locks, report.

Also the end of the paths that change nothing (dry run, no change), so every portal's
summary is built in one place.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import LockLost
from . import locks
from .restart_wait import restart_seconds
from .results import record
from .services import Services, work_prefix
from .state import PortalState
from .targets import machines_report


def finalize(state: PortalState, services: Services) -> dict[str, Any]:
    item = state.item
    status = _status(state)
    if not item.dry_run:
        recorded = services.ledger.result_of(item.run_id, item.secret_arn)
        if recorded is not None and recorded.get("status") != STOPPED:
            return recorded  # run again after it finished: the same report, nothing twice
        # Still this run's portal, or nothing is promoted (LockLost: RecordFailure then
        # settles AWSPENDING by what the portal runs). A stopped run's branch is closed.
        if recorded is not None:
            raise LockLost(f"the run was stopped before Finalize of {item.secret_arn}")
        locks.renew(state, services, "Finalize")
    if state.preflight and state.preflight.next == "change":
        if status == "verified" and item.action == "rotate-shared-key":
            services.secrets.promote(item.secret_arn, item.version_id)
        services.work.delete_prefix(work_prefix(item.run_id, item.secret_arn))
    report = record(state, services, summary(state, status))
    if not item.dry_run:
        kept = locks.release(state, services)
        if kept:
            raise LockLost(
                f"the portal of {item.secret_arn} ended {status}, but the lock on "
                f"{', '.join(kept)} was no longer this run's at the end"
            )
    return report


STOPPED = "stopped"  # the status of a portal whose run was cleaned up (workflow/cleanup)


def _status(state: PortalState) -> str:
    if state.verify is not None:
        return state.verify.outcome
    if state.preflight is not None:
        return state.preflight.outcome
    return "unknown"


def summary(
    state: PortalState,
    status: str,
    error: dict[str, Any] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The per-portal report: facts only, never a secret. ``kind``: what the secret
    names, when Preflight did not say (a failure before it)."""
    item, pre, change, poll, ver = (
        state.item,
        state.preflight,
        state.change,
        state.poll,
        state.verify,
    )
    started = pre.started_at if pre else None
    timings: dict[str, Any] = {"startedAt": started}
    if change and change.changed_at:
        timings["changedAt"] = change.changed_at
    if poll and poll.healthy_at:
        timings["healthyAt"] = poll.healthy_at
        if change and change.changed_at:
            timings["restartSeconds"] = round(poll.healthy_at - change.changed_at, 3)
    if ver and ver.verified_at:
        timings["verifiedAt"] = ver.verified_at
    if started:
        timings["totalSeconds"] = round(time.time() - started, 3)
    report: dict[str, Any] = {
        "secretArn": item.secret_arn,
        "kind": pre.kind if pre else kind,
        "label": item.label,
        "action": item.action,
        "dryRun": item.dry_run,
        "status": status,
        "portal": pre.portal if pre else None,
        "version": pre.version if pre else None,
        "changes": [c.model_dump(mode="json") for c in pre.changes] if pre else [],
        "keyMode": pre.key_mode if pre else None,
        "attempts": change.attempts if change else 0,
        "healthPolls": poll.polls if poll else 0,
        "verification": ver.checks if ver else {},
        "timings": timings,
    }
    if item.action == "rotate-shared-key" and status == "verified":
        report["secretVersionId"] = item.version_id
    if ver and ver.mismatched:
        report["mismatched"] = ver.mismatched
    if ver and ver.warnings:
        report["warnings"] = ver.warnings
    machines = machines_report(state, dict(restart_seconds(state)))
    notes = [
        *(pre.notes if pre else []),
        *_rotation_notes(state, status),
        *machines.pop("notes", []),
    ]
    report.update(machines)
    if notes:
        report["notes"] = notes
    if error:
        report["error"] = error
    return {k: v for k, v in report.items() if v is not None}


def _rotation_notes(state: PortalState, status: str) -> list[str]:
    """What a rotation invalidates, said in every rotation's summary once the portal's
    version is known (PORTAL_API.md 5)."""
    version, kind = state.known_version(), state.known_kind()
    if state.item.action != "rotate-shared-key" or version is None or kind is None:
        return []
    if status == "verified":
        return [kind.rotation_note(version, "invalidated")]
    if status == "dry-run":
        return [kind.rotation_note(version, "would invalidate")]
    if state.change is not None:  # sent, or found already done: the outcome is open
        return [kind.rotation_note(version, "may have invalidated")]
    return []
