"""Whatever ends a run leaves nothing behind (FAULTS row 48).

A portal's branch normally ends in Finalize or RecordFailure, which clean up and record
its result. It can also end without either: its child execution was stopped
(``StopExecution``), timed out or failed beyond every Catch while the run went on, or the
whole run was stopped or timed out, and a run that has ended runs no more states. So:

- Summarize first cleans up every portal of the run's manifest that has no recorded
  result (``clean_up_run``);
- an EventBridge rule on the run's own execution status (ABORTED, TIMED_OUT, FAILED)
  invokes the same function with the event, which cleans up the run the same way once
  Step Functions confirms that the execution has ended (``on_execution_ended``).

Cleaning up a portal closes its branch first (it records the result ``stopped``, so a
step still running, whose invocation outlives its execution, cleans up after itself:
``locks.holding``), then deletes the run's scratch objects for it but a configuration
snapshot, settles AWSPENDING as RecordFailure does, releases its locks, and records what
it did and the step its branch was last in (the one that last renewed its lock). Every
other lock the run took and still holds is released last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools import Logger

from ..aws.executions import TERMINAL
from ..errors import InvalidTriggerEvent, PortalAutomationError
from ..ports import ExecutionsPort
from .change import CONFIG_SNAPSHOT, PROBE_TOKEN
from .finalize import STOPPED, summary
from .locks import release_keys
from .models import PortalItem
from .pending import settle_pending
from .results import record
from .services import Services, work_prefix
from .state import PortalState
from .summary import summarize

logger = Logger(child=True)
ENDED_STATUS: Final = "Step Functions Execution Status Change"
CHILD_ENDED: Final = "the portal's child execution ended without recording a result"


def clean_up_run(run_id: str, services: Services, *, reason: str) -> list[dict[str, Any]]:
    """Clean up every portal of the run that has no recorded result; release every lock
    the run still holds. Returns the reports of the portals cleaned up."""
    run = services.ledger.get_run(run_id)
    if run is None:
        return []
    manifest = services.work.get_json(str(run["manifest"])) or []
    recorded = {str(r.get("secretArn")) for r in services.ledger.results(run_id)}
    reports = [
        clean_up_portal(PortalItem.model_validate(entry), services, reason=reason)
        for entry in manifest
        if str(entry.get("secretArn")) not in recorded
    ]
    for key, owner in services.ledger.held_locks(run_id):
        services.ledger.release(key, run_id, owner=owner)
    return reports


def clean_up_portal(
    item: PortalItem, services: Services, *, reason: str, locks: list[str] | None = None
) -> dict[str, Any]:
    """Close the portal's branch, undo what it left, and record it ``stopped``."""
    state = PortalState(item=item)
    stage = services.ledger.lock_stage(item.secret_arn, item.run_id)
    error: dict[str, Any] = {
        "name": "NoResultRecorded",
        "message": f"{reason}" + (f" (its last step: {stage})" if stage else ""),
        "stage": stage or "unknown",
    }
    services.ledger.put_result(item.run_id, item.secret_arn, summary(state, STOPPED, error))
    notes = undo(item, services, locks or [item.secret_arn])
    if notes:
        error["notes"] = notes
    return record(state, services, summary(state, STOPPED, error))


def undo(item: PortalItem, services: Services, locks: list[str]) -> list[str]:
    """Delete the branch's scratch objects but a configuration snapshot, settle its
    AWSPENDING version, release ``locks``; what was left, in notes for the operator."""
    notes: list[str] = []
    if item.dry_run:
        return notes  # a dry run changed nothing and took no lock
    prefix = work_prefix(item.run_id, item.secret_arn)
    try:
        deleted = services.work.delete_prefix(prefix, keep=(CONFIG_SNAPSHOT,))
    except PortalAutomationError as exc:
        logger.warning("work store not cleaned", extra={"error": type(exc).__name__})
        deleted = [PROBE_TOKEN]  # unknown: as if the update had been sent
        notes.append(
            f"the run's scratch objects could not be deleted ({type(exc).__name__}); the "
            f"probe token and pre-change key under s3://<work bucket>/{prefix} expire in a day"
        )
    if item.action == "rotate-shared-key":
        # The probe token is stored just before the update is sent (workflow/change).
        notes.append(settle_pending(item, services, update_may_land=PROBE_TOKEN in deleted))
    else:
        notes.append(
            "if the change was sent, the configuration snapshot taken before it is kept "
            f"(encrypted) under s3://<work bucket>/{prefix} for a manual rollback"
        )
    # Owner-conditional: a lock another run holds now stays its own.
    release_keys(item, services, locks)
    return [note for note in notes if note]


def on_execution_ended(
    event: Mapping[str, Any], services: Services, executions: ExecutionsPort
) -> dict[str, Any]:
    """The EventBridge entry: the run whose execution the event names has ended (what
    the event says is checked with Step Functions before anything is cleaned)."""
    detail = event.get("detail")
    if event.get("source") != "aws.states" or event.get("detail-type") != ENDED_STATUS:
        raise InvalidTriggerEvent("not a Step Functions execution status change")
    if not isinstance(detail, Mapping) or not isinstance(detail.get("name"), str):
        raise InvalidTriggerEvent("a status change without the execution's name")
    run_id = str(detail["name"])
    arn = executions.arn_for(run_id)
    if detail.get("executionArn") != arn:
        raise InvalidTriggerEvent(f"the event names an execution of another state machine: {arn}")
    status = executions.describe(arn).status
    if status not in TERMINAL:
        raise InvalidTriggerEvent(f"execution {arn} has not ended ({status}); nothing was cleaned")
    reason = f"the run ended ({status}) before the portal's branch recorded a result"
    cleaned = clean_up_run(run_id, services, reason=reason)
    answer: dict[str, Any] = {"runId": run_id, "status": status, "cleaned": len(cleaned)}
    if cleaned:  # the run ended before Summarize: the report is written here
        answer["report"] = summarize(run_id, services.ledger, services.work)["report"]
    logger.info("run cleaned up after it ended", extra=answer)
    return answer
