"""Roll a configuration change back to the snapshot taken before it."""

from __future__ import annotations

import time

from ..errors import RollbackFailed
from .change import CONFIG_SNAPSHOT, portal_version, recheck_seconds
from .portal_config import PortalConfig, post
from .services import Services, work_prefix
from .state import ChangeResult, PortalState


def rollback_config(state: PortalState, services: Services) -> ChangeResult:
    item = state.item
    snapshot = services.work.get_json(work_prefix(item.run_id, item.secret_arn) + CONFIG_SNAPSHOT)
    if not isinstance(snapshot, dict):
        raise RollbackFailed(f"no configuration snapshot for {item.secret_arn}; cannot roll back")
    # Reading the snapshot registers its LDAP password and trust key with the redactor
    # before they are posted: a portal error that echoes them must not carry them on.
    # Only the documents the change posted go back (None: unknown, so all of them).
    posted = state.change.posted if state.change else None
    documents = PortalConfig.from_snapshot(snapshot).documents(posted)
    creds = services.secrets.read(item.secret_arn).credentials
    with services.session(creds, portal_version(state)) as session:
        accepted = post(session, documents)
    return ChangeResult(
        phase="rollback",
        outcome="accepted",
        attempts=state.change.attempts if state.change else 1,
        changed_at=time.time(),
        recheck_seconds=recheck_seconds(item, accepted),
        posted=list(documents),
    )
