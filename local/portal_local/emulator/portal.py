"""The state of one emulated portal: its database, shared by its machines, and the machines.

The database (users, the stored shared key and security configuration, issued tokens)
belongs to the portal; each machine (see ``machine``) runs its own process with the key
and config it loaded at its last start. An accepted update changes the database and
restarts the primary machine; the portal-level accessors below speak of the primary
(``shared_key``, ``restart_count``, ``running_security_config``), except where they say
otherwise.

With two machines (``machines=2``) the standby restarts ``standby_restart_delay_seconds``
after each restart of the primary ends, and runs the old key and config until its own
restart ends; a token is accepted by a machine only while it runs the key the token was
issued under. ``phase``, ``pending_restarts`` and ``came_up_at`` cover every machine.

Restart lifecycle of the primary, driven by the clock and evaluated whenever the state
is read:

    up --accepted update--> lag (serves normally, old key) --restart_lag_seconds-->
    down (restarting) --restart_seconds--> up with the stored key and config running

An update accepted during the lag queues one more restart, which follows the running
one (each restart is counted when it goes down). A ``restart_forever`` fault holds a
restart down until the fault is removed.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from portal_local.emulator.faults import FaultRegistry
from portal_local.emulator.machine import Machine, RunningState, machine_name
from portal_local.emulator.security_config import as_answered, initial_config
from portal_local.emulator.settings import PortalSettings
from portal_local.emulator.shared_key import fingerprint, generate_shared_key
from portal_local.emulator.site import Site
from portal_local.emulator.user_defaults import as_answered as user_defaults_answered
from portal_local.emulator.user_defaults import initial_user_defaults
from portal_local.emulator.users import User

PRIVATE_ADMIN_URL = "https://10.255.255.1:7443/arcgis"  # nothing answers there
EXTRA_MACHINES = 1_500  # listed by machine_listing="thousands"
HUGE_NAME_LENGTH = 100_000
# A machine name that would draw a forged line on a terminal: erase the line, return,
# a line of its own, an OSC title, a C1 control.
FORGED_NAME = (
    "portal-machine-9\x1b[2K\r  - portal: verified (forged)\n"
    "\x1b]0;owned\x07\x9b31mred.internal.invalid"
)


class Portal(Site):
    kind = "portal"

    def __init__(
        self,
        settings: PortalSettings,
        faults: FaultRegistry,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        default_administrator = settings.admin_role == "administrator"
        users = [
            User(settings.admin_username, settings.admin_password, True, default_administrator),
            User(settings.viewer_username, settings.viewer_password, False),
        ]
        super().__init__(settings, faults, users, clock)
        self.settings: PortalSettings = settings
        key = settings.initial_shared_key or generate_shared_key()
        self._stored_key = key
        self._stored_config = initial_config(
            settings.version_tuple,
            settings.initial_security_config,
            default_role=settings.initial_default_role,
            default_user_type=settings.initial_default_user_type,
        )
        self._user_defaults: dict[str, Any] | None = None
        if settings.has_user_defaults:
            self._user_defaults = initial_user_defaults(
                settings.initial_default_role, settings.initial_default_user_type
            )
        self._user_defaults_update_count = 0
        self._saw_key(key)
        self._licenses_need_populate = False
        self._populate_license_count = 0
        initial = self._stored_state()
        self._machines = [
            Machine(
                self, number, "primary" if number == 1 else "standby", initial, self._stored_state
            )
            for number in range(1, settings.machines + 1)
        ]
        # Where a hostile listing points (machine_listing "other-host", "other-port",
        # "thousands"): a trap the emulator starts, which logs every connection.
        self.trap_url: str | None = None

    # ---- machines ----

    def listed_machines(self) -> list[dict[str, Any]]:
        """What ``portaladmin/machines`` lists (``settings.machine_listing``)."""
        listing = self.settings.machine_listing
        listed = [m.describe() for m in self._machines]
        last = listed[-1]
        if listing in ("other-host", "other-port"):
            last["adminURL"] = self.trap_url
        elif listing == "private-address":
            last["adminURL"] = PRIVATE_ADMIN_URL
        elif listing == "userinfo":
            parts = urlsplit(last["adminURL"])
            last["adminURL"] = f"{parts.scheme}://portaladmin:listed@{parts.netloc}{parts.path}"
        elif listing == "huge-names":
            last["machineName"] = "m" * HUGE_NAME_LENGTH + ".internal.invalid"
        elif listing == "forged-names":
            last["machineName"] = FORGED_NAME
        elif listing == "thousands":
            first = len(listed) + 1
            listed += [
                {**last, "machineName": machine_name(n, self.context), "adminURL": self.trap_url}
                for n in range(first, first + EXTRA_MACHINES)
            ]
        return listed

    # ---- read-only state (each read first brings the restart lifecycle up to date) ----

    @property
    def security_config(self) -> dict[str, Any]:
        """A copy of the stored configuration, by meaning: booleans are JSON booleans
        (``security_config_answer`` is what GET security/config answers)."""
        with self.lock:
            self.refresh()
            return copy.deepcopy(self._stored_config)

    @property
    def security_config_answer(self) -> dict[str, Any]:
        """What GET security/config answers (booleans as strings by default)."""
        with self.lock:
            self.refresh()
            return as_answered(self._stored_config, self.settings.config_booleans_as_strings)

    @property
    def running_security_config(self) -> dict[str, Any]:
        """A copy of the configuration the running process (the primary's) uses."""
        return self.primary.running_security_config

    @property
    def user_default_settings(self) -> dict[str, Any] | None:
        """10.8+: a copy of the stored new member defaults ("userLicenseType": "" when
        there is no default user type); None below 10.8."""
        with self.lock:
            return copy.deepcopy(self._user_defaults)

    @property
    def user_default_settings_answer(self) -> dict[str, Any] | None:
        """10.8+: what GET userDefaultSettings answers; None below 10.8."""
        with self.lock:
            if self._user_defaults is None:
                return None
            return user_defaults_answered(self._user_defaults)

    @property
    def effective_default_user_type(self) -> str:
        """The user type new members get ("" for none): from the new member defaults on
        10.8+, from the stored security config below."""
        with self.lock:
            if self._user_defaults is not None:
                return str(self._user_defaults["userLicenseType"])
            return str(self._stored_config.get("defaultUserTypeIdForUser") or "")

    @property
    def user_defaults_update_count(self) -> int:
        """Accepted setUserDefaultSettings calls (they restart nothing)."""
        with self.lock:
            return self._user_defaults_update_count

    @property
    def restart_count(self) -> int:
        """Restarts (of the primary) that have begun: it went down."""
        return self.primary.restart_count

    @property
    def token_key_generation(self) -> int:
        """Bumped each time the primary's running key changes; older tokens are then dead."""
        return self.primary.key_generation

    @property
    def licenses_need_populate(self) -> bool:
        """10.7 only: a key change leaves licenses to be populated again; the admin root
        reports ``isLicensePopulated: false`` until license/populateLicense runs."""
        with self.lock:
            return self._licenses_need_populate

    @property
    def populate_license_count(self) -> int:
        """Accepted license/populateLicense calls."""
        with self.lock:
            return self._populate_license_count

    def summary(self) -> dict[str, Any]:
        """State without any key, token or password value (for the control API)."""
        with self.lock:
            self.refresh()
            primary = self.primary
            return {
                "context": self.context,
                "version": self.version,
                "phase": self.phase,
                "is_restarting": self.is_restarting,
                "restart_count": primary.restart_count,
                "pending_restarts": self.pending_restarts,
                "update_count": self._update_count,
                "token_key_generation": primary.key_generation,
                "licenses_need_populate": self._licenses_need_populate,
                "populate_license_count": self._populate_license_count,
                "shared_key_fingerprint": primary.shared_key_fingerprint,
                "stored_shared_key_fingerprint": fingerprint(self._stored_key),
                "down_mode": self.settings.down_mode,
                "flavour": self.settings.flavour,
                "config_booleans_as_strings": self.settings.config_booleans_as_strings,
                "token_warmup_seconds": self.settings.token_warmup_seconds,
                "standby_restart_delay_seconds": self.settings.standby_restart_delay_seconds,
                "user_defaults_update_count": self._user_defaults_update_count,
                "machines": [m.summary() for m in self._machines],
            }

    # ---- operations used by the endpoints ----

    def user_for_token(self, value: str, *, referer: str | None, ip: str) -> User | None:
        """The user of a token, as the primary sees it."""
        return self.primary.user_for_token(value, referer=referer, ip=ip)

    def store_shared_key(self, key: str) -> None:
        """An accepted tokens/update: the key goes to the store, a restart follows."""
        with self.lock:
            self.refresh()
            self._stored_key = key
            self._saw_key(key)
            if self.settings.version_tuple == (10, 7, 0):
                self._licenses_need_populate = True
            self._accept_update(restarts=True)

    def store_security_config(self, config: dict[str, Any]) -> None:
        """An accepted security/config/update (``config`` already replaced and valid)."""
        with self.lock:
            self.refresh()
            self._stored_config = copy.deepcopy(config)
            restarts = self.settings.config_update_restarts
            if not restarts:
                for machine in self._machines:
                    machine.run_now(self._stored_state())
            self._accept_update(restarts=restarts)

    def store_user_default_settings(self, settings: dict[str, Any]) -> None:
        """An accepted setUserDefaultSettings: effective at once, no restart."""
        with self.lock:
            if self._user_defaults is None:
                raise RuntimeError("user default settings exist from 10.8 only")
            self._user_defaults = copy.deepcopy(settings)
            self._user_defaults_update_count += 1

    def populate_license(self) -> None:
        with self.lock:
            self._licenses_need_populate = False
            self._populate_license_count += 1

    # ---- helpers for tests ----

    def set_shared_key(self, key: str) -> None:
        """Put ``key`` in the store and in every running machine at once, no restart."""
        with self.lock:
            self.refresh()
            self._stored_key = key
            self._saw_key(key)
            for machine in self._machines:
                machine.run_now(self._stored_state())

    def set_user_default_settings(self, settings: dict[str, Any]) -> None:
        """Store the new member defaults as given (10.8+; no validation, not counted)."""
        with self.lock:
            if self._user_defaults is None:
                raise RuntimeError("user default settings exist from 10.8 only")
            self._user_defaults = {**self._user_defaults, **copy.deepcopy(settings)}

    def set_security_config(self, config: dict[str, Any]) -> None:
        """Store and run ``config`` as given (no validation, no restart, not counted)."""
        with self.lock:
            self.refresh()
            self._stored_config = copy.deepcopy(config)
            for machine in self._machines:
                machine.run_now(self._stored_state())

    def refresh(self) -> None:
        """Bring every machine's restart lifecycle up to now. The standby restarts
        ``standby_restart_delay_seconds`` after each restart of the primary ends (and runs
        the old key and config until its own restart ends)."""
        with self.lock:
            now = self._clock()
            primary, *standbys = self._machines
            delay = self.settings.standby_restart_delay_seconds
            for came_up in primary.advance(now):
                for standby in standbys:
                    standby.advance(came_up)
                    standby.request_restart(came_up + delay, queued_lag=None)
            for standby in standbys:
                standby.advance(now)

    # ---- internals ----

    def _key_in_store(self) -> str:
        return self._stored_key

    def _stored_state(self) -> RunningState:
        return RunningState(self._stored_key, self._key_id(self._stored_key), self._stored_config)

    def _accept_update(self, *, restarts: bool) -> None:
        self._update_count += 1
        if restarts:
            lag = self.settings.restart_lag_seconds
            self.primary.request_restart(self._clock() + lag, queued_lag=lag)
