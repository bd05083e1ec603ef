"""After a verified key change: validate the federated servers, once per portal.

A key change invalidates every token issued before it, and no Esri page asks for
re-federation after one (the federation trust uses other keys); what an operator needs
is to know that the portal's servers still answer it. So, once the new key is proven,
``GET portaladmin/federation/servers/validate`` (10.4+) runs and each server's status
goes into the verification checks (the report, the notification, the audit event).
A server that does not validate, or a validation that cannot run, is a warning
(``FederationValidationFailed``, see the README runbook): the verified rotation stands.

Once per portal and run: Verify can run again after this step (a later post-change
step failed, the state machine retried Verify). The outcome is kept in the run's work
store, and a claim is written before the call, so a Verify that runs again reuses the
outcome, or, when an earlier attempt was cut off mid-call, reports that instead of
calling again.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from ...errors import PortalAuthFailed, PortalBadResponse, PortalRequestRejected, PortalUnavailable
from ..services import work_prefix
from .base import Outcome

if TYPE_CHECKING:
    from ...domain.version import PortalVersion
    from ...portal import AdminSession
    from ..models import Action
    from ..services import Services
    from ..state import PortalState

RECORD: Final = "federation-validation.json"
WARNING: Final = "FederationValidationFailed"
VALIDATED: Final = frozenset({"success", "success with warnings"})
_NOT_RUN: Final = (PortalUnavailable, PortalBadResponse, PortalRequestRejected, PortalAuthFailed)


class ValidateFederation:
    name: Final = "federatedServers"

    def applies(self, version: PortalVersion, action: Action) -> bool:
        return action == "rotate-shared-key"

    def run(self, state: PortalState, session: AdminSession, services: Services) -> Outcome:
        key = work_prefix(state.item.run_id, state.item.secret_arn) + RECORD
        recorded = services.work.get_json(key)
        if isinstance(recorded, dict) and "check" in recorded:
            return _outcome(recorded["check"])
        if recorded is not None:
            check = _not_run("an earlier attempt of this run was cut off during the call")
            services.work.put_json(key, {"check": check})
            return _outcome(check)
        services.work.put_json(key, {"claimed": True})
        try:
            validation = session.call(session.client.validate_federated_servers)
        except _NOT_RUN as exc:
            check = _not_run(f"{type(exc).__name__}: {exc.message}")
        else:
            servers = [server.report() for server in validation.servers]
            check = {
                "checked": True,
                "servers": servers,
                "counts": dict(Counter(s["status"] for s in servers)),
                "listed": validation.listed,
            }
        services.work.put_json(key, {"check": check})
        return _outcome(check)


def _not_run(reason: str) -> dict[str, Any]:
    return {"checked": False, "reason": reason}


def _outcome(check: dict[str, Any]) -> Outcome:
    if not check.get("checked"):
        return Outcome(check, ({"name": WARNING, "message": _not_run_message(check)},))
    failed = [s for s in check.get("servers", []) if s.get("status") not in VALIDATED]
    if not failed:
        return Outcome(check)
    named = ", ".join(f"{s['serverId']} ({s['status']})" for s in failed)
    message = (
        f"after the key change, federated server(s) {named} did not validate "
        "(portaladmin/federation/servers/validate); the rotation itself is verified and "
        "stands. See the README runbook 'FederationValidationFailed'"
    )
    return Outcome(check, ({"name": WARNING, "message": message},))


def _not_run_message(check: dict[str, Any]) -> str:
    return (
        f"the federated servers were not validated after the key change ({check['reason']}); "
        "the rotation itself is verified and stands. Validate them by hand (README runbook "
        "'FederationValidationFailed')"
    )
