"""Constants and helpers shared by the client tests (fixtures live in conftest.py)."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from portal_automation.portal.admin_client import AdminApiClient
from portal_automation.portal.transport import TransportSettings
from portal_automation.portal.url import UrlPolicy
from portal_local.emulator import PortalEmulator, PortalSettings, ServerSettings
from portal_local.emulator.request_log import RequestRecord

ADMIN = "portaladmin"
SITE_ADMIN = "siteadmin"
CANARY_PASSWORD = "CANARY-admin-pw-7f3a9c"
RESTART_SECONDS = 0.4
RESTART_LAG_SECONDS = 0.1
HANG_GUARD = 60.0
"""How long a wait for a state that is sure to come may take before the test fails as
hung: a bound for a loaded machine, never a measure."""

# Context paths of the session emulator.
P113 = "arcgis"
P114 = "p114"  # 11.4, a supplied key is ignored
P114_REJECT = "p114r"  # 11.4, a supplied key is rejected
P107 = "p107"
P1071 = "p1071"
P109 = "p109"
# Context paths of the server sites (``server_emu``).
S113 = "server"
S115 = "s115"
S120 = "s120"
S1091 = "s1091"

E = TypeVar("E", bound=BaseException)
C = TypeVar("C", bound=AdminApiClient)

# The emulator listens on 127.0.0.1: the client tests allow local portal addresses.
LOCAL = UrlPolicy(allow_local=True)
LOCAL_HTTP = UrlPolicy(allow_http=True, allow_local=True)

# Every emulator running now: the after-test checks look at all of them.
EMULATORS: list[PortalEmulator] = []


def portal_settings(version: str, context: str = P113, **overrides: Any) -> PortalSettings:
    return PortalSettings(**_timed(version, context, ADMIN, overrides))


def server_settings(version: str, context: str = S113, **overrides: Any) -> ServerSettings:
    return ServerSettings(**_timed(version, context, SITE_ADMIN, overrides))


def _timed(version: str, context: str, admin: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Sub-second restarts, the canary password."""
    values: dict[str, Any] = {
        "version": version,
        "context": context,
        "restart_seconds": RESTART_SECONDS,
        "restart_lag_seconds": RESTART_LAG_SECONDS,
        "admin_username": admin,
        "admin_password": CANARY_PASSWORD,
    }
    return {**values, **overrides}


def fast_settings(emu: PortalEmulator | None = None, **overrides: Any) -> TransportSettings:
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 3.0,
        "retries": 1,
        "backoff_seconds": 0.02,
        "ca_bundle": emu.ca_bundle if emu is not None else None,
    }
    values.update(overrides)
    return TransportSettings(**values)


@contextmanager
def client_factory(
    default: PortalEmulator, kind: type[C], default_context: str
) -> Iterator[Callable[..., C]]:
    """``make(context, emu=..., url=..., referer=..., **transport_overrides)``: a client
    of ``kind`` (at ``url``, or the context's URL of ``emu``, else of ``default``); every
    one made is closed on exit."""
    made: list[C] = []

    def make(
        context: str = default_context,
        *,
        emu: PortalEmulator | None = None,
        url: str | None = None,
        referer: str | None = None,
        **overrides: Any,
    ) -> C:
        emulator = emu or default
        settings = fast_settings(emulator, **overrides)
        client = kind(
            url or emulator.url(context), referer=referer, settings=settings, policy=LOCAL
        )
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()


@contextmanager
def running(*settings: PortalSettings | ServerSettings, **kwargs: Any) -> Iterator[PortalEmulator]:
    """An emulator registered for the after-test checks; stopped on exit (``kwargs``:
    PortalEmulator's, e.g. a ``clock``)."""
    emu = PortalEmulator(list(settings), port=0, **kwargs).start()
    EMULATORS.append(emu)
    try:
        yield emu
    finally:
        emu.stop()
        EMULATORS.remove(emu)


def paths(records: list[RequestRecord], suffix: str) -> list[RequestRecord]:
    """Records whose path ends with ``suffix`` (the log keeps the context in the path)."""
    return [r for r in records if r.path.rstrip("/").endswith("/" + suffix.strip("/"))]


def since(emu: PortalEmulator, mark: int) -> list[RequestRecord]:
    return emu.request_log[mark:]


class Canary:
    """Collects secret values and the exceptions the tests expect; checks them after."""

    def __init__(self) -> None:
        self.values: set[str] = {CANARY_PASSWORD}
        self.exceptions: list[BaseException] = []
        self.texts: list[str] = []

    def add(self, value: str) -> None:
        if len(value) >= 8:
            self.values.add(value)

    @contextmanager
    def raises(self, error: type[E], match: str | None = None) -> Iterator[pytest.ExceptionInfo[E]]:
        with pytest.raises(error, match=match) as info:
            yield info
        self.exceptions.append(info.value)

    def text(self, value: str) -> str:
        """Something a log line or a report would show (a health detail, a repr)."""
        self.texts.append(value)
        return value

    def leaks(self) -> list[str]:
        found = []
        for exc in self.exceptions:
            for text in _exception_texts(exc):
                found += [f"{type(exc).__name__}: {_hint(v)}" for v in self.values if v in text]
        for text in self.texts:
            found += [f"text: {_hint(v)}" for v in self.values if v in text]
        return sorted(set(found))


def _exception_texts(exc: BaseException) -> list[str]:
    texts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *map(str, current.args), *map(repr, current.args)]
        texts.append(str(getattr(current, "message", "")))
        texts.append("".join(traceback.format_exception(current)))
        current = current.__cause__ or current.__context__
    return texts


def _hint(value: str) -> str:
    if value == CANARY_PASSWORD:
        return "the canary admin password"
    return f"a secret value of {len(value)} characters"
