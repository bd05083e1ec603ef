"""After the Map: one report for the whole run, from the ledger, bounded in size.

Every portal of the manifest gets a line: its report from the ledger, or, if its branch
ended without recording one (a child execution that failed beyond every Catch), a
failure naming that. The notification and the execution's output carry the counts and
at most ``MAX_LISTED`` portals (the failed ones first); the whole report, every portal,
goes to the work bucket (``reports/<run id>.json``), so no payload grows with the fleet.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any, Final

from ..domain.kinds import KINDS
from ..errors import InvalidExecutionInput, UnsupportedPortalVersion
from ..ports import LedgerPort, WorkStorePort

SUCCESS: Final = frozenset({"verified", "no-change", "dry-run"})
MAX_LISTED: Final = 25
MAX_FAILED_ARNS: Final = 100
# The summary is Summarize's output and the notification's body: Step Functions caps a
# state's output at 256 KiB and SNS a message at 256 KiB. Listed portals stop at this
# many bytes, and a changed value longer than MAX_VALUE characters is left to the report.
MAX_LISTED_BYTES: Final = 160_000
MAX_VALUE: Final = 200


def report_key(run_id: str) -> str:
    return f"reports/{run_id}.json"


def summarize(
    run_id: str, ledger: LedgerPort, work: WorkStorePort, *, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    run = ledger.get_run(run_id)
    if run is None:
        raise InvalidExecutionInput(f"run {run_id} has no record in the ledger")
    manifest = work.get_json(str(run["manifest"])) or []
    recorded = {str(r.get("secretArn")): r for r in ledger.results(run_id)}
    portals = [recorded.get(item["secretArn"]) or _unrecorded(item) for item in manifest]
    statuses = Counter(str(p.get("status", "unknown")) for p in portals)
    failed = [p for p in portals if p.get("status") not in SUCCESS]
    outcome = (
        "succeeded" if not failed else ("failed" if len(failed) == len(portals) else "partial")
    )
    action = run.get("action", "unknown")
    ok = len(portals) - len(failed)
    warned = sum(1 for p in portals if p.get("warnings"))
    with_warnings = f", {warned} with warnings" if warned else ""
    key = report_key(run_id)
    report = {
        "runId": run_id,
        "action": action,
        "dryRun": run.get("dryRun", False),
        "source": run.get("source"),
        "outcome": outcome,
        "counts": dict(statuses),
        "total": len(portals),
        "failed": len(failed),
        "warnings": warned,
        "notes": _run_notes(action, portals),
        "subject": f"Portal {action}: {outcome} ({ok}/{len(portals)} portals OK{with_warnings})"[
            :99
        ],
    }
    started = run.get("startedAt")
    if isinstance(started, int | float):
        report["runSeconds"] = round(max(0.0, now - float(started)), 1)
    work.put_json(key, {**report, "portals": portals})
    listed = _bounded(failed + [p for p in portals if p.get("status") in SUCCESS])
    return {
        **report,
        "failedPortals": [p.get("secretArn") for p in failed][:MAX_FAILED_ARNS],
        "portals": listed,
        "truncated": len(portals) > len(listed) or len(failed) > MAX_FAILED_ARNS,
        "report": key,
    }


def _run_notes(action: object, portals: list[dict[str, Any]]) -> list[str]:
    """A rotation run's notification says what the rotations invalidated (PORTAL_API.md
    5), whichever portals it lists."""
    if action != "rotate-shared-key":
        return []
    notes = []
    for kind in KINDS.values():
        versions = [
            str(p.get("version"))
            for p in portals
            if p.get("status") == "verified" and p.get("kind", "portal") == kind.name
        ]
        try:
            notes += [kind.fleet_rotation_note(versions)] if versions else []
        except UnsupportedPortalVersion:  # a ledger item edited by hand: no note, no failure
            continue
    return notes


def _bounded(portals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first MAX_LISTED portals, compacted, while they fit in MAX_LISTED_BYTES."""
    listed, size = [], 0
    for portal in portals[:MAX_LISTED]:
        entry = _compact(portal)
        size += len(json.dumps(entry, separators=(",", ":")))
        if size > MAX_LISTED_BYTES:
            break
        listed.append(entry)
    return listed


def _compact(portal: dict[str, Any]) -> dict[str, Any]:
    """The portal's report with long changed values replaced by their length (a long
    proxy-host list, say); the whole report in the work bucket keeps them."""
    changes = portal.get("changes")
    if not changes:
        return portal
    return {**portal, "changes": [_short_change(c) for c in changes]}


def _short_change(change: dict[str, Any]) -> dict[str, Any]:
    short = dict(change)
    for side in ("current", "desired"):
        text = json.dumps(change.get(side))
        if len(text) > MAX_VALUE:
            short[side] = f"({len(text)} characters: see the report)"
    return short


def _unrecorded(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "secretArn": item.get("secretArn"),
        "label": item.get("label"),
        "action": item.get("action"),
        "status": "failed",
        "error": {
            "name": "NoResultRecorded",
            "message": "the portal's branch ended without recording a result; see its "
            "child execution of the Map run",
        },
    }
