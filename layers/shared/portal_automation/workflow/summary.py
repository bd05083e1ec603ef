"""After the Map: one report for the whole execution, used for the notification."""

from __future__ import annotations

from collections import Counter
from typing import Any

SUCCESS = frozenset({"verified", "no-change", "dry-run"})


def summarize(run: dict[str, Any], portals: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = Counter(str(p.get("status", "unknown")) for p in portals)
    failed = [p for p in portals if p.get("status") not in SUCCESS]
    outcome = (
        "succeeded" if not failed else ("failed" if len(failed) == len(portals) else "partial")
    )
    action = run.get("action", "unknown")
    subject = f"Portal {action}: {outcome} ({len(portals) - len(failed)}/{len(portals)} portals OK)"
    return {
        "runId": run.get("runId"),
        "action": action,
        "dryRun": run.get("dryRun", False),
        "source": run.get("source"),
        "outcome": outcome,
        "counts": dict(statuses),
        "failed": len(failed),
        "failedPortals": [p.get("secretArn") for p in failed],
        "subject": subject[:99],
        "portals": portals,
    }
