"""After the Map: one report for the whole run, from the ledger, bounded in size.

Every portal of the manifest gets a line: its report from the ledger, or, if its branch
ended without recording one (a child execution that failed beyond every Catch), a
failure naming that. The notification and the execution's output carry the counts and
at most ``MAX_LISTED`` portals (the failed ones first); the whole report, every portal,
goes to the work bucket (``reports/<run id>.json``), so no payload grows with the fleet.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from ..errors import InvalidExecutionInput
from ..ports import LedgerPort, WorkStorePort

SUCCESS: Final = frozenset({"verified", "no-change", "dry-run"})
MAX_LISTED: Final = 25
MAX_FAILED_ARNS: Final = 100


def report_key(run_id: str) -> str:
    return f"reports/{run_id}.json"


def summarize(run_id: str, ledger: LedgerPort, work: WorkStorePort) -> dict[str, Any]:
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
        "subject": f"Portal {action}: {outcome} ({ok}/{len(portals)} portals OK)"[:99],
    }
    work.put_json(key, {**report, "portals": portals})
    listed = (failed + [p for p in portals if p.get("status") in SUCCESS])[:MAX_LISTED]
    return {
        **report,
        "failedPortals": [p.get("secretArn") for p in failed][:MAX_FAILED_ARNS],
        "portals": listed,
        "truncated": len(portals) > len(listed) or len(failed) > MAX_FAILED_ARNS,
        "report": key,
    }


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
