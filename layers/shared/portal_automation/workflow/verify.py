"""Prove the change took effect, not just that the portal answers.

Rotation: health OK, the probe token made before the update is now rejected (the
process answering runs with the new key), a fresh token works, and the key the portal
reports is the one in AWSPENDING (11.3-) or a new one, which is then stored as
AWSPENDING (11.4+). Configuration: health OK, a fresh token works, and the read-back
matches what was asked (or, after a rollback, the snapshot).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.security_config import PROPERTIES, mismatches
from ..errors import PortalAuthFailed, PortalUnavailable, RollbackFailed
from ..portal import AdminSession, PortalToken
from .change import CONFIG_SNAPSHOT, PROBE_TOKEN
from .regimes import Rotation, regime_named
from .restart_wait import (
    max_restart_seconds,
    raise_timeout,
    restart_origin,
    went_down_since_change,
)
from .services import Services, work_prefix
from .state import PortalState, VerifyResult

_REJECTED = frozenset({498, 499})


def verify(state: PortalState, services: Services) -> VerifyResult:
    item = state.item
    elapsed = time.time() - restart_origin(state)
    creds = services.secrets.read(item.secret_arn).credentials
    with services.session(creds) as session:
        if not session.client.health().ready:
            return _pending(state, services, elapsed, {"health": "not ready"})
        if item.action == "rotate-shared-key":
            return _verify_key(state, services, session, elapsed)
        return _verify_config(state, services, session, elapsed)


def _pending(
    state: PortalState, services: Services, elapsed: float, checks: dict[str, Any]
) -> VerifyResult:
    if elapsed >= max_restart_seconds(state, services):
        raise_timeout(state, services, elapsed)
    earlier = state.verify.mismatched if state.verify else []
    return VerifyResult(outcome="restart-pending", checks=checks, mismatched=earlier)


def _verify_key(
    state: PortalState, services: Services, session: AdminSession, elapsed: float
) -> VerifyResult:
    rotation = Rotation(state.item, services)
    regime = regime_named(state.preflight.key_mode if state.preflight else None)
    unknown = bool(state.change and state.change.outcome == "unknown")
    probe_value = services.work.get_secret(rotation.prefix + PROBE_TOKEN)
    if probe_value is None and unknown:
        # The probe is stored before the update is sent: without it, nothing was sent.
        return VerifyResult(outcome="not-applied", checks={"updateSent": False})
    if probe_value is not None:
        probe = PortalToken(
            probe_value, datetime.now(UTC) + timedelta(hours=1), True, session.client.referer
        )
        try:
            still_stored = session.client.read_shared_key(probe)
        except PortalAuthFailed as exc:
            if exc.code not in _REJECTED:
                raise
        except PortalUnavailable:
            return _pending(state, services, elapsed, {"oldTokenRejected": False})
        else:
            if (
                unknown
                and elapsed >= in_flight_grace(services)
                and not regime.has_changed(rotation, still_stored)
            ):
                return VerifyResult(outcome="not-applied", checks={"oldTokenRejected": False})
            return _pending(state, services, elapsed, {"oldTokenRejected": False})
    fresh = session.fresh_token()
    session.client.info(fresh)
    regime.read_back(rotation, session.client.read_shared_key(fresh))
    return VerifyResult(
        outcome="verified",
        verified_at=time.time(),
        checks={
            "health": "ok",
            "oldTokenRejected": probe_value is not None,
            "freshTokenWorks": True,
            "keyMatchesSecret": True,
        },
    )


def in_flight_grace(services: Services) -> float:
    """How long an unanswered update may still land: only then is "not applied" decided."""
    return 2 * services.read_timeout_seconds


def _verify_config(
    state: PortalState, services: Services, session: AdminSession, elapsed: float
) -> VerifyResult:
    item = state.item
    if not went_down_since_change(state) and elapsed < item.timing.settle_seconds:
        return _pending(state, services, elapsed, {"restartSeen": False})
    read_back = session.call(session.client.read_security_config).values
    rollback = bool(state.change and state.change.phase == "rollback")
    if rollback:
        snapshot = services.work.get_json(
            work_prefix(item.run_id, item.secret_arn) + CONFIG_SNAPSHOT
        )
        expected = {k: v for k, v in (snapshot or {}).items() if k in PROPERTIES}
        wrong = mismatches(read_back, expected)
        if wrong:
            raise RollbackFailed(
                f"rollback of the portal of {item.secret_arn} did not restore: "
                f"{', '.join(wrong)}; the snapshot is kept in the work bucket"
            )
        return VerifyResult(
            outcome="rolled-back",
            verified_at=time.time(),
            checks={"health": "ok", "snapshotRestored": True},
            mismatched=state.verify.mismatched if state.verify else [],
        )
    wrong = mismatches(read_back, item.security_config or {})
    if wrong:
        return VerifyResult(
            outcome="mismatch", mismatched=wrong, checks={"health": "ok", "readBackMatches": False}
        )
    return VerifyResult(
        outcome="verified",
        verified_at=time.time(),
        checks={"health": "ok", "freshTokenWorks": True, "readBackMatches": True},
    )
