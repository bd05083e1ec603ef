"""Prove the change took effect, not just that the portal answers.

Rotation: health OK, the probe token made before the update is now rejected (the
process answering runs with the new key), a fresh token works, and the key the portal
reports is the one in AWSPENDING (11.3-) or a new one, which is then stored as
AWSPENDING (11.4+). Configuration: health OK, the restart seen (or ``settleSeconds``
passed), and the read-back matches what was asked (or, after a rollback, the snapshot).
An HA portal is verified on each machine directly (``targets``), with fresh tokens the
portal's URL issues; a token service still warming up, or a machine that refuses the
portal's fresh token (the machines run different keys for now), is "not ready", not a
failure.
Once proven, the steps Preflight chose for the portal's version run (``post_change``:
on 10.7, the licenses are populated again).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ..domain.credentials import PortalCredentials
from ..domain.security_config import mismatches
from ..errors import (
    PortalAuthFailed,
    PortalBadResponse,
    PortalUnavailable,
    RollbackFailed,
)
from ..portal import AdminSession, PortalToken
from ..sensitive import Secret
from .change import CONFIG_SNAPSHOT, PROBE_TOKEN, portal_version
from .portal_config import SECURITY_CONFIG, PortalConfig
from .post_change import PostChangeReport, run_post_change
from .regimes import KeyRegime, Rotation, regime_named
from .restart_wait import (
    max_restart_seconds,
    raise_timeout,
    restart_origin,
    went_down_since_change,
)
from .run_record import desired_for
from .services import Services, work_prefix
from .state import PortalState, VerifyResult
from .targets import Target, reach

_REJECTED = frozenset({498, 499})
_NOT_READY = (PortalUnavailable, PortalBadResponse)  # a token service still warming up
Proof = tuple[Literal["verified", "pending", "not-applied"], dict[str, Any]]
Proofs = list[tuple[Target, Proof]]


def verify(state: PortalState, services: Services) -> VerifyResult:
    item = state.item
    elapsed = time.time() - restart_origin(state)
    creds = services.secrets.read(item.secret_arn).credentials
    if item.action == "rotate-shared-key":
        return _verify_key(state, services, creds, elapsed)
    return _verify_config(state, services, creds, elapsed)


def _pending(
    state: PortalState,
    services: Services,
    elapsed: float,
    checks: dict[str, Any],
    machines: dict[str, dict[str, Any]] | None = None,
) -> VerifyResult:
    if elapsed >= max_restart_seconds(state, services):
        raise_timeout(state, services, elapsed)
    earlier = state.verify.mismatched if state.verify else []
    return VerifyResult(
        outcome="restart-pending", checks=checks, mismatched=earlier, machines=machines or {}
    )


def _combine(
    state: PortalState, services: Services, elapsed: float, proofs: Proofs
) -> VerifyResult | None:
    """restart-pending (or not-applied) unless every target proved the change; None then."""
    for _, (outcome, checks) in proofs:
        if outcome == "not-applied":
            return VerifyResult(outcome="not-applied", checks=checks)
    machines = {t.name: checks for t, (_, checks) in proofs if t.is_machine}
    pending = [checks for _, (outcome, checks) in proofs if outcome == "pending"]
    if pending:
        return _pending(state, services, elapsed, pending[0], machines)
    return None


def _verified(
    proofs: Proofs, extra: dict[str, Any] | None = None, after: PostChangeReport | None = None
) -> VerifyResult:
    first = proofs[0][1][1]
    machines = {t.name: checks for t, (_, checks) in proofs if t.is_machine}
    return VerifyResult(
        outcome="verified",
        verified_at=time.time(),
        checks={**first, **(extra or {}), **(after.checks if after else {})},
        machines=machines,
        warnings=list(after.warnings) if after else [],
    )


# --- the shared key ----------------------------------------------------------------------


def _verify_key(
    state: PortalState, services: Services, creds: PortalCredentials, elapsed: float
) -> VerifyResult:
    rotation = Rotation(state.item, services)
    regime = regime_named(state.preflight.key_mode if state.preflight else None)
    unknown = bool(state.change and state.change.outcome == "unknown")
    probe = services.work.get_secret(rotation.prefix + PROBE_TOKEN)
    if probe is None and unknown:
        # The probe is stored before the update is sent: without it, nothing was sent.
        return VerifyResult(outcome="not-applied", checks={"updateSent": False})
    proofs: Proofs = []
    with ExitStack() as stack:
        for target, session in reach(state, creds, services, stack):
            proof = _prove_key(
                state,
                services,
                session,
                rotation,
                regime=regime,
                probe_value=probe,
                elapsed=elapsed,
                machine=target.is_machine,
            )
            proofs.append((target, proof))
    undecided = _combine(state, services, elapsed, proofs)
    if undecided is not None:
        return undecided
    return _verified(proofs, after=run_post_change(state, services, creds))


def _prove_key(
    state: PortalState,
    services: Services,
    session: AdminSession,
    rotation: Rotation,
    *,
    regime: KeyRegime,
    probe_value: Secret | None,
    elapsed: float,
    machine: bool,
) -> Proof:
    if not session.client.health().ready:
        return "pending", {"health": "not ready"}
    if probe_value is not None:
        probe = PortalToken(
            probe_value, datetime.now(UTC) + timedelta(hours=1), True, session.client.referer
        )
        try:
            still_stored = session.client.read_shared_key(probe)
        except PortalAuthFailed as exc:
            if exc.code not in _REJECTED:
                raise
        except _NOT_READY:
            return "pending", {"portal": "not ready"}
        else:
            unknown = bool(state.change and state.change.outcome == "unknown")
            if (
                unknown
                and elapsed >= in_flight_grace(services)
                and not regime.has_changed(rotation, still_stored)
            ):
                return "not-applied", {"oldTokenRejected": False}
            return "pending", {"oldTokenRejected": False}
    try:
        fresh = session.fresh_token()
        session.client.info(fresh)
        portal_key = session.client.read_shared_key(fresh)
    except _NOT_READY:
        return "pending", {"tokenService": "not ready"}
    except PortalAuthFailed as exc:
        if not (machine and exc.code in _REJECTED):
            raise
        return "pending", {"freshTokenWorks": False}  # issued by a machine on another key
    regime.read_back(rotation, portal_key)
    return "verified", {
        "health": "ok",
        "oldTokenRejected": probe_value is not None,
        "freshTokenWorks": True,
        "keyMatchesSecret": True,
    }


def in_flight_grace(services: Services) -> float:
    """How long an unanswered update may still land: only then is "not applied" decided."""
    return 2 * services.read_timeout_seconds


# --- the security configuration --------------------------------------------------------


def _verify_config(
    state: PortalState, services: Services, creds: PortalCredentials, elapsed: float
) -> VerifyResult:
    item = state.item
    posted = state.change.posted if state.change else None
    restarts = posted is None or SECURITY_CONFIG in posted  # user defaults apply at once
    rollback = bool(state.change and state.change.phase == "rollback")
    snapshot_key = work_prefix(item.run_id, item.secret_arn) + CONFIG_SNAPSHOT
    version = portal_version(state)
    if rollback:
        snapshot = services.work.get_json(snapshot_key)
        if not isinstance(snapshot, dict):
            raise RollbackFailed(f"no configuration snapshot for {item.secret_arn}")
        expected = PortalConfig.from_snapshot(snapshot).view()
    else:
        expected = desired_for(state, services, version).config
    unknown = not rollback and bool(state.change and state.change.outcome == "unknown")
    before: dict[str, Any] | None = None
    if unknown:
        stored = services.work.get_json(snapshot_key)
        if not isinstance(stored, dict):
            # The snapshot is stored before the update is sent: without it, nothing was.
            return VerifyResult(outcome="not-applied", checks={"updateSent": False})
        before = PortalConfig.from_snapshot(stored).view()
    proofs: Proofs = []
    wrong: set[str] = set()
    unchanged = True
    with ExitStack() as stack:
        for target, session in reach(state, creds, services, stack):
            proof, read_back = _read_back(
                state, session, target, restarts, elapsed, expected=expected
            )
            proofs.append((target, proof))
            if read_back is None:
                continue
            wrong.update(mismatches(read_back, expected))
            if before is not None:
                unchanged &= not mismatches(read_back, {k: before[k] for k in wrong if k in before})
    undecided = _combine(state, services, elapsed, proofs)
    if undecided is not None:
        return undecided
    if wrong and before is not None and unchanged:
        # An unanswered update that changed nothing it was sent to change: it may still
        # land (a config update can block past 100 s and then apply: PORTAL_API.md 6b),
        # so it is waited for as long as a restart may take; only then is it "not
        # applied" (sent again), never a mismatch to roll back, never "rejected".
        if elapsed < max_restart_seconds(state, services):
            return _pending(state, services, elapsed, {"updateLanded": False})
        return VerifyResult(outcome="not-applied", checks={"readBackMatchesSnapshot": True})
    if rollback:
        if wrong:
            raise RollbackFailed(
                f"rollback of the portal of {item.secret_arn} did not restore: "
                f"{', '.join(sorted(wrong))}; the snapshot is kept in the work bucket"
            )
        result = _verified(proofs, {"snapshotRestored": True})
        return result.model_copy(
            update={
                "outcome": "rolled-back",
                "mismatched": state.verify.mismatched if state.verify else [],
            }
        )
    if wrong:
        return VerifyResult(
            outcome="mismatch",
            mismatched=sorted(wrong, key=list(expected).index),
            checks={"health": "ok", "readBackMatches": False},
        )
    return _verified(proofs, {"readBackMatches": True}, run_post_change(state, services, creds))


def _read_back(
    state: PortalState,
    session: AdminSession,
    target: Target,
    restarts: bool,
    elapsed: float,
    *,
    expected: dict[str, Any],
) -> tuple[Proof, dict[str, Any] | None]:
    if not session.client.health().ready:
        return ("pending", {"health": "not ready"}), None
    machine = target.name if target.is_machine else None
    seen = went_down_since_change(state, machine)
    if restarts and not seen and elapsed < state.item.timing.settle_seconds:
        return ("pending", {"restartSeen": False}), None
    try:
        read_back = PortalConfig.read(session, portal_version(state), expected).view()
    except _NOT_READY:
        return ("pending", {"tokenService": "not ready"}), None
    except PortalAuthFailed as exc:
        if not (target.is_machine and exc.code in _REJECTED):
            raise
        return ("pending", {"freshTokenWorks": False}), None
    return ("verified", {"health": "ok", "freshTokenWorks": True}), read_back
