"""Start and follow Step Functions executions from a terminal, against AWS or local.

``follow`` reads the execution history as it grows and prints one line per state
entered, a progress line while a portal restarts, and the final outcome with the
per-portal summary. Each portal runs in a child execution of the run's Distributed Map:
their states are printed too, each line labelled with its portal (its label, else its
secret's name). It reads only what the histories hold, which by design never contains
a secret.

Only public Step Functions APIs are used, so the same code follows a run on AWS:
``GetExecutionHistory`` (newest first, down to the last event already seen: a poll
reads only what is new), ``ListMapRuns`` once the parent starts a map run, and
``ListExecutions(mapRunArn=...)`` to find the children and their status; a finished
child's history is read to its end once, then never again. Every call keeps to a share
of its API's quota (:mod:`.pacing`): ListExecutions, refilled at 2 a second for the
whole account, is called again only when its share allows (every 2.5 s), and a poll
reads at most ``CHILD_READS_PER_POLL`` children's histories, the least recently read
first, while GetExecutionHistory's share allows; the last poll reads every child to its
end.

Every line is written through ``_say``: whatever a history holds (a portal's error text,
a machine name) is shown ``printable``, so nothing in it can steer the terminal or draw a
line of its own (FAULTS row 50).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..domain.kinds import KINDS, PORTAL
from ..printable import printable
from .pacing import PacedStepFunctions, Pacer

WAITING_STATES = frozenset({"WaitRecheck", "PollHealth", "HealthChoice", "WaitPoll"})
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
_FIRST_PAGE = 1000  # a history read from its start
_NEXT_PAGE = 25  # a history read again: what happened since the last poll
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
CHILD_READS_PER_POLL = 2  # 4 a second at the default 0.5 s poll


@dataclass
class FollowResult:
    execution_arn: str
    status: str
    summary: dict[str, Any] | None
    events: int
    """The most events one history holds (the parent's or a child's): what the
    25,000-event quota counts."""
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)
    """The parent's states, then each child's (in the order they started)."""
    portal_states: dict[str, list[str]] = field(default_factory=dict)
    """Each portal's states (its child execution's), by secret ARN."""
    portal_executions: dict[str, str] = field(default_factory=dict)
    """Each portal's child execution ARN, by secret ARN."""


def start_execution(sfn: Any, state_machine_arn: str, payload: dict[str, Any], name: str) -> str:
    answer = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
    )
    return str(answer["executionArn"])


class _History:
    """The events of one execution read so far."""

    def __init__(self, arn: str) -> None:
        self.arn = arn
        self.events: list[dict[str, Any]] = []
        self.states: list[str] = []

    def read_new(self, sfn: Any) -> list[dict[str, Any]]:
        """The events added since the last read, oldest first."""
        last = self.events[-1]["id"] if self.events else 0
        kwargs: dict[str, Any] = {
            "executionArn": self.arn,
            "reverseOrder": True,
            "maxResults": _NEXT_PAGE if last else _FIRST_PAGE,
        }
        new: list[dict[str, Any]] = []
        while True:
            page = sfn.get_execution_history(**kwargs)
            fresh = [e for e in page["events"] if e["id"] > last]
            new.extend(fresh)
            if len(fresh) < len(page["events"]) or not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        new.reverse()
        self.events.extend(new)
        for event in new:
            name = _state_name(event)
            if name and event["type"].endswith("StateEntered"):
                self.states.append(name)
        return new


@dataclass
class _Child:
    history: _History
    start: Any
    done: bool = False
    secret_arn: str | None = None
    label: str = "?"
    waiting_since: float | None = None
    last_read: int = -1  # the poll count when its history was last read


class _Follower:
    def __init__(
        self,
        sfn: Any,
        arn: str,
        out: TextIO,
        clock: Callable[[], float],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sfn = PacedStepFunctions(sfn, Pacer(clock, sleep))
        self.out, self.clock = out, clock
        self.started = clock()
        self.parent = _History(arn)
        self.summary: dict[str, Any] | None = None
        self.map_runs: list[str] = []
        self.listed: dict[str, list[dict[str, Any]]] = {}
        self.children: dict[str, _Child] = {}
        self.waiting_since: float | None = None
        self.last_progress = 0.0
        self.polls = 0

    def poll(self, final: bool = False) -> None:
        for event in self.parent.read_new(self.sfn):
            self._show(None, event)
            if event["type"] == "MapRunStarted":
                self._find_map_runs()
        pacer = self.sfn.pacer
        unread: list[tuple[_Child, dict[str, Any]]] = []
        for map_run in self.map_runs:
            if final or map_run not in self.listed or pacer.available("ListExecutions"):
                self.listed[map_run] = self._list_children(map_run)
            for listed in self.listed[map_run]:
                child = self._child(listed)
                if not child.done:
                    unread.append((child, listed))
        unread.sort(key=lambda pair: pair[0].last_read)  # stable: the oldest start first
        for child, listed in unread if final else unread[:CHILD_READS_PER_POLL]:
            if not final and not pacer.available("GetExecutionHistory"):
                break
            self._follow_child(child, listed, final)
        self.polls += 1

    def _find_map_runs(self) -> None:
        kwargs: dict[str, Any] = {"executionArn": self.parent.arn}
        while True:
            page = self.sfn.list_map_runs(**kwargs)
            for run in page["mapRuns"]:
                if run["mapRunArn"] not in self.map_runs:
                    self.map_runs.append(run["mapRunArn"])
            if not page.get("nextToken"):
                return
            kwargs["nextToken"] = page["nextToken"]

    def _list_children(self, map_run: str) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"mapRunArn": map_run, "maxResults": 1000}
        while True:
            page = self.sfn.list_executions(**kwargs)
            listed.extend(page["executions"])
            if not page.get("nextToken"):
                return sorted(listed, key=lambda c: (c["startDate"], c["executionArn"]))
            kwargs["nextToken"] = page["nextToken"]

    def _child(self, listed: dict[str, Any]) -> _Child:
        arn = listed["executionArn"]
        child = self.children.get(arn)
        if child is None:
            child = self.children[arn] = _Child(_History(arn), listed["startDate"])
        return child

    def _follow_child(self, child: _Child, listed: dict[str, Any], final: bool) -> None:
        child.last_read = self.polls
        finished = listed["status"] in TERMINAL
        for event in child.history.read_new(self.sfn):
            if event["type"] == "ExecutionStarted":
                self._identify(child, event)
            self._show(child, event)
        child.done = finished or final

    def _identify(self, child: _Child, event: dict[str, Any]) -> None:
        raw = event.get("executionStartedEventDetails", {}).get("input") or "{}"
        try:
            item = json.loads(raw).get("item") or {}
        except (ValueError, AttributeError):
            item = {}
        secret = item.get("secretArn") if isinstance(item, dict) else None
        child.secret_arn = str(secret) if secret else None
        label = item.get("label") if isinstance(item, dict) else None
        child.label = str(label or _secret_name(child.secret_arn) or child.history.arn)

    def _show(self, child: _Child | None, event: dict[str, Any]) -> None:
        line, self.summary = _describe(event, self.summary)
        name = _state_name(event)
        if name and event["type"].endswith("StateEntered"):
            waiting = name in WAITING_STATES
            if child is None:
                self.waiting_since = (self.waiting_since or self.clock()) if waiting else None
            else:
                child.waiting_since = (child.waiting_since or self.clock()) if waiting else None
            if waiting:
                return
        if line:
            prefix = f"[{child.label}] " if child is not None else ""
            _say(self.out, f"  [{self.clock() - self.started:6.1f}s] {prefix}{line}")

    def progress(self) -> None:
        now = self.clock()
        waits = [c.waiting_since for c in self.children.values() if c.waiting_since and not c.done]
        waits += [self.waiting_since] if self.waiting_since else []
        if not waits or now - self.last_progress < 2.0:
            return
        longest = now - min(waits)
        what = "the portal restart" if len(waits) == 1 else f"{len(waits)} portal restarts"
        _say(self.out, f"  [{now - self.started:6.1f}s] ... waiting out {what} ({longest:.0f}s)")
        self.last_progress = now

    def result(self, status: str, description: dict[str, Any] | None) -> FollowResult:
        children = sorted(self.children.values(), key=lambda c: (c.start, c.history.arn))
        states = list(self.parent.states)
        portal_states: dict[str, list[str]] = {}
        portal_executions: dict[str, str] = {}
        for child in children:
            states.extend(child.history.states)
            key = child.secret_arn or child.history.arn
            portal_states[key] = list(child.history.states)
            portal_executions[key] = child.history.arn
        largest = max([len(self.parent.events)] + [len(c.history.events) for c in children])
        return FollowResult(
            execution_arn=self.parent.arn,
            status=status,
            summary=self.summary,
            events=largest,
            error=(description or {}).get("error"),
            cause=(description or {}).get("cause"),
            states=states,
            portal_states=portal_states,
            portal_executions=portal_executions,
        )


def follow_execution(
    sfn: Any,
    execution_arn: str,
    *,
    out: TextIO | None = None,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 3600.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Print progress until the execution ends (or ``timeout_seconds`` pass)."""
    out = out or sys.stdout  # looked up per call: a redirected stdout is honoured
    follower = _Follower(sfn, execution_arn, out, clock, sleep)
    while True:
        follower.poll()
        description = follower.sfn.describe_execution(executionArn=execution_arn)
        if description["status"] in TERMINAL:
            follower.poll(final=True)  # what was written since, every child to its end
            return follower.result(description["status"], description)
        follower.progress()
        if clock() - follower.started > timeout_seconds:
            return follower.result("FOLLOW_TIMEOUT", None)
        out.flush()
        sleep(poll_seconds)


def _secret_name(arn: str | None) -> str | None:
    """A secret's name from its ARN (without the six characters Secrets Manager adds)."""
    if not arn or ":secret:" not in arn:
        return arn
    return _SECRET_SUFFIX.sub("", arn.split(":secret:", 1)[1])


def _state_name(event: dict[str, Any]) -> str | None:
    for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
        if key in event:
            return str(event[key].get("name"))
    return None


def _describe(
    event: dict[str, Any], summary: dict[str, Any] | None
) -> tuple[str | None, dict[str, Any] | None]:
    kind = event["type"]
    if kind.endswith("StateEntered"):
        return f"-> {_state_name(event)}", summary
    if kind == "TaskStateExited" and _state_name(event) == "Summarize":
        output = event["stateExitedEventDetails"].get("output")
        return None, json.loads(output) if output else summary
    if kind in ("LambdaFunctionFailed", "TaskFailed", "ExecutionFailed"):
        details: dict[str, Any] = next(
            (v for k, v in event.items() if k.endswith("EventDetails")), {}
        )
        return f"!! {kind}: {details.get('error', '')}", summary
    if kind == "MapIterationStarted":
        index = event.get("mapIterationStartedEventDetails", {}).get("index")
        return f"portal #{index} started", summary
    if kind == "MapRunStarted":
        return "portals started (one child execution each)", summary
    return None, summary


def print_summary(summary: dict[str, Any] | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call: a redirected stdout is honoured
    if not summary:
        _say(out, "  (no summary: the execution ended before the Summarize step)")
        return
    _say(out, f"  outcome: {summary.get('outcome')}   {summary.get('subject', '')}")
    for portal in summary.get("portals", []):
        timings = portal.get("timings", {})
        kind = KINDS.get(str(portal.get("kind")), PORTAL)
        line = (
            f"  - {portal.get('label') or portal.get('portal') or portal.get('secretArn')}: "
            f"{portal.get('status')} ({kind.noun} {portal.get('version', '?')}"
        )
        if "restartSeconds" in timings:
            line += f", restart {timings['restartSeconds']:.1f}s"
        if "totalSeconds" in timings:
            line += f", total {timings['totalSeconds']:.1f}s"
        _say(out, line + ")")
        for change in portal.get("changes", []):
            _say(
                out,
                f"      {change['name']}: {json.dumps(change.get('current'))} -> "
                f"{json.dumps(change.get('desired'))}",
            )
        if portal.get("verification"):
            _say(out, f"      verification: {json.dumps(portal['verification'])}")
        for note in portal.get("notes", []):
            _say(out, f"      note: {note}")
        for warning in portal.get("warnings", []):
            _say(out, f"      warning: {warning.get('name')}: {warning.get('message')}")
        if portal.get("error"):
            error = portal["error"]
            _say(out, f"      error: {error.get('name')}: {error.get('message')}")
            for note in error.get("notes", []):
                _say(out, f"      note: {note}")
    for note in summary.get("notes", []):
        _say(out, f"  note: {note}")


def _say(out: TextIO, line: str) -> None:
    """One line, whatever the text in it holds (no control character reaches ``out``)."""
    out.write(printable(line) + "\n")
