"""One portal machine's process: the key and config it runs, its restart phase.

A Portal has one machine, or two when it is highly available (settings.machines=2); an
ArcGIS Server site one or more. The database (users, the stored key and config) belongs
to the target (``site.Site``) and is shared; each machine has its own process state,
brought up to date by its target (under the target's lock) before any read or change:

    up --restart requested--> lag (the old process serves, old key) --lag ends-->
    down (restarting) --restart_seconds--> up, running the stored key and config
    (for token_warmup_seconds after that, generateToken still answers 503)

A restart requested while one is under way waits its turn: it begins after the machine
comes up (the primary: ``restart_lag_seconds`` later, as a restart of its own; the
standby: at the moment it was asked for, or at once if that has passed). Each restart is
counted when it goes down. A ``restart_forever`` fault taken as the machine goes down
holds it down until the fault is removed.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from portal_local.emulator.faults import Fault, FaultRegistry
from portal_local.emulator.shared_key import fingerprint
from portal_local.emulator.tokens import Token, TokenRefusal, TokenRequest, TokenStore
from portal_local.emulator.users import User

Phase = Literal["up", "lag", "down"]
Role = Literal["primary", "standby", "peer"]  # a server site's machines are peers
PHASE_ORDER: dict[Phase, int] = {"up": 0, "lag": 1, "down": 2}


@dataclass(frozen=True)
class RunningState:
    """What a process loads when it starts: the stored key (and its id) and config."""

    key: str
    key_id: int
    config: dict[str, Any]


@dataclass(frozen=True)
class _Queued:
    not_before: float
    lag: float | None  # seconds after the running restart ends; None: at not_before


class MachineSettings(Protocol):
    """What a machine reads of its target's settings."""

    @property
    def restart_seconds(self) -> float: ...

    @property
    def token_warmup_seconds(self) -> float: ...

    @property
    def context(self) -> str: ...


class MachinesPortal(Protocol):
    """What a machine uses of the target it belongs to (``site.Site``: a portal or a
    server site): the shared database, the clock, and the target's lock and lifecycle."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def settings(self) -> MachineSettings: ...

    @property
    def faults(self) -> FaultRegistry: ...

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def context(self) -> str: ...

    def refresh(self) -> None: ...

    def now(self) -> float: ...

    def live_key_ids(self) -> set[int]: ...

    def user(self, username: str) -> User | None: ...


PortalT = TypeVar("PortalT", bound=MachinesPortal)


def machine_name(number: int, context: str) -> str:
    """``portal-machine-1.<context>.internal.invalid``: a host name that never resolves,
    its own to each portal (as the machines of two real portals are)."""
    return f"portal-machine-{number}.{context.replace('/', '-')}.internal.invalid"


class Machine(Generic[PortalT]):
    """One machine of a portal. Read its state through the properties (thread-safe)."""

    def __init__(
        self,
        portal: PortalT,
        number: int,
        role: Role,
        initial: RunningState,
        load_stored: Callable[[], RunningState],
        *,
        name: str | None = None,
        admin_url: str | None = None,
    ) -> None:
        self.portal: PortalT = portal
        self.number = number
        self.role: Role = role
        self.name = name or machine_name(number, portal.settings.context)
        # Where the machine's own admin API answers (set when the emulator starts; a
        # single-machine target keeps an internal name that does not resolve).
        self.admin_url = admin_url or f"https://{self.name}:7443/arcgis"
        # False: the adminURL refuses connections (the load balancer still serves it).
        self.reachable_directly = False
        self._load_stored = load_stored
        self._running_key = initial.key
        self._running_key_id = initial.key_id
        self._running_config = copy.deepcopy(initial.config)
        self._key_generation = 1
        self._phase: Phase = "up"
        self._phase_ends = 0.0
        self._queued: list[_Queued] = []
        self._held_by: Fault | None = None
        self._restart_count = 0
        self._came_up_at: float | None = None
        self._warm_until = float("-inf")

    # ---- read-only state (each read first brings the portal up to date) ----

    @property
    def phase(self) -> Phase:
        with self.portal.lock:
            self.portal.refresh()
            return self._phase

    @property
    def is_restarting(self) -> bool:
        """True while down (not during the lag, when the old process still answers)."""
        return self.phase == "down"

    @property
    def restart_count(self) -> int:
        """Restarts of this machine that have begun (it went down)."""
        with self.portal.lock:
            self.portal.refresh()
            return self._restart_count

    @property
    def pending_restarts(self) -> int:
        """Restarts scheduled but not begun (the one in its lag included)."""
        with self.portal.lock:
            self.portal.refresh()
            return len(self._queued) + (1 if self._phase == "lag" else 0)

    @property
    def came_up_at(self) -> float | None:
        """Epoch seconds when this machine's last restart ended (None: never restarted)."""
        with self.portal.lock:
            self.portal.refresh()
            return self._came_up_at

    @property
    def warming_up(self) -> bool:
        """True while generateToken answers 503 after a restart (token_warmup_seconds);
        the machine is up meanwhile: its health check says success."""
        with self.portal.lock:
            self.portal.refresh()
            return self._warming_up()

    @property
    def shared_key(self) -> str:
        """The key this machine's process signs and checks tokens with."""
        with self.portal.lock:
            self.portal.refresh()
            return self._running_key

    @property
    def shared_key_fingerprint(self) -> str:
        return fingerprint(self.shared_key)

    @property
    def key_generation(self) -> int:
        """Bumped each time the running key changes."""
        with self.portal.lock:
            self.portal.refresh()
            return self._key_generation

    @property
    def running_security_config(self) -> dict[str, Any]:
        """A copy of the configuration this machine's process uses."""
        with self.portal.lock:
            self.portal.refresh()
            return copy.deepcopy(self._running_config)

    def describe(self) -> dict[str, Any]:
        """What ``portaladmin/machines`` lists for this machine."""
        return {
            "machineName": self.name,
            "adminURL": self.admin_url,
            "role": self.role,
            "platform": "Linux-amd64-5.14.0-427.13.1.el9_4.x86_64",
        }

    def summary(self) -> dict[str, Any]:
        """State without any key value (for the control API)."""
        with self.portal.lock:
            self.portal.refresh()
            return {
                "name": self.name,
                "number": self.number,
                "role": self.role,
                "admin_url": self.admin_url,
                "reachable_directly": self.reachable_directly,
                "phase": self._phase,
                "restart_count": self._restart_count,
                "pending_restarts": len(self._queued) + int(self._phase == "lag"),
                "came_up_at": self._came_up_at,
                "warming_up": self._warming_up(),
                "key_generation": self._key_generation,
                "shared_key_fingerprint": fingerprint(self._running_key),
            }

    # ---- tokens: valid on this machine while it runs the key they were issued under ----

    def issue_token(self, user: User, asked: TokenRequest, max_minutes: int) -> Token:
        """A token for ``user`` as ``asked``, lasting ``max_minutes`` at most."""
        with self.portal.lock:
            self.portal.refresh()
            return self.portal.tokens.issue(
                username=user.username,
                client=asked.client,
                referer=asked.referer,
                ip=asked.ip,
                minutes=min(asked.minutes, max_minutes),
                key_id=self._running_key_id,
                live_key_ids=self.portal.live_key_ids(),
            )

    def user_for_token(self, value: str, *, referer: str | None, ip: str) -> User | None:
        user, _ = self.check_token(value, referer=referer, ip=ip)
        return user

    def check_token(
        self, value: str, *, referer: str | None, ip: str
    ) -> tuple[User | None, TokenRefusal | None]:
        """The user of a token, or why this machine refuses it."""
        with self.portal.lock:
            self.portal.refresh()
            token = self.portal.tokens.lookup(value)
            if token is None:
                return None, "unknown"
            refusal = token.refusal(referer=referer, ip=ip, key_id=self._running_key_id)
            if refusal is not None:
                return None, refusal
            return self.portal.user(token.username), None

    # ---- called by the Portal, its lock held ----

    @property
    def running_key_id(self) -> int:
        return self._running_key_id

    def request_restart(self, not_before: float, queued_lag: float | None) -> None:
        """A restart: the lag ends at ``not_before`` if the machine is up now; otherwise
        it follows the running one (see the module docstring)."""
        if self._phase == "up":
            self._phase, self._phase_ends = "lag", not_before
        else:
            self._queued.append(_Queued(not_before, queued_lag))

    def run_now(self, state: RunningState) -> None:
        """Run ``state`` at once, without a restart (a test helper, a non-restarting update)."""
        self._set_running_key(state.key, state.key_id)
        self._running_config = copy.deepcopy(state.config)

    def advance(self, until: float) -> list[float]:
        """Apply every transition due by ``until``; the clock times it came up at."""
        came_up: list[float] = []
        settings = self.portal.settings
        while True:
            if self._phase == "lag" and until >= self._phase_ends:
                self._phase = "down"
                self._restart_count += 1
                self._held_by = self.portal.faults.take_restart_hold(self.portal.context, self.name)
                self._phase_ends += settings.restart_seconds
                continue
            if self._phase == "down" and until >= self._phase_ends:
                if self._held_by is not None:
                    if self.portal.faults.is_active(self._held_by):
                        return came_up
                    self._held_by = None
                    self._phase_ends = until
                came_up.append(self._come_up())
                continue
            return came_up

    def _come_up(self) -> float:
        ended = self._phase_ends
        # Wall-clock moment the restart ended (state advances lazily, on the next read).
        self._came_up_at = time.time() - (self.portal.now() - ended)
        self._warm_until = ended + self.portal.settings.token_warmup_seconds
        self.run_now(self._load_stored())
        if self._queued:
            queued = self._queued.pop(0)
            self._phase = "lag"
            if queued.lag is not None:
                self._phase_ends = ended + queued.lag
            else:
                self._phase_ends = max(queued.not_before, ended)
        else:
            self._phase = "up"
        return ended

    def _warming_up(self) -> bool:
        return self._phase != "down" and self.portal.now() < self._warm_until

    def _set_running_key(self, key: str, key_id: int) -> None:
        if key_id != self._running_key_id:
            self._key_generation += 1
        self._running_key, self._running_key_id = key, key_id
