"""Failure injection: a list of Faults matched against each request, in insertion order.

A request first sleeps for every matching ``delay`` fault, then the first matching
answer-replacing fault (``error``, ``status_failed``, ``http``, ``html``, ``reset``)
answers instead of the portal. ``health_flap`` only ever touches the health check and
only when no answer-replacing fault matched; ``restart_forever`` matches no request: it
holds the next restart of a matching portal down until the fault is removed or cleared.
``times`` counts the requests (or restarts) a fault applies to; None = unlimited. A
used-up restart_forever fault stays listed (it still holds its restart) until removed.
``slow_answer`` lets the portal do what was asked and then holds the answer for
``seconds``: the change lands while the client may already have given up or died (a
Lambda that runs out of time between the portal accepting an update and its answer).
``lost_answer`` also lets the portal do what was asked; after ``seconds`` the client
gets, instead of the portal's answer, a Web Adaptor's HTML page with ``status`` (504,
say: the gateway gave up waiting), or a connection reset when ``status`` is 0. A
``delay`` before an answering fault is the other case: the call blocks, then fails
without the portal having done anything.
``machine`` (a machine name, e.g. ``portal-machine-2.arcgis.internal.invalid``) narrows
a fault to the requests that machine answers (through the load balancer or directly)
and, for ``restart_forever``, to that machine's restarts; None = any machine.

Hostile answers (issue 18): ``drip`` lets the portal answer as usual but sends the body a
piece at a time over ``seconds`` (every read of the client gets bytes long before its
read timeout, the answer takes ``seconds``); ``huge`` lets the portal do what was asked
and pads its JSON answer to ``size`` bytes, streamed without a Content-Length. An
``error`` fault with ``echo`` (a form field, e.g. ``password``) carries the submitted
value of that field in its message, as hex (``echo_as="hex"``) or a 10-character run
from its middle (``"fragment"``): a portal that echoes a secret in a form the client did
not send.
``hold`` stops a matching request before the portal acts on it, and ``hold_answer`` after
the portal did what was asked and before it answers, each until the fault is removed (or
the registry cleared): a test holds a client at a known point for as long as it needs,
and learns that the point was reached (``wait_reached``), instead of hoping a delay is
long enough.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, get_args

from portal_local.emulator import pages
from portal_local.emulator.http_messages import (
    RESET,
    Request,
    Response,
    error_response,
    html_response,
    json_response,
)

FaultAction = Literal[
    "delay",
    "slow_answer",
    "lost_answer",
    "drip",
    "huge",
    "error",
    "status_failed",
    "http",
    "html",
    "reset",
    "redirect",
    "swallow",
    "restart_forever",
    "health_flap",
    "hold",
    "hold_answer",
]
ACTIONS: tuple[str, ...] = get_args(FaultAction)
ANSWERING_ACTIONS = (
    "error",
    "status_failed",
    "http",
    "html",
    "reset",
    "redirect",
    "swallow",
)
HOLDING_ACTIONS = ("hold", "hold_answer")
EchoForm = Literal["hex", "fragment"]
HUGE_PIECE = 64 * 1024
HEALTH_STATES = ("ok", "down")


@dataclass(kw_only=True, eq=False)
class Fault:
    """One injected failure. Compared by identity, so the same values can be added twice."""

    action: FaultAction
    path: str = "*"  # glob, against the path inside the context or the full path
    method: str | None = None
    context: str | None = None
    machine: str | None = None  # a machine name; None: any machine
    times: int | None = None
    after: int = 0  # let this many matching requests through before the fault applies
    seconds: float = 0.0  # delay
    code: int = 500  # error
    message: str = "Injected fault."  # error
    details: Sequence[str] = ()  # error
    style: Literal["error", "status"] = "error"  # error: {"error":{...}} or {"status":"error"}
    status: int = 503  # http, lost_answer (0: reset); redirect: 307 unless another 3xx
    location: str = ""  # redirect: where the Location header points
    body: str | None = None  # http / html: the HTML body (a plausible page when None)
    messages: Sequence[str] = ("Injected failure.",)  # status_failed
    sequence: Sequence[str] | None = None  # health_flap: "ok" / "down"; None alternates
    size: int = 150 * 1024 * 1024  # huge: bytes of the answer
    echo: str | None = None  # error: the form field whose submitted value is echoed
    echo_as: EchoForm = "hex"  # error: how the echoed value is shown

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; one of {ACTIONS}")
        if self.style not in ("error", "status"):
            raise ValueError("style must be 'error' or 'status'")
        if self.action == "lost_answer" and self.status != 0 and not 500 <= self.status < 600:
            raise ValueError("a lost answer is a 5xx page or a reset (status 0)")
        if self.action == "redirect" and not self.location:
            raise ValueError("a redirect needs a location")
        if self.after < 0:
            raise ValueError("after must be >= 0")
        if self.echo_as not in ("hex", "fragment"):
            raise ValueError("echo_as must be 'hex' or 'fragment'")
        if self.size < 0:
            raise ValueError("size must be >= 0")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")
        self.details = tuple(self.details)
        self.messages = tuple(self.messages)
        if self.sequence is not None:
            self.sequence = tuple(self.sequence)
            if not self.sequence or any(s not in HEALTH_STATES for s in self.sequence):
                raise ValueError(f"sequence items must be one of {HEALTH_STATES}")
        self.path = self.path.lstrip("/") or "*"
        self.context = self.context.strip("/") if self.context else None
        self.method = self.method.upper() if self.method else None

    def matches(self, context: str, path: str, method: str, machine: str | None = None) -> bool:
        """``path`` is the path inside the context, e.g. ``portaladmin/healthCheck``;
        ``machine`` the machine that answers (None: no machine, the load balancer)."""
        if self.context is not None and self.context != context:
            return False
        if self.machine is not None and self.machine != machine:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(
            f"{context}/{path}", self.path
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)

    def lost(self) -> Response:
        """What a ``lost_answer`` fault sends once the portal has done what was asked."""
        if self.status == 0:
            return RESET
        return html_response(self.body or pages.proxy_error_page(self.status), self.status)

    def answer(self, request: Request) -> Response:
        """The response an answering fault sends instead of the portal's."""
        response_format = request.response_format
        if self.action == "reset":
            return RESET
        if self.action == "http":
            return html_response(self.body or pages.proxy_error_page(self.status), self.status)
        if self.action == "html":
            return html_response(self.body or pages.sign_in_page())
        if self.action == "swallow":  # accepted as done, and nothing done
            return json_response({"status": "success"}, response_format)
        if self.action == "redirect":
            status = self.status if 300 <= self.status < 400 else 307
            return Response(status, b"", headers=(("Location", self.location),))
        if self.action == "status_failed":
            return json_response({"status": "failed", "messages": list(self.messages)})
        message = self.message + self._echoed(request)
        if self.style == "status":
            body = {"status": "error", "messages": [message], "code": self.code}
            return json_response(body, response_format)
        return error_response(self.code, message, self.details, response_format)

    def _echoed(self, request: Request) -> str:
        value = request.param(self.echo) if self.echo else None
        if not value:
            return ""
        if self.echo_as == "hex":
            return f" ({self.echo} as received: {value.encode().hex()})"
        middle = max(0, len(value) // 2 - 5)
        return f" (near '{value[middle : middle + 10]}')"


def padded(response: Response, size: int) -> Response:
    """``response`` with its JSON object answer padded to ``size`` bytes (a field
    ``padding``), made a piece at a time; any other answer padded with spaces."""
    body = response.body.rstrip()
    if body.startswith(b"{") and body.endswith(b"}"):
        inner = body[:-1].rstrip()
        head = inner + (b', "padding": "' if inner != b"{" else b'"padding": "')
        tail = b'"}'
    else:
        head, tail = body, b""

    def pieces() -> Iterator[bytes]:
        yield head
        left = max(0, size - len(head) - len(tail))
        fill = (b"x" if tail else b" ") * HUGE_PIECE
        while left > 0:
            yield fill[: min(left, HUGE_PIECE)]
            left -= HUGE_PIECE
        yield tail

    return replace(response, body=b"", stream=pieces)


@dataclass(frozen=True)
class RequestFaults:
    """What the faults decided for one request."""

    delay_seconds: float = 0.0
    answer: Fault | None = None
    health: str | None = None  # "ok" / "down" forced by a health_flap
    hold_answer_seconds: float = 0.0  # after the portal did what was asked (slow_answer)
    lost: Fault | None = None  # replaces the portal's answer after it did what was asked
    drip_seconds: float = 0.0  # the answer's body spread over this long (drip)
    huge_size: int = 0  # the answer padded to this many bytes (huge; 0: not)
    hold: threading.Event | None = None  # set when a hold fault is released
    hold_answer: threading.Event | None = None  # the same, for a hold_answer fault


@dataclass
class _Entry:
    fault: Fault
    remaining: int | None
    uses: int = 0
    passed: int = 0  # matching requests let through (Fault.after)


@dataclass
class _Hold:
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class FaultRegistry:
    """The faults of one emulator; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._holds: dict[int, _Hold] = {}  # id(fault) -> its hold, until removed

    def add(self, fault: Fault) -> Fault:
        remaining = fault.times
        if remaining is None and fault.action == "health_flap" and fault.sequence:
            remaining = len(fault.sequence)
        with self._lock:
            self._entries.append(_Entry(fault, remaining))
            if fault.action in HOLDING_ACTIONS:
                self._holds[id(fault)] = _Hold()
        return fault

    def remove(self, fault: Fault) -> bool:
        """Remove ``fault``; a hold fault lets the requests it holds go on."""
        with self._lock:
            before = len(self._entries)
            self._entries = [e for e in self._entries if e.fault is not fault]
            hold = self._holds.pop(id(fault), None)
        if hold is not None:
            hold.released.set()
        return len(self._entries) != before or hold is not None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            holds, self._holds = list(self._holds.values()), {}
        for hold in holds:
            hold.released.set()

    def wait_reached(self, fault: Fault, timeout: float) -> bool:
        """Whether a request reached the hold fault ``fault`` within ``timeout`` seconds."""
        with self._lock:
            hold = self._holds.get(id(fault))
        return hold is not None and hold.reached.wait(timeout)

    def active(self) -> list[Fault]:
        with self._lock:
            return [e.fault for e in self._entries]

    def is_active(self, fault: Fault) -> bool:
        with self._lock:
            return any(e.fault is fault for e in self._entries)

    def take_restart_hold(self, context: str, machine: str | None = None) -> Fault | None:
        """The restart_forever fault that holds the restart now beginning, if any."""
        with self._lock:
            for entry in self._entries:
                fault = entry.fault
                exhausted = entry.remaining is not None and entry.remaining <= 0
                if (
                    fault.action == "restart_forever"
                    and fault.context in (None, context)
                    and fault.machine in (None, machine)
                    and not exhausted
                ):
                    self._use(entry)
                    return fault
        return None

    def for_request(
        self,
        context: str,
        path: str,
        method: str,
        *,
        is_health_check: bool,
        machine: str | None = None,
    ) -> RequestFaults:
        delay = hold = drip = 0.0
        huge = 0
        answer: Fault | None = None
        lost: Fault | None = None
        health: str | None = None
        holds: dict[str, threading.Event] = {}
        with self._lock:
            matching = []
            for entry in self._entries:
                if entry.fault.matches(context, path, method, machine):
                    if entry.passed < entry.fault.after:
                        entry.passed += 1
                    else:
                        matching.append(entry)
            for entry in matching:
                action = entry.fault.action
                if action == "delay":
                    delay += entry.fault.seconds
                    self._use(entry)
                elif action == "slow_answer":
                    hold += entry.fault.seconds
                    self._use(entry)
                elif action == "lost_answer" and lost is None:
                    hold += entry.fault.seconds
                    lost = entry.fault
                    self._use(entry)
                elif action == "drip":
                    drip += entry.fault.seconds
                    self._use(entry)
                elif action == "huge":
                    huge = max(huge, entry.fault.size)
                    self._use(entry)
                elif action in HOLDING_ACTIONS and action not in holds:
                    held = self._holds[id(entry.fault)]
                    held.reached.set()
                    holds[action] = held.released
                    self._use(entry)
                elif action in ANSWERING_ACTIONS and answer is None:
                    answer = entry.fault
                    self._use(entry)
            if answer is None and is_health_check:
                for entry in matching:
                    if entry.fault.action == "health_flap":
                        sequence = entry.fault.sequence or ("ok", "down")
                        health = sequence[entry.uses % len(sequence)]
                        self._use(entry)
                        break
        return RequestFaults(
            delay,
            answer,
            health,
            hold,
            lost,
            drip,
            huge,
            holds.get("hold"),
            holds.get("hold_answer"),
        )

    def _use(self, entry: _Entry) -> None:
        # Called with the lock held. A used-up fault leaves the list, except a
        # restart_forever one: it keeps holding the restart it took until it is removed.
        entry.uses += 1
        if entry.remaining is not None:
            entry.remaining -= 1
            if entry.remaining <= 0 and entry.fault.action != "restart_forever":
                self._entries = [e for e in self._entries if e is not entry]
