"""The task that changes the portal. Never retried blindly: it first checks whether the
change already happened (a crash, a timeout or a duplicate invocation after the update
was accepted must not update twice or restart the portal twice).

Rotation, portal 11.3 and earlier: the new key is stored as the secret's AWSPENDING
version *before* the portal sees it, so the key can never be lost. 11.4 and later: the
portal generates the key; the key it had before is kept in the encrypted work store so
a re-run can tell whether the update happened, and verification reads the new key back
and stores it as AWSPENDING.

Before the update, a long-lived "probe" token is made with the old key and kept in the
work store: after the restart it must be rejected, which proves that the process now
answering runs with the new key (health alone cannot: the old process may still answer
for a while after the update).
"""

from __future__ import annotations

import math
import time
from typing import Final

from ..domain.security_config import diff, merge
from ..domain.shared_key import generate_shared_key
from ..errors import ChangeNotApplied, PortalRequestRejected, PortalUnavailable
from ..portal import AdminSession, UpdateAccepted
from ..sensitive import Secret
from .models import PortalItem
from .services import Services, work_prefix
from .state import ChangeResult, PortalState

MAX_ATTEMPTS: Final = 2
PROBE_TOKEN: Final = "probe-token"  # noqa: S105 - an object name, not a token
PRE_CHANGE_KEY: Final = "pre-change-key"
CONFIG_SNAPSHOT: Final = "config-snapshot.json"
_PROBE_MARGIN_SECONDS: Final = 900


def apply_change(state: PortalState, services: Services) -> ChangeResult:
    item = state.item
    attempts = services.ledger.record_attempt(item.secret_arn, item.run_id)
    if attempts > MAX_ATTEMPTS:
        raise ChangeNotApplied(
            f"the portal of {item.secret_arn} still has its old state after "
            f"{MAX_ATTEMPTS} attempts; giving up"
        )
    creds = services.secrets.read(item.secret_arn).credentials
    with services.session(creds) as session:
        if item.action == "rotate-shared-key":
            generated = state.preflight is not None and state.preflight.key_mode == "generated"
            return _rotate(item, session, services, attempts, generated)
        return _apply_config(item, session, services, attempts)


def _rotate(
    item: PortalItem, session: AdminSession, services: Services, attempts: int, generated: bool
) -> ChangeResult:
    prefix = work_prefix(item.run_id, item.secret_arn)
    current_key = session.call(session.client.read_shared_key)
    if generated:
        before = services.work.get_secret(prefix + PRE_CHANGE_KEY)
        if before is not None and before != current_key:
            return _result(item, "already-applied", attempts)
        if before is None:
            services.work.put_secret(prefix + PRE_CHANGE_KEY, current_key)
    else:
        new_key = _pending_key(item, services)
        if new_key == current_key:
            return _result(item, "already-applied", attempts)
    _store_probe_token(item, session, services, prefix)
    try:
        if generated:
            accepted = _update_generated(session)
        else:
            accepted = session.call(lambda t: session.client.update_shared_key(t, new_key))
    except PortalUnavailable:
        return _result(item, "unknown", attempts)
    return _result(item, "accepted", attempts, accepted)


def _pending_key(item: PortalItem, services: Services) -> Secret:
    """The key this run installs: the AWSPENDING version's, created once per run."""
    store = services.secrets
    if store.pending_version_id(item.secret_arn) == item.version_id:
        pending = store.pending(item.secret_arn, item.version_id)
        if pending is not None and pending.shared_key is not None:
            return pending.shared_key
    current = store.read(item.secret_arn).credentials
    key = generate_shared_key()
    store.put_pending(item.secret_arn, item.version_id, current.with_shared_key(key))
    return key


def _update_generated(session: AdminSession) -> UpdateAccepted:
    """11.4+: send the documented form; if the portal refuses a supplied key, send none.

    PORTAL_API.md leaves open whether 11.4+ ignores or rejects a supplied key. The
    portal checks the request before changing anything, so the second form is safe.
    """
    try:
        return session.call(lambda t: session.client.update_shared_key(t, generate_shared_key()))
    except PortalRequestRejected as exc:
        if exc.code != 400:
            raise
    return session.call(lambda t: session.client.update_shared_key(t, None))


def _store_probe_token(
    item: PortalItem, session: AdminSession, services: Services, prefix: str
) -> None:
    minutes = math.ceil((item.timing.max_restart_seconds + _PROBE_MARGIN_SECONDS) / 60)
    probe = session.client.generate_token(
        session.username, session.password, expiration_minutes=minutes
    )
    services.work.put_secret(prefix + PROBE_TOKEN, probe.value)


def _apply_config(
    item: PortalItem, session: AdminSession, services: Services, attempts: int
) -> ChangeResult:
    desired = item.security_config or {}
    snapshot_key = work_prefix(item.run_id, item.secret_arn) + CONFIG_SNAPSHOT
    current = session.call(session.client.read_security_config)
    if services.work.get_json(snapshot_key) is None:
        services.work.put_json(snapshot_key, dict(current.values))
    if not diff(current.values, desired):
        return _result(item, "already-applied", attempts)
    merged = merge(current.values, desired)
    try:
        accepted = session.call(lambda t: session.client.update_security_config(t, merged))
    except PortalUnavailable:
        return _result(item, "unknown", attempts)
    return _result(item, "accepted", attempts, accepted)


def _result(
    item: PortalItem, outcome: str, attempts: int, accepted: UpdateAccepted | None = None
) -> ChangeResult:
    return ChangeResult.model_validate(
        {
            "outcome": outcome,
            "attempts": attempts,
            "changedAt": time.time(),
            "recheckSeconds": recheck_seconds(item, accepted),
        }
    )


def recheck_seconds(item: PortalItem, accepted: UpdateAccepted | None) -> int:
    """The first Wait: the input's override, else what the portal asked for."""
    if item.timing.recheck_seconds is not None:
        return item.timing.recheck_seconds
    return accepted.recheck_after_seconds if accepted else 0
