"""The key regime interface and the per-run context it works in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

from ...domain.credentials import PortalCredentials
from ...portal import AdminSession, UpdateAccepted
from ...sensitive import Secret
from ..models import PortalItem
from ..services import Services, work_prefix

KeyMode = Literal["supplied", "generated", "server"]
PRE_CHANGE_KEY: Final = "pre-change-key"


@dataclass(frozen=True)
class Rotation:
    """One portal's rotation in one run: where its pending key and scratch objects live."""

    item: PortalItem
    services: Services

    @property
    def prefix(self) -> str:
        return work_prefix(self.item.run_id, self.item.secret_arn)

    def pending(self) -> PortalCredentials | None:
        """This run's AWSPENDING version, if it holds a value yet."""
        return self.services.secrets.pending(self.item.secret_arn, self.item.version_id)

    def store_pending(self, key: Secret) -> PortalCredentials:
        current = self.services.secrets.read(self.item.secret_arn).credentials
        pending = current.with_shared_key(key)
        self.services.secrets.put_pending(self.item.secret_arn, self.item.version_id, pending)
        return pending

    def pre_change_key(self) -> Secret | None:
        return self.services.work.get_secret(self.prefix + PRE_CHANGE_KEY)


@dataclass(frozen=True)
class PreparedUpdate:
    """What ApplyChange sends, or that the portal already has the new key."""

    already_applied: bool
    key: Secret | None = None


class KeyRegime(Protocol):
    @property
    def mode(self) -> KeyMode:
        """The name preflight reports (``keyMode`` in the summary)."""
        ...

    def check(self, session: AdminSession) -> None:
        """At Preflight, before anything is stored or sent: raise the named error when
        the target cannot take this regime's key (a site's token manager not BUILTIN)."""
        ...

    def prepare(self, rotation: Rotation, portal_key: Secret) -> PreparedUpdate:
        """Before the update: make the new key impossible to lose; say if it is in place."""
        ...

    def send(self, session: AdminSession, prepared: PreparedUpdate) -> UpdateAccepted:
        """POST tokens/update the way this regime's portals take it."""
        ...

    def has_changed(self, rotation: Rotation, stored_key: Secret) -> bool:
        """Whether the portal's stored key is no longer the one it had before this run."""
        ...

    def read_back(self, rotation: Rotation, portal_key: Secret) -> None:
        """After the restart: make AWSPENDING hold ``portal_key`` or raise
        ``VerificationFailed``; the pending version is then the portal's running key."""
        ...

    def failure_note(self, rotation: Rotation, update_sent: bool) -> str:
        """What a failed run leaves that only this regime knows of ("" = nothing)."""
        ...
