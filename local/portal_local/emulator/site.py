"""What every emulated target shares: its machines, users, issued tokens and lock.

A target is hosted at a context of the emulator, like a real one behind its Web Adaptor:
a portal (``portal.Portal``) or an ArcGIS Server site (``server_site.ServerSite``). Each
keeps its own database; this base class holds what the dispatcher, the control API and
the machines need of any of them: the machines (one answers a request to the target's
URL, round robin over those not down), the users and the tokens issued to them, the
keys seen (for leak searches), the clock and the lock. ``kind`` names the API the
dispatcher routes to (``dispatcher.APIS``).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, Self

from portal_local.emulator.faults import FaultRegistry
from portal_local.emulator.http_messages import Request, Response
from portal_local.emulator.machine import PHASE_ORDER, Machine, Phase
from portal_local.emulator.settings import DownMode, TlsVariant
from portal_local.emulator.shared_key import fingerprint
from portal_local.emulator.tokens import ClientType, TokenRequest, TokenStore
from portal_local.emulator.users import User

SiteKind = Literal["portal", "server"]


@dataclass(frozen=True)
class SiteApi:
    """What the dispatcher needs of a kind's API besides its routes: where its health
    check and token service are, and what the health check answers when a fault forces
    it, or while the machine restarts behind a Web Adaptor."""

    health_check_path: str
    token_path: str
    handle: Callable[[Machine[Any], str, Request], Response]
    healthy: Callable[[Request], Response]
    unhealthy: Callable[[], Response]


class SiteSettings(Protocol):
    """What the emulator, the dispatcher and the machines read of any target's settings."""

    @property
    def context(self) -> str: ...

    @property
    def machines(self) -> int: ...

    @property
    def unreachable_machine(self) -> int | None: ...

    @property
    def restart_seconds(self) -> float: ...

    @property
    def token_warmup_seconds(self) -> float: ...

    @property
    def down_mode(self) -> DownMode: ...

    @property
    def tls(self) -> bool: ...

    @property
    def tls_variant(self) -> TlsVariant: ...

    @property
    def http_allowed(self) -> bool: ...

    @property
    def admin_username(self) -> str: ...

    @property
    def alias_contexts(self) -> tuple[str, ...]: ...

    @property
    def full_version(self) -> str: ...


class Site:
    """Subclasses build ``self._machines`` (the first one is the primary) and define
    ``refresh`` (their restart lifecycle), ``summary`` and the keys they hold."""

    kind: ClassVar[SiteKind]

    def __init__(
        self,
        settings: SiteSettings,
        faults: FaultRegistry,
        users: list[User],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.faults = faults
        self._clock = clock
        self.lock = threading.RLock()
        self._users = {user.username: user for user in users}
        self.tokens = TokenStore()
        self._key_ids: dict[str, int] = {}
        self._keys_seen: list[str] = []
        self._update_count = 0  # accepted updates (of the key or a configuration)
        self._machines: list[Machine[Any]] = []
        self._round_robin = -1

    # ---- machines ----

    @property
    def machines(self) -> list[Machine[Any]]:
        """The primary first."""
        return list(self._machines)

    @property
    def primary(self) -> Machine[Any]:
        return self._machines[0]

    @property
    def is_highly_available(self) -> bool:
        return len(self._machines) > 1

    def machine(self, name_or_number: str | int) -> Machine[Any]:
        """A machine by its name (any case) or its number (1 = the primary)."""
        for machine in self._machines:
            if isinstance(name_or_number, int):
                if machine.number == name_or_number:
                    return machine
            elif machine.name.casefold() == name_or_number.casefold():
                return machine
        raise KeyError(f"no machine {name_or_number!r} at context {self.context!r}")

    def pick_machine(self) -> Machine[Any] | None:
        """The machine that answers a request to the target's URL: its only machine (up
        or not); with more, the next one that is not down, round robin, as a load
        balancer that health-checks its members would (None: all are down)."""
        with self.lock:
            self.refresh()
            if not self.is_highly_available:
                return self.primary
            serving = [m for m in self._machines if m.phase != "down"]
            if not serving:
                return None
            self._round_robin += 1
            return serving[self._round_robin % len(serving)]

    def admin_url_at(self, base_url: str) -> str:
        """The adminURL a machine that serves ``base_url`` is listed with."""
        return base_url

    # ---- state (each read first brings the restart lifecycle up to date) ----

    @property
    def context(self) -> str:
        return self.settings.context

    @property
    def version(self) -> str:
        """The full version the target reports, e.g. ``"11.3.0"``."""
        return self.settings.full_version

    @property
    def shared_key(self) -> str:
        """The key the primary machine signs and checks tokens with."""
        return self.primary.shared_key

    @property
    def stored_shared_key(self) -> str:
        """The key in the config store (what security/tokens answers)."""
        with self.lock:
            self.refresh()
            return self._key_in_store()

    @property
    def stored_shared_key_fingerprint(self) -> str:
        return fingerprint(self.stored_shared_key)

    @property
    def update_count(self) -> int:
        """Accepted updates: of the key, and of a portal's security configuration."""
        with self.lock:
            return self._update_count

    @property
    def came_up_at(self) -> float | None:
        """Epoch seconds when the last restart of any machine ended (None: never)."""
        with self.lock:
            self.refresh()
            times = [m.came_up_at for m in self._machines if m.came_up_at is not None]
            return max(times) if times else None

    @property
    def phase(self) -> Phase:
        """The least ready machine's phase (down, then lag, then up): "up" means that
        every machine runs the stored key and no restart is scheduled."""
        with self.lock:
            self.refresh()
            return max((m.phase for m in self._machines), key=PHASE_ORDER.__getitem__)

    @property
    def is_restarting(self) -> bool:
        """True while a machine is down (not during the lag: the old process answers)."""
        return self.phase == "down"

    @property
    def pending_restarts(self) -> int:
        """Restarts scheduled but not begun (the one in its lag included), every machine."""
        with self.lock:
            self.refresh()
            return sum(m.pending_restarts for m in self._machines)

    @property
    def token_count(self) -> int:
        with self.lock:
            return len(self.tokens)

    def secret_values_seen(self) -> list[str]:
        """Every key and token this target ever had or issued (for leak searches)."""
        with self.lock:
            return [*self._keys_seen, *self.tokens.issued]

    def summary(self) -> dict[str, Any]:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    # ---- users and tokens ----

    def user(self, username: str) -> User | None:
        return self._users.get(username)

    def authenticate(self, username: str, password: str) -> User | None:
        user = self._users.get(username)
        if user is None:
            hmac.compare_digest(password.encode(), b"not-a-user")  # same work either way
            return None
        return user if hmac.compare_digest(password.encode(), user.password.encode()) else None

    def mint_token(
        self,
        username: str | None = None,
        *,
        client: ClientType = "referer",
        referer: str | None = "https://localhost",
        ip: str | None = None,
        minutes: int = 60,
        machine: str | int | None = None,
    ) -> str:
        """A valid token issued without HTTP (default: the admin, referer-bound, by the
        primary; ``machine``: by that machine, under the key it runs)."""
        user = self._users[username or self.settings.admin_username]
        issuer = self.primary if machine is None else self.machine(machine)
        asked = TokenRequest(user.username, user.password, client, referer, ip, minutes)
        return issuer.issue_token(user, asked, minutes).value

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (as if its expiration had passed)."""
        with self.lock:
            self.tokens.expire_all()

    # ---- waiting (tests) ----

    def wait_until(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate(self)`` every 10 ms for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def wait_until_up(self, timeout: float = 5.0) -> bool:
        """Until no restart is running or scheduled (on any machine)."""
        return self.wait_until(lambda site: site.phase == "up", timeout)

    # ---- used by the machines (the lock held) ----

    def now(self) -> float:
        return self._clock()

    def live_key_ids(self) -> set[int]:
        """Ids of the keys a token can still be accepted under: running or stored."""
        return {m.running_key_id for m in self._machines} | {self._key_id(self._key_in_store())}

    # ---- for subclasses ----

    def _key_in_store(self) -> str:
        raise NotImplementedError

    def _key_id(self, key: str) -> int:
        return self._key_ids.setdefault(key, len(self._key_ids) + 1)

    def _saw_key(self, key: str) -> None:
        self._keys_seen.append(key)
