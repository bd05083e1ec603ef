"""Each portal's report goes to the ledger, not through the Map's output.

Finalize and RecordFailure record the report under the run (Summarize, the notification
and the audit events read them from there, so no payload grows with the fleet) and as
the secret's last outcome, which ``portal-automation status`` shows: when the key last
changed, the last run and its outcome, and the drift the last dry run found.
"""

from __future__ import annotations

import time
from typing import Any

from .services import Services
from .state import PortalState

VERIFIED_STATUSES = frozenset({"verified", "no-change", "dry-run"})


def record(state: PortalState, services: Services, report: dict[str, Any]) -> dict[str, Any]:
    item = state.item
    services.ledger.put_result(item.run_id, item.secret_arn, report)
    previous = services.ledger.last_outcomes([item.secret_arn]).get(item.secret_arn, {})
    services.ledger.put_last_outcome(item.secret_arn, last_outcome(report, previous, state))
    return report


def last_outcome(
    report: dict[str, Any], previous: dict[str, Any], state: PortalState
) -> dict[str, Any]:
    """The secret's last outcome: this run's, with what earlier runs knew carried over."""
    now = time.time()
    action, status = report.get("action"), report.get("status")
    outcome: dict[str, Any] = {
        "runId": state.item.run_id,
        "action": action,
        "dryRun": report.get("dryRun", False),
        "status": status,
        "at": round(now, 3),
        "label": report.get("label"),
        "kind": report.get("kind") or previous.get("kind"),
        "portal": report.get("portal") or previous.get("portal"),
        "version": report.get("version") or previous.get("version"),
        "error": (report.get("error") or {}).get("name"),
        "keyChangedAt": previous.get("keyChangedAt"),
        "drift": previous.get("drift"),
    }
    if action == "rotate-shared-key" and status == "verified":
        outcome["keyChangedAt"] = round(now, 3)
    if action == "apply-security-config" and status in VERIFIED_STATUSES:
        pending = status == "dry-run"
        changes = [c["name"] for c in report.get("changes", [])] if pending else []
        outcome["drift"] = {"at": round(now, 3), "changes": changes}
    return {k: v for k, v in outcome.items() if v is not None}
