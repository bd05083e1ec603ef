"""Preflight: credentials, token, version, current state, and the plan."""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import urlsplit

from ..domain.security_config import diff, validate_desired
from ..domain.version import require_supported
from ..errors import PendingVersionConflict
from .regimes import regime_for
from .services import Services
from .state import Change, PortalState, PreflightResult

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
        info = session.call(session.client.info)
        require_supported(info.version)

        def result(outcome: Outcome, **extra: Any) -> PreflightResult:
            return PreflightResult(
                portal=portal_name(creds.url),
                version=str(info.version),
                build=info.build,
                next="change" if outcome == "planned" else "done",
                outcome=outcome,
                started_at=started,
                **extra,
            )

        if item.action == "rotate-shared-key":
            check_pending(services, item.secret_arn, item.version_id)
            key_mode = regime_for(info.version).mode
            if item.dry_run:
                return result("dry-run", key_mode=key_mode)
            return result("planned", key_mode=key_mode)
        desired = validate_desired(item.security_config, info.version)
        current = session.call(session.client.read_security_config)
        changes = [
            Change(name=c.name, current=c.current, desired=c.desired)
            for c in diff(current.values, desired)
        ]
        if not changes:
            return result("no-change")
        if item.dry_run:
            return result("dry-run", changes=changes)
        return result("planned", changes=changes)


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
