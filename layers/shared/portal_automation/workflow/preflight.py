"""Preflight: credentials, token, version, current state, and the plan."""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import urlsplit

from ..domain.security_config import account_creation_problem, diff
from ..domain.user_types import default_problem
from ..domain.version import PortalVersion, require_supported
from ..errors import (
    InvalidSecurityConfig,
    PendingVersionConflict,
    PortalRequestRejected,
    UnsupportedPortalVersion,
)
from ..portal import AdminSession, PortalInfo
from .portal_config import PortalConfig
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
    with services.session(creds) as session:
        info = _portal_info(session)  # the client now knows the version, too
        require_supported(info.version)
        machines, checked = discover_machines(session, creds, services, info.version)
        notes = info.version.notes()

        def result(outcome: Outcome, **extra: Any) -> PreflightResult:
            return PreflightResult(
                portal=portal_name(creds.url),
                version=str(info.version),
                build=info.build,
                next="change" if outcome == "planned" else "done",
                outcome=outcome,
                started_at=started,
                machines=machines,
                machines_checked=checked,
                post_change=steps_for(info.version, item.action),
                notes=notes,
                **extra,
            )

        if item.action == "rotate-shared-key":
            check_pending(services, item.secret_arn, item.version_id)
            key_mode = regime_for(info.version).mode
            if item.dry_run:
                return result("dry-run", key_mode=key_mode)
            return result("planned", key_mode=key_mode)
        planned = desired_for(state, services, info.version)
        desired = planned.config
        notes.extend(planned.notes)
        _check_user_type(session, desired, info.version)
        current = PortalConfig.read(session, info.version, desired).view()
        problem = account_creation_problem(desired, current)
        if problem:
            raise InvalidSecurityConfig(f"invalid securityConfig: {problem}")
        changes = [
            Change(name=c.name, current=c.current, desired=c.desired)
            for c in diff(current, desired)
        ]
        if not changes:
            return result("no-change")
        if item.dry_run:
            return result("dry-run", changes=changes)
        return result("planned", changes=changes)


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


def _portal_info(session: AdminSession) -> PortalInfo:
    try:
        return session.call(session.client.info)
    except PortalRequestRejected as exc:
        if exc.code == 404 and session.call(session.client.is_enterprise_on_kubernetes):
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
