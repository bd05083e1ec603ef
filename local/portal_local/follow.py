"""Start and follow Step Functions executions from a terminal, against AWS or local.

``follow`` reads the execution history as it grows and prints one line per state
entered, a progress line while the portal restarts, and the final outcome with the
per-portal summary. It reads only what the history holds, which by design never
contains a secret.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

WAITING_STATES = frozenset({"WaitRecheck", "PollHealth", "HealthChoice", "WaitPoll"})
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass
class FollowResult:
    execution_arn: str
    status: str
    summary: dict[str, Any] | None
    events: int
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)


def start_execution(sfn: Any, state_machine_arn: str, payload: dict[str, Any], name: str) -> str:
    answer = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
    )
    return str(answer["executionArn"])


def follow_execution(
    sfn: Any,
    execution_arn: str,
    *,
    out: TextIO = sys.stdout,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 3600.0,
    clock: Callable[[], float] = time.monotonic,
) -> FollowResult:
    """Print progress until the execution ends (or ``timeout_seconds`` pass)."""
    started = clock()
    seen = 0
    states: list[str] = []
    summary: dict[str, Any] | None = None
    waiting_since: float | None = None
    last_progress = 0.0
    while True:
        events = _history(sfn, execution_arn)
        for event in events[seen:]:
            line, summary = _describe(event, summary)
            name = _state_name(event)
            if name and event["type"].endswith("StateEntered"):
                states.append(name)
                if name in WAITING_STATES:
                    waiting_since = waiting_since or clock()
                    continue
                waiting_since = None
            if line:
                out.write(f"  [{clock() - started:6.1f}s] {line}\n")
        seen = len(events)
        description = sfn.describe_execution(executionArn=execution_arn)
        status = description["status"]
        if status in TERMINAL:
            return FollowResult(
                execution_arn=execution_arn,
                status=status,
                summary=summary,
                events=seen,
                error=description.get("error"),
                cause=description.get("cause"),
                states=states,
            )
        now = clock()
        if waiting_since is not None and now - last_progress >= 2.0:
            out.write(
                f"  [{now - started:6.1f}s] ... waiting out the portal restart "
                f"({now - waiting_since:.0f}s)\n"
            )
            last_progress = now
        if now - started > timeout_seconds:
            return FollowResult(
                execution_arn=execution_arn,
                status="FOLLOW_TIMEOUT",
                summary=summary,
                events=seen,
                states=states,
            )
        out.flush()
        time.sleep(poll_seconds)


def _history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events
        kwargs["nextToken"] = token


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
    return None, summary


def print_summary(summary: dict[str, Any] | None, out: TextIO = sys.stdout) -> None:
    if not summary:
        out.write("  (no summary: the execution ended before the Summarize step)\n")
        return
    out.write(f"  outcome: {summary.get('outcome')}   {summary.get('subject', '')}\n")
    for portal in summary.get("portals", []):
        timings = portal.get("timings", {})
        line = (
            f"  - {portal.get('label') or portal.get('portal') or portal.get('secretArn')}: "
            f"{portal.get('status')} (portal {portal.get('version', '?')}"
        )
        if "restartSeconds" in timings:
            line += f", restart {timings['restartSeconds']:.1f}s"
        if "totalSeconds" in timings:
            line += f", total {timings['totalSeconds']:.1f}s"
        line += ")"
        out.write(line + "\n")
        for change in portal.get("changes", []):
            out.write(
                f"      {change['name']}: {json.dumps(change.get('current'))} -> "
                f"{json.dumps(change.get('desired'))}\n"
            )
        if portal.get("verification"):
            out.write(f"      verification: {json.dumps(portal['verification'])}\n")
        if portal.get("error"):
            error = portal["error"]
            out.write(f"      error: {error.get('name')}: {error.get('message')}\n")
            for note in error.get("notes", []):
                out.write(f"      note: {note}\n")
