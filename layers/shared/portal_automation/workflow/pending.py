"""Settle a run's AWSPENDING version by what the portal runs (RecordFailure, and the
cleanup of a stopped run): removed when the portal still uses the current key (nothing
happened), kept and explained when it uses the pending key or cannot be asked (the
runbook says how to finish or undo by hand). No value is ever revealed."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from ..domain.version import PortalVersion
from ..errors import PortalAutomationError
from .models import PortalItem
from .services import Services

logger = Logger(child=True)


def settle_pending(
    item: PortalItem,
    services: Services,
    *,
    update_may_land: bool = False,
    version: PortalVersion | None = None,
) -> str:
    """Settle this run's AWSPENDING version of the portal's secret by what the portal
    runs; what was done, for the operator ("" when the run has none). With
    ``update_may_land`` (a stopped run's update may have been sent and not taken effect
    yet: the portal restarts a while after it accepts one), a portal still on its
    previous key keeps the pending version too: it may be about to run it."""
    store = services.secrets
    try:
        if store.pending_version_id(item.secret_arn) != item.version_id:
            return ""
        pending = store.pending(item.secret_arn, item.version_id)
        if pending is None:
            store.clear_pending(item.secret_arn, item.version_id)
            return "no new key was stored or sent; the empty AWSPENDING version was removed"
        current = store.read(item.secret_arn).credentials
        with services.session(current, version) as session:
            portal_key = session.client.read_shared_key(session.fresh_token())
    except PortalAutomationError as exc:
        logger.warning("could not settle AWSPENDING", extra={"error": type(exc).__name__})
        return (
            f"AWSPENDING version {item.version_id} is kept: the portal could not be asked "
            "which key it uses (runbook: 'Leftover AWSPENDING')"
        )
    if pending.shared_key == portal_key:
        return (
            f"the portal uses the key in AWSPENDING version {item.version_id} but it was not "
            "verified; AWSPENDING is kept (runbook: 'Leftover AWSPENDING')"
        )
    if update_may_land and current.shared_key in (None, portal_key):
        return (
            f"the portal still runs its previous key, but the update may have been sent and "
            f"not taken effect yet: AWSPENDING version {item.version_id} is kept. Once the "
            "portal has restarted, see the runbook's 'Leftover AWSPENDING'"
        )
    if current.shared_key is None:
        store.clear_pending(item.secret_arn, item.version_id)
        return (
            "the portal does not run the key in AWSPENDING; the unused AWSPENDING version "
            "was removed (the secret held no key before, so nothing else could be compared)"
        )
    if current.shared_key == portal_key:
        store.clear_pending(item.secret_arn, item.version_id)
        return "the portal still uses its previous key; the unused AWSPENDING version was removed"
    return (
        f"the portal's key matches neither AWSCURRENT nor AWSPENDING ({item.version_id}); "
        "AWSPENDING is kept (runbook: 'Leftover AWSPENDING')"
    )
