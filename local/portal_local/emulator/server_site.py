"""The state of one emulated ArcGIS Server site: its config store, shared by its machines.

The config store holds the token manager configuration (``{"type": "BUILTIN",
"properties": {"sharedKey": ..., "longTimeout": ..., "shortTimeout": ...}}``), the users
and the tokens issued. Every machine of the site reads the key from there (Esri: the
machines of a site share the configuration store); each runs the key it loaded, and a
token is accepted by a machine only while it runs the key the token was signed with
(a token signed with another key "could not be decrypted").

An accepted ``security/tokens/update`` replaces the whole configuration (a property left
out falls back to its factory value) and, as ``key_update_restarts`` says, either every
machine runs the new key at once, or each machine restarts and runs it once it is back:

    up --accepted update--> lag (serves normally, old key) --restart_lag_seconds
    (+ restart_stagger_seconds x (N-1) for machine N)--> down --restart_seconds--> up
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from typing import Any

from portal_local.emulator.faults import FaultRegistry
from portal_local.emulator.machine import Machine, RunningState
from portal_local.emulator.server_settings import (
    BUILTIN,
    DEFAULT_TOKEN_PROPERTIES,
    ServerSettings,
)
from portal_local.emulator.shared_key import fingerprint
from portal_local.emulator.site import Site
from portal_local.emulator.users import User

SERVER_ADMIN_PORT = 6443


def server_machine_name(number: int, context: str) -> str:
    """``SERVER-1.<CONTEXT>.INTERNAL.INVALID``: the upper-case host name a site lists
    (as Esri's examples do), its own to each site, that never resolves."""
    return f"SERVER-{number}.{context.replace('/', '-')}.internal.invalid".upper()


class ServerSite(Site):
    kind = "server"

    def __init__(
        self,
        settings: ServerSettings,
        faults: FaultRegistry,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        users = [
            User(settings.admin_username, settings.admin_password, True),
            User(settings.publisher_username, settings.publisher_password, False),
        ]
        super().__init__(settings, faults, users, clock)
        self.settings: ServerSettings = settings
        # The key tokens are signed with: the sharedKey of a BUILTIN manager; another
        # manager's own (never shown).
        self._signing_key = settings.initial_shared_key or secrets.token_urlsafe(24)
        properties: dict[str, Any] = {**DEFAULT_TOKEN_PROPERTIES}
        properties.update(copy.deepcopy(dict(settings.initial_token_properties)))
        if settings.token_manager_type == BUILTIN:
            properties["sharedKey"] = self._signing_key
        self._config: dict[str, Any] = {
            "type": settings.token_manager_type,
            "properties": properties,
        }
        self._saw_key(self._signing_key)
        initial = self._stored_state()
        self._machines = [
            self._new_machine(number, initial) for number in range(1, settings.machines + 1)
        ]

    def _new_machine(self, number: int, initial: RunningState) -> Machine[ServerSite]:
        name = server_machine_name(number, self.context)
        admin_url = f"https://{name}:{SERVER_ADMIN_PORT}/arcgis/admin"
        return Machine(
            self, number, "peer", initial, self._stored_state, name=name, admin_url=admin_url
        )

    def admin_url_at(self, base_url: str) -> str:
        """A server machine is listed with its Administrator Directory's URL."""
        return f"{base_url}/admin"

    # ---- read-only state ----

    @property
    def token_manager_config(self) -> dict[str, Any]:
        """A copy of the stored token manager configuration (the key in clear)."""
        with self.lock:
            self.refresh()
            return copy.deepcopy(self._config)

    @property
    def restart_count(self) -> int:
        """Restarts that have begun, every machine."""
        return sum(m.restart_count for m in self.machines)

    def summary(self) -> dict[str, Any]:
        """State without any key, token or password value (for the control API)."""
        with self.lock:
            self.refresh()
            return {
                "kind": self.kind,
                "context": self.context,
                "version": self.version,
                "phase": self.phase,
                "is_restarting": self.is_restarting,
                "restart_count": self.restart_count,
                "pending_restarts": self.pending_restarts,
                "update_count": self._update_count,
                "token_manager_type": self._config["type"],
                "stored_shared_key_fingerprint": fingerprint(self._signing_key),
                "key_update_restarts": self.settings.key_update_restarts,
                "down_mode": self.settings.down_mode,
                "machines": [m.summary() for m in self._machines],
            }

    # ---- operations used by the endpoints ----

    def store_token_manager_config(self, config: dict[str, Any]) -> None:
        """An accepted security/tokens/update (``config`` already checked): the whole
        configuration is replaced, and the machines run the new key (see the module)."""
        with self.lock:
            self.refresh()
            self._config = copy.deepcopy(config)
            key = config["properties"].get("sharedKey")
            if isinstance(key, str) and key:
                self._signing_key = key
                self._saw_key(key)
            self._update_count += 1
            if not self.settings.key_update_restarts:
                for machine in self._machines:
                    machine.run_now(self._stored_state())
                return
            for index, machine in enumerate(self._machines):
                lag = self.settings.restart_lag_seconds
                lag += index * self.settings.restart_stagger_seconds
                machine.request_restart(self._clock() + lag, queued_lag=lag)

    # ---- helpers for tests ----

    def set_shared_key(self, key: str) -> None:
        """Put ``key`` in the store and in every running machine at once, no restart."""
        with self.lock:
            self.refresh()
            self._signing_key = key
            if self._config["type"] == BUILTIN:
                self._config["properties"]["sharedKey"] = key
            self._saw_key(key)
            for machine in self._machines:
                machine.run_now(self._stored_state())

    # ---- used by the machines (the lock held) ----

    def refresh(self) -> None:
        """Bring every machine's restart lifecycle up to now (each restarts on its own)."""
        with self.lock:
            now = self._clock()
            for machine in self._machines:
                machine.advance(now)

    def _key_in_store(self) -> str:
        return self._signing_key

    def _stored_state(self) -> RunningState:
        key = self._signing_key
        return RunningState(key, self._key_id(key), {})
