"""11.4 and later: the portal makes a new key on every update; it is read back after.

PORTAL_API.md leaves open whether 11.4+ ignores or rejects a supplied key: the
documented form (with a key) is sent first, and the form without one when the portal
refuses it (400), which it does before changing anything.
"""

from __future__ import annotations

from typing import Final, Literal

from ...domain.shared_key import generate_shared_key
from ...errors import PortalRequestRejected, VerificationFailed
from ...portal import AdminSession, UpdateAccepted
from ...sensitive import Secret
from .base import PRE_CHANGE_KEY, PreparedUpdate, Rotation


class GeneratedKey:
    mode: Final[Literal["generated"]] = "generated"

    def check(self, session: AdminSession) -> None:
        pass  # a portal that generates its key takes any update

    def prepare(self, rotation: Rotation, portal_key: Secret) -> PreparedUpdate:
        before = rotation.pre_change_key()
        if before is None:
            rotation.services.work.put_secret(rotation.prefix + PRE_CHANGE_KEY, portal_key)
            return PreparedUpdate(already_applied=False)
        return PreparedUpdate(already_applied=before != portal_key)

    def send(self, session: AdminSession, prepared: PreparedUpdate) -> UpdateAccepted:
        try:
            return session.call(
                lambda t: session.client.update_shared_key(t, generate_shared_key())
            )
        except PortalRequestRejected as exc:
            if exc.code != 400:
                raise
        return session.call(lambda t: session.client.update_shared_key(t, None))

    def has_changed(self, rotation: Rotation, stored_key: Secret) -> bool:
        before = rotation.pre_change_key()
        return before is None or before != stored_key

    def read_back(self, rotation: Rotation, portal_key: Secret) -> None:
        item = rotation.item
        before = rotation.pre_change_key()
        if before is not None and before == portal_key:
            raise VerificationFailed(
                f"the portal of {item.secret_arn} restarted but still reports its old key"
            )
        pending = rotation.pending() or rotation.store_pending(portal_key)
        if pending.shared_key != portal_key:
            raise VerificationFailed(
                f"the key the portal of {item.secret_arn} reports is not the key in the "
                f"secret's AWSPENDING version {item.version_id}; AWSPENDING is not promoted"
            )

    def failure_note(self, rotation: Rotation, update_sent: bool) -> str:
        if not update_sent or rotation.pending() is not None:
            return ""
        return (
            "the portal may have generated a new key that no secret version holds (it was "
            "to be read back after the restart); the secret keeps the previous key. Once "
            "the portal is back, the next rotation reads the portal's key back "
            "(runbook: 'Generated key not read back')"
        )
