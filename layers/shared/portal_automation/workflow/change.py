"""The task that changes the portal. Never retried blindly: it first checks whether the
change already happened (a crash, a timeout or a duplicate invocation after the update
was accepted must not update twice or restart the portal twice).

Rotation: the portal version's key regime (``regimes/``) makes sure the new key cannot
be lost before anything is sent, and tells whether the portal has it already.

Before the update, a long-lived "probe" token is made with the old key and kept in the
work store: after the restart it must be rejected, which proves that the process now
answering runs with the new key (health alone cannot: the old process may still answer
for a while after the update).
"""

from __future__ import annotations

import math
import time
from typing import Final

from ..domain.version import PortalVersion
from ..errors import (
    ChangeNotApplied,
    InvalidExecutionInput,
    PortalAnswerTooLarge,
    PortalUnavailable,
    TokenLifetimeTooShort,
)
from ..portal import AdminSession, UpdateAccepted
from .locks import MAX_RECHECK_SECONDS
from .models import PortalItem
from .portal_config import Document, PortalConfig, post
from .regimes import Rotation, regime_named
from .regimes.base import PRE_CHANGE_KEY
from .restart_wait import max_restart_seconds
from .run_record import desired_for
from .services import Services, work_prefix
from .state import ChangeResult, PortalState

MAX_ATTEMPTS: Final = 2
PROBE_TOKEN: Final = "probe-token"  # noqa: S105 - an object name, not a token
CONFIG_SNAPSHOT: Final = "config-snapshot.json"
_PROBE_MARGIN_SECONDS: Final = 900
_PROBE_SLACK_SECONDS: Final = 60
# An update whose answer never came whole (unreachable, cut by the call's deadline or
# size cap): it may have landed, so its outcome is unknown, never "rejected".
_NO_ANSWER: Final = (PortalUnavailable, PortalAnswerTooLarge)

__all__ = ["CONFIG_SNAPSHOT", "PRE_CHANGE_KEY", "PROBE_TOKEN", "apply_change", "recheck_seconds"]


def apply_change(state: PortalState, services: Services) -> ChangeResult:
    item = state.item
    attempts = services.ledger.record_attempt(item.secret_arn, item.run_id)
    if attempts > MAX_ATTEMPTS:
        raise ChangeNotApplied(
            f"the portal of {item.secret_arn} still has its old state after "
            f"{MAX_ATTEMPTS} attempts; giving up"
        )
    creds = services.secrets.read(item.secret_arn).credentials
    with services.session(creds, portal_version(state)) as session:
        if item.action == "rotate-shared-key":
            return _rotate(state, session, services, attempts)
        return _apply_config(state, session, services, attempts)


def _rotate(
    state: PortalState, session: AdminSession, services: Services, attempts: int
) -> ChangeResult:
    item = state.item
    regime = regime_named(state.preflight.key_mode if state.preflight else None)
    rotation = Rotation(item, services)
    prepared = regime.prepare(rotation, session.call(session.client.read_shared_key))
    if prepared.already_applied:
        return _result(item, "already-applied", attempts)
    _store_probe_token(state, session, services, rotation.prefix)
    try:
        accepted = regime.send(session, prepared)
    except _NO_ANSWER:
        return _result(item, "unknown", attempts)
    return _result(item, "accepted", attempts, accepted)


def _store_probe_token(
    state: PortalState, session: AdminSession, services: Services, prefix: str
) -> None:
    """The probe outlives the wait's bound, or nothing is sent: a probe that expired
    would be refused (498) whatever key the target runs, and prove nothing. A target
    may issue shorter tokens than asked (a site caps them at its ``longTimeout``)."""
    item = state.item
    minutes = math.ceil((item.timing.max_restart_seconds + _PROBE_MARGIN_SECONDS) / 60)
    probe = session.issue_token(minutes)
    bound = max_restart_seconds(state, services)
    if probe.expires_at.timestamp() < time.time() + bound + _PROBE_SLACK_SECONDS:
        issued = max(0, round((probe.expires_at.timestamp() - time.time()) / 60))
        raise TokenLifetimeTooShort(
            f"the target of {item.secret_arn} issued a token for {issued} min where "
            f"{minutes} were asked: it could expire before the restart's bound of {bound} s "
            "and then prove nothing about the new key; nothing was sent. Lower "
            "maxRestartSeconds, or let the target issue longer tokens (a site: its token "
            "manager's longTimeout)"
        )
    services.work.put_secret(prefix + PROBE_TOKEN, probe.value)


def _apply_config(
    state: PortalState, session: AdminSession, services: Services, attempts: int
) -> ChangeResult:
    item = state.item
    version = portal_version(state)
    snapshot_key = work_prefix(item.run_id, item.secret_arn) + CONFIG_SNAPSHOT
    desired = desired_for(state, services, version).config
    current = PortalConfig.read(session, version, desired)
    if services.work.get_json(snapshot_key) is None:
        services.work.put_json(snapshot_key, current.snapshot())
    documents = current.updates(desired, version)
    if not documents:
        return _result(item, "already-applied", attempts, posted=[])
    try:
        accepted = post(session, documents)
    except _NO_ANSWER:
        return _result(item, "unknown", attempts, posted=list(documents))
    return _result(item, "accepted", attempts, accepted, posted=list(documents))


def portal_version(state: PortalState) -> PortalVersion:
    """The version Preflight read (every step after it works with that portal)."""
    if state.preflight is None:
        raise InvalidExecutionInput("step input has no preflight result")
    return PortalVersion.parse(state.preflight.version)


def _result(
    item: PortalItem,
    outcome: str,
    attempts: int,
    accepted: UpdateAccepted | None = None,
    *,
    posted: list[Document] | None = None,
) -> ChangeResult:
    return ChangeResult.model_validate(
        {
            "outcome": outcome,
            "attempts": attempts,
            "changedAt": time.time(),
            "recheckSeconds": recheck_seconds(item, accepted),
            "posted": posted,
        }
    )


def recheck_seconds(item: PortalItem, accepted: UpdateAccepted | None) -> int:
    """The first Wait: the input's override, else what the portal asked for, at most
    ``MAX_RECHECK_SECONDS`` (a portal's answer is input: the wait must stay shorter than
    the lock, and the health windows after it see the restart anyway)."""
    if item.timing.recheck_seconds is not None:
        return item.timing.recheck_seconds
    asked = accepted.recheck_after_seconds if accepted else 0
    return max(0, min(asked, MAX_RECHECK_SECONDS))
