"""The workflow's audit events on the project's bus: one per portal outcome worth
recording, one for the run. Each portal's event comes from its report in the ledger, so
the events of a fleet of any size need no payload of the state machine."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from ..ports import LedgerPort

AUDIT_SOURCE: Final = "portal-security"
_BATCH: Final = 10  # PutEvents takes at most 10 entries
_PARALLEL: Final = 8
_KINDS: Final[Mapping[tuple[object, object], str]] = {
    ("rotate-shared-key", "verified"): "Shared Key Rotated",
    ("apply-security-config", "verified"): "Security Config Applied",
    ("apply-security-config", "rolled-back"): "Security Config Rolled Back",
}


def publish_audit(
    summary: Mapping[str, Any], ledger: LedgerPort, events: Any, bus: str
) -> dict[str, Any]:
    run_id = str(summary.get("runId"))
    entries = audit_entries(summary, ledger.results(run_id), bus)
    batches = list(_batches(entries))
    with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
        failed = sum(pool.map(lambda batch: _put(events, batch), batches))
    return {"published": len(entries) - failed, "failed": failed}


def audit_entries(
    summary: Mapping[str, Any], portals: Iterable[Mapping[str, Any]], bus: str
) -> list[dict[str, Any]]:
    entries = []
    for portal in portals:
        kind = event_kind(portal)
        if kind:
            entries.append(_entry(bus, kind, {"runId": summary.get("runId"), **portal}))
    run = {k: v for k, v in summary.items() if k != "portals"}
    entries.append(_entry(bus, "Portal Security Run Finished", run))
    return entries


def event_kind(portal: Mapping[str, Any]) -> str | None:
    action, status = portal.get("action"), portal.get("status")
    if status == "failed":
        return "Portal Change Failed"
    if status == "dry-run" and action == "apply-security-config" and portal.get("changes"):
        return "Security Config Drift Found"
    return _KINDS.get((str(action), str(status)))


def _entry(bus: str, kind: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "EventBusName": bus,
        "Source": AUDIT_SOURCE,
        "DetailType": kind,
        "Detail": json.dumps(detail, default=str),
    }


def _batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(entries), _BATCH):
        yield entries[start : start + _BATCH]


def _put(events: Any, batch: list[dict[str, Any]]) -> int:
    """Put one batch; entries EventBridge reports failed are sent once more."""
    answer = events.put_events(Entries=batch)
    if not answer.get("FailedEntryCount"):
        return 0
    again = [e for e, r in zip(batch, answer["Entries"], strict=False) if r.get("ErrorCode")]
    return int(events.put_events(Entries=again).get("FailedEntryCount", 0))
