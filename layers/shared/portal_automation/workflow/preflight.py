"""Preflight: credentials, token, version, machines, current state, the plan, and the
portal's lock (taken last, once nothing can fail before the change: FAULTS row 47)."""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import urlsplit

from ..domain.kinds import TargetKind
from ..domain.security_config import account_creation_problem, diff
from ..domain.user_types import default_problem
from ..domain.version import PortalVersion
from ..errors import (
    InvalidExecutionInput,
    InvalidSecurityConfig,
    PendingVersionConflict,
    PortalRequestRejected,
    UnsupportedPortalVersion,
)
from ..portal import AdminSession, PortalInfo
from ..printable import printable
from .portal_config import PortalConfig
from .portal_lock import identity, lock_portal
from .post_change import steps_for
from .regimes import regime_for
from .run_record import desired_for
from .services import Services
from .state import Change, PortalState, PreflightResult
from .targets import discover_machines

Outcome = Literal["planned", "no-change", "dry-run"]


def preflight(state: PortalState, services: Services) -> PreflightResult:
    item = state.item
    started = time.time()
    if not item.dry_run:
        # First, before the portal is contacted: a second run on the same secret is
        # refused at once, whatever state the first one has put the portal in.
        services.ledger.acquire(item.secret_arn, item.run_id)
    creds = services.secrets.read(item.secret_arn).credentials
    kind = creds.kind
    if item.action not in kind.actions:
        raise InvalidExecutionInput(
            f'secret {item.secret_arn} names an {kind.noun} ("kind": "{kind.name}"): '
            f"{item.action} applies to portals only; nothing was changed"
        )
    with services.session(creds) as session:
        info = _target_info(session, kind)  # the client now knows the version, too
        kind.require_supported(info.version)
        found = discover_machines(session, creds, services)
        outcome, plan = _plan(state, services, session, info, kind)
    # The portal itself is locked last, once nothing before the change can fail: a
    # failed Preflight holds no lock that RecordFailure could not name.
    locks = [] if item.dry_run else lock_portal(services, item, identity(found.names, creds.url))
    return PreflightResult(
        kind=kind.name,
        portal=portal_name(creds.url),
        version=str(info.version),
        build=info.build,
        next="change" if outcome == "planned" else "done",
        outcome=outcome,
        started_at=started,
        machines=found.machines,
        machines_checked=found.checked,
        unchecked=found.unchecked,
        post_change=steps_for(info.version, item.action, kind),
        locks=locks,
        **plan,
    )


def _plan(
    state: PortalState,
    services: Services,
    session: AdminSession,
    info: PortalInfo,
    kind: TargetKind,
) -> tuple[Outcome, dict[str, Any]]:
    """What this run would change, whether it changes it (the outcome), and the notes
    the summary carries (what the version and the desired config mean here)."""
    item = state.item
    notes = kind.version_notes(info.version)
    if item.action == "rotate-shared-key":
        check_pending(services, item.secret_arn, item.version_id)
        regime = regime_for(info.version, kind.name)
        regime.check(session)
        key_mode = regime.mode
        return ("dry-run" if item.dry_run else "planned"), {"key_mode": key_mode, "notes": notes}
    planned = desired_for(state, services, info.version)
    desired = planned.config
    notes.extend(planned.notes)
    _check_user_type(session, desired, info.version)
    current = PortalConfig.read(session, info.version, desired).view()
    problem = account_creation_problem(desired, current)
    if problem:
        raise InvalidSecurityConfig(f"invalid securityConfig: {problem}")
    changes = [
        # The current value is the portal's text: it reaches the report printable.
        Change(name=c.name, current=_printable(c.current), desired=c.desired)
        for c in diff(current, desired)
    ]
    if not changes:
        return "no-change", {"notes": notes}
    return ("dry-run" if item.dry_run else "planned"), {"changes": changes, "notes": notes}


def _printable(value: Any) -> Any:
    return printable(value) if isinstance(value, str) else value


def _check_user_type(
    session: AdminSession, desired: dict[str, Any], version: PortalVersion
) -> None:
    """From 11.4 a default user type must be one the portal lists and not a retired one
    (PORTAL_API.md 6c); below 11.4 ``desired_for`` checked it against the known list."""
    user_type = desired.get("defaultUserTypeIdForUser")
    if not isinstance(user_type, str) or not version.lists_user_types:
        return
    listed = session.call(session.client.license_user_types)
    problem = default_problem(user_type, version, listed)
    if problem:
        raise InvalidSecurityConfig(f"invalid securityConfig: {problem}")


def _target_info(session: AdminSession, kind: TargetKind) -> PortalInfo:
    try:
        return session.call(session.client.info)
    except PortalRequestRejected as exc:
        kubernetes = kind.may_be_kubernetes and exc.code == 404
        if kubernetes and session.call(session.client.is_enterprise_on_kubernetes):
            raise UnsupportedPortalVersion(
                "the portal is ArcGIS Enterprise on Kubernetes: it has no portaladmin API "
                "and no security/tokens to rotate; this project manages ArcGIS "
                "Enterprise portals only (PORTAL_API.md 7c)"
            ) from None
        raise


def check_pending(services: Services, secret_arn: str, version_id: str) -> None:
    """FAULTS row 14: a leftover AWSPENDING from another run is never overwritten."""
    pending = services.secrets.pending_version_id(secret_arn)
    if pending is None or pending == version_id:
        return
    raise PendingVersionConflict(
        f"secret {secret_arn} has an AWSPENDING version ({pending}) left by an earlier "
        "run; nothing was changed. See the README runbook 'Leftover AWSPENDING'"
    )


def portal_name(url: str) -> str:
    """The portal's URL without scheme noise; not secret (credentials are not in it)."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"
