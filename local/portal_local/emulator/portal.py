"""The state of one emulated portal: users, keys, tokens, security config, restarts.

Restart lifecycle, driven by the clock and evaluated whenever the state is read:

    up --accepted update--> lag (serves normally, old key) --restart_lag_seconds-->
    down (restarting) --restart_seconds--> up with the stored key and config running

An update accepted during the lag queues one more restart, which follows the running
one (each restart is counted when it goes down). A ``restart_forever`` fault holds a
restart down until the fault is removed.
"""

from __future__ import annotations

import copy
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from portal_local.emulator.faults import Fault, FaultRegistry
from portal_local.emulator.security_config import initial_config
from portal_local.emulator.settings import PortalSettings
from portal_local.emulator.shared_key import fingerprint, generate_shared_key
from portal_local.emulator.tokens import ClientType, Token, TokenStore

Phase = Literal["up", "lag", "down"]


@dataclass(frozen=True)
class User:
    username: str
    password: str
    is_admin: bool


class Portal:
    def __init__(
        self,
        settings: PortalSettings,
        faults: FaultRegistry,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._faults = faults
        self._clock = clock
        self._lock = threading.RLock()
        self._users = {
            settings.admin_username: User(settings.admin_username, settings.admin_password, True),
            settings.viewer_username: User(
                settings.viewer_username, settings.viewer_password, False
            ),
        }
        key = settings.initial_shared_key or generate_shared_key()
        self._running_key = key
        self._stored_key = key
        self._stored_config = initial_config(
            settings.version_tuple, settings.initial_security_config
        )
        self._running_config = copy.deepcopy(self._stored_config)
        self._tokens = TokenStore()
        self._keys_seen: list[str] = [key]
        self._came_up_at: float | None = None
        self._key_generation = 1
        self._update_count = 0
        self._restart_count = 0
        self._phase: Phase = "up"
        self._phase_ends = 0.0
        self._pending_restarts = 0
        self._held_by: Fault | None = None
        self._licenses_need_populate = False

    # ---- read-only state (each read first brings the restart lifecycle up to date) ----

    @property
    def context(self) -> str:
        return self.settings.context

    @property
    def version(self) -> str:
        """The full version the admin root reports, e.g. ``"11.3.0"``."""
        return self.settings.full_version

    @property
    def shared_key(self) -> str:
        """The key the running portal signs and checks tokens with."""
        with self._lock:
            self._advance()
            return self._running_key

    @property
    def came_up_at(self) -> float | None:
        """Epoch seconds when the last restart ended (None: never restarted)."""
        with self._lock:
            self._advance()
            return self._came_up_at

    def secret_values_seen(self) -> list[str]:
        """Every shared key and token this portal ever had or issued (for leak searches)."""
        with self._lock:
            return [*self._keys_seen, *self._tokens.issued]

    @property
    def stored_shared_key(self) -> str:
        """The key in the config store (what security/tokens answers)."""
        with self._lock:
            self._advance()
            return self._stored_key

    @property
    def security_config(self) -> dict[str, Any]:
        """A copy of the stored configuration (what security/config answers)."""
        with self._lock:
            self._advance()
            return copy.deepcopy(self._stored_config)

    @property
    def running_security_config(self) -> dict[str, Any]:
        """A copy of the configuration the running process uses."""
        with self._lock:
            self._advance()
            return copy.deepcopy(self._running_config)

    @property
    def update_count(self) -> int:
        """Accepted tokens/update and security/config/update calls."""
        with self._lock:
            return self._update_count

    @property
    def restart_count(self) -> int:
        """Restarts that have begun (the portal went down)."""
        with self._lock:
            self._advance()
            return self._restart_count

    @property
    def phase(self) -> Phase:
        with self._lock:
            self._advance()
            return self._phase

    @property
    def is_restarting(self) -> bool:
        """True while down (not during the lag, when the old process still answers)."""
        return self.phase == "down"

    @property
    def pending_restarts(self) -> int:
        """Restarts scheduled but not begun (the one in its lag included)."""
        with self._lock:
            self._advance()
            return self._pending_restarts + (1 if self._phase == "lag" else 0)

    @property
    def token_key_generation(self) -> int:
        """Bumped each time the running key changes; tokens of older generations are dead."""
        with self._lock:
            self._advance()
            return self._key_generation

    @property
    def licenses_need_populate(self) -> bool:
        """10.7 only: a key change leaves licenses to be populated again."""
        with self._lock:
            return self._licenses_need_populate

    @property
    def token_count(self) -> int:
        with self._lock:
            return len(self._tokens)

    def summary(self) -> dict[str, Any]:
        """State without any key, token or password value (for the control API)."""
        with self._lock:
            self._advance()
            return {
                "context": self.context,
                "version": self.version,
                "phase": self._phase,
                "is_restarting": self._phase == "down",
                "restart_count": self._restart_count,
                "pending_restarts": self._pending_restarts + int(self._phase == "lag"),
                "update_count": self._update_count,
                "token_key_generation": self._key_generation,
                "licenses_need_populate": self._licenses_need_populate,
                "shared_key_fingerprint": fingerprint(self._running_key),
                "stored_shared_key_fingerprint": fingerprint(self._stored_key),
                "down_mode": self.settings.down_mode,
            }

    # ---- operations used by the endpoints ----

    def authenticate(self, username: str, password: str) -> User | None:
        user = self._users.get(username)
        if user is None:
            hmac.compare_digest(password.encode(), b"not-a-user")  # same work either way
            return None
        return user if hmac.compare_digest(password.encode(), user.password.encode()) else None

    def issue_token(
        self, user: User, *, client: ClientType, referer: str | None, ip: str | None, minutes: int
    ) -> Token:
        with self._lock:
            self._advance()
            return self._tokens.issue(
                username=user.username,
                client=client,
                referer=referer,
                ip=ip,
                minutes=minutes,
                key_generation=self._key_generation,
            )

    def user_for_token(self, value: str, *, referer: str | None, ip: str) -> User | None:
        with self._lock:
            self._advance()
            token = self._tokens.lookup(value)
            if token is None:
                return None
            if not token.accepts(referer=referer, ip=ip, key_generation=self._key_generation):
                return None
            return self._users.get(token.username)

    def store_shared_key(self, key: str) -> None:
        """An accepted tokens/update: the key goes to the store, a restart follows."""
        with self._lock:
            self._advance()
            self._stored_key = key
            self._keys_seen.append(key)
            if self.settings.version_tuple == (10, 7, 0):
                self._licenses_need_populate = True
            self._accept_update(restarts=True)

    def store_security_config(self, config: dict[str, Any]) -> None:
        """An accepted security/config/update (``config`` already replaced and valid)."""
        with self._lock:
            self._advance()
            self._stored_config = copy.deepcopy(config)
            restarts = self.settings.config_update_restarts
            if not restarts:
                self._running_config = copy.deepcopy(config)
            self._accept_update(restarts=restarts)

    def populate_license(self) -> None:
        with self._lock:
            self._licenses_need_populate = False

    # ---- helpers for tests ----

    def mint_token(
        self,
        username: str | None = None,
        *,
        client: ClientType = "referer",
        referer: str | None = "https://localhost",
        ip: str | None = None,
        minutes: int = 60,
    ) -> str:
        """A valid token issued without HTTP (default: the admin, referer-bound)."""
        user = self._users[username or self.settings.admin_username]
        return self.issue_token(user, client=client, referer=referer, ip=ip, minutes=minutes).value

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (as if its expiration had passed)."""
        with self._lock:
            self._tokens.expire_all()

    def set_shared_key(self, key: str) -> None:
        """Put ``key`` in the store and in the running portal at once, no restart."""
        with self._lock:
            self._advance()
            if key != self._running_key:
                self._key_generation += 1
            self._running_key = self._stored_key = key
            self._keys_seen.append(key)

    def set_security_config(self, config: dict[str, Any]) -> None:
        """Store and run ``config`` as given (no validation, no restart, not counted)."""
        with self._lock:
            self._stored_config = copy.deepcopy(config)
            self._running_config = copy.deepcopy(config)

    def wait_until(self, predicate: Callable[[Portal], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate(self)`` every 10 ms for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def wait_until_up(self, timeout: float = 5.0) -> bool:
        """Until no restart is running or scheduled."""
        return self.wait_until(lambda p: p.phase == "up", timeout)

    # ---- the restart lifecycle ----

    def _accept_update(self, *, restarts: bool) -> None:
        self._update_count += 1
        if not restarts:
            return
        if self._phase == "up":
            self._phase = "lag"
            self._phase_ends = self._clock() + self.settings.restart_lag_seconds
        else:
            self._pending_restarts += 1

    def _advance(self) -> None:
        now = self._clock()
        while True:
            if self._phase == "lag" and now >= self._phase_ends:
                self._phase = "down"
                self._restart_count += 1
                self._held_by = self._faults.take_restart_hold(self.context)
                self._phase_ends += self.settings.restart_seconds
                continue
            if self._phase == "down" and now >= self._phase_ends:
                if self._held_by is not None:
                    if self._faults.is_active(self._held_by):
                        return
                    self._held_by = None
                    self._phase_ends = now
                self._come_up()
                continue
            return

    def _come_up(self) -> None:
        # Wall-clock moment the restart ended (state advances lazily, on the next request).
        self._came_up_at = time.time() - (self._clock() - self._phase_ends)
        if self._stored_key != self._running_key:
            self._running_key = self._stored_key
            self._key_generation += 1
        self._running_config = copy.deepcopy(self._stored_config)
        if self._pending_restarts:
            self._pending_restarts -= 1
            self._phase = "lag"
            self._phase_ends += self.settings.restart_lag_seconds
        else:
            self._phase = "up"
