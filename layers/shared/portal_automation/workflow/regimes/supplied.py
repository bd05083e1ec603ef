"""This project makes the key and stores it before the target sees it: portals 11.3 and
earlier (``supplied``: 32 CSPRNG bytes, base64) and ArcGIS Server sites (``server``: 43
CSPRNG characters over [A-Za-z0-9], SERVER_API.md 5), which differ only in the key."""

from __future__ import annotations

from collections.abc import Callable

from ...domain.shared_key import generate_shared_key
from ...errors import VerificationFailed
from ...portal import AdminSession, UpdateAccepted
from ...sensitive import Secret
from .base import KeyMode, PreparedUpdate, Rotation


class SuppliedKey:
    def __init__(
        self,
        mode: KeyMode = "supplied",
        generate: Callable[[], Secret] = generate_shared_key,
        target: str = "portal",
        *,
        read_key_first: bool = False,
    ) -> None:
        self.mode: KeyMode = mode
        self._generate = generate
        self._target = target
        self._read_key_first = read_key_first

    def check(self, session: AdminSession) -> None:
        """A site reads its token manager first: one that is not BUILTIN is refused
        here (``UnsupportedTokenManager``), before any key is made or stored."""
        if self._read_key_first:
            session.call(session.client.read_shared_key)

    def prepare(self, rotation: Rotation, portal_key: Secret) -> PreparedUpdate:
        key = self._pending_key(rotation)
        return PreparedUpdate(already_applied=key == portal_key, key=key)

    def send(self, session: AdminSession, prepared: PreparedUpdate) -> UpdateAccepted:
        return session.call(lambda t: session.client.update_shared_key(t, prepared.key))

    def has_changed(self, rotation: Rotation, stored_key: Secret) -> bool:
        pending = rotation.pending()
        return pending is not None and pending.shared_key == stored_key

    def read_back(self, rotation: Rotation, portal_key: Secret) -> None:
        pending = rotation.pending()
        if pending is None or pending.shared_key != portal_key:
            item = rotation.item
            raise VerificationFailed(
                f"the key the {self._target} of {item.secret_arn} reports is not the key in the "
                f"secret's AWSPENDING version {item.version_id}; AWSPENDING is not promoted"
            )

    def failure_note(self, rotation: Rotation, update_sent: bool) -> str:
        return ""  # the pending version says it all; RecordFailure settles it

    def _pending_key(self, rotation: Rotation) -> Secret:
        """The key this run installs: the AWSPENDING version's, created once per run."""
        item, store = rotation.item, rotation.services.secrets
        if store.pending_version_id(item.secret_arn) == item.version_id:
            pending = rotation.pending()
            if pending is not None and pending.shared_key is not None:
                return pending.shared_key
        key = self._generate()
        rotation.store_pending(key)
        return key
