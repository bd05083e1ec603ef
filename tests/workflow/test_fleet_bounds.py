"""Fleets (issue 11): no execution's history or payload grows with the fleet.

A run over 2 portals and one over 8, read back from the local endpoint: every event of
the parent execution and of each portal's child execution of the Distributed Map
(GetExecutionHistory, every page; the children listed under their map run). The parent's
history has the same events whatever the fleet; each child's history is the same; and
the largest payload of any event, once the portal lists are taken out, is the same: what
grows with the fleet is only the summary's list of portals, which the product caps at
``MAX_LISTED`` entries (the rest goes to the S3 report), and an inline ``portals`` input,
which the input schema caps at 1,000 (a larger fleet is selected with ``select``).

The portals are the 24 ``big`` portals of test_fleets (restart 2 s): one rotation of
their shared key changes nothing that test checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_automation.cli.follow import FollowResult
from portal_automation.workflow.summary import MAX_LISTED

from .conftest import TIMING, Workflow

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

# recheckSeconds 1 > the emulator's restart lag (0.3 s): the first health window starts
# with the portal already down, so every portal takes the same path (one window of 5 s
# sees a 2 s restart end), whatever the scheduling.
BOUNDS_TIMING = {**TIMING, "recheckSeconds": 1}
# Payloads name the run (its execution name: a counter and a time in milliseconds) and
# each portal's secret (a name with a counter): a few characters that differ from run to
# run, not with the fleet.
NAME_SLACK = 32
PAYLOAD_FIELDS = ("input", "output", "parameters", "result")


def history(workflow: Workflow, arn: str) -> list[dict[str, Any]]:
    sfn = workflow.aws.client("stepfunctions")
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


HEALTH_WINDOW_EVENTS = 9
"""The events of one more health window: PollHealth's task, HealthChoice and WaitPoll."""
_HEALTH_LOOP = ("PollHealth", "HealthChoice", "WaitPoll")


def path(events: list[dict[str, Any]]) -> tuple[str, ...]:
    """The states a history entered, in order, the health loop's repeats counted once."""
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]
    collapsed: list[str] = []
    for name in entered:
        if name in _HEALTH_LOOP and name in collapsed[-3:]:
            continue
        collapsed.append(name)
    return tuple(collapsed)


def map_children(workflow: Workflow, arn: str) -> list[str]:
    sfn = workflow.aws.client("stepfunctions")
    found: list[str] = []
    for runs in sfn.get_paginator("list_map_runs").paginate(executionArn=arn):
        for run in runs["mapRuns"]:
            pages = sfn.get_paginator("list_executions").paginate(mapRunArn=run["mapRunArn"])
            found.extend(c["executionArn"] for page in pages for c in page["executions"])
    return found


def payloads(event: dict[str, Any]) -> list[str]:
    """The state inputs and outputs, task parameters and results an event carries."""
    return [
        value
        for key, details in event.items()
        if key.endswith("EventDetails") and isinstance(details, dict)
        for name in PAYLOAD_FIELDS
        if isinstance(value := details.get(name), str)
    ]


def size(text: str) -> int:
    """Bytes as Step Functions counts the 256 KiB quota: UTF-8 of the JSON text."""
    return len(text.encode())


def without_portal_lists(value: Any) -> Any:
    """``value`` with every ``portals`` and ``failedPortals`` list emptied, inside JSON
    text too (the notification's Message is the summary as a JSON string)."""
    if isinstance(value, dict):
        return {
            k: []
            if k in ("portals", "failedPortals") and isinstance(v, list)
            else without_portal_lists(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [without_portal_lists(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(without_portal_lists(json.loads(value)))
        except ValueError:
            return value
    return value


def largest_without_lists(events: list[dict[str, Any]]) -> int:
    return max(
        size(json.dumps(without_portal_lists(json.loads(text))))
        for event in events
        for text in payloads(event)
    )


def largest(events: list[dict[str, Any]]) -> int:
    return max(size(text) for event in events for text in payloads(event))


def fleet_run(workflow: Workflow, contexts: list[str]) -> FollowResult:
    arns = [workflow.secret_for(ctx) for ctx in contexts]
    result = workflow.run(
        {
            "action": "rotate-shared-key",
            "portals": [{"secretArn": arn} for arn in arns],
            "timing": BOUNDS_TIMING,
        }
    )
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.summary is not None
    assert (result.summary["total"], result.summary["failed"]) == (len(arns), 0)
    return result


def test_no_history_or_payload_grows_with_the_fleet(workflow: Workflow) -> None:
    small = fleet_run(workflow, [f"big{i:02d}" for i in range(2)])
    large = fleet_run(workflow, [f"big{i:02d}" for i in range(2, 10)])

    parents = {n: history(workflow, r.execution_arn) for n, r in ((2, small), (8, large))}
    children = {
        n: [history(workflow, arn) for arn in map_children(workflow, r.execution_arn)]
        for n, r in ((2, small), (8, large))
    }
    assert {n: len(c) for n, c in children.items()} == {2: 2, 8: 8}

    # The parent: the same events, one for one, at 2 and at 8 portals.
    assert [e["type"] for e in parents[2]] == [e["type"] for e in parents[8]]
    # Every child: the same path through the states, as long at 2 as at 8 portals. On a
    # loaded machine one child may take one more health window, or have an invocation
    # throttled and retried (events the fleet's size does not decide): the path counts
    # the health loop once, and the lengths may differ by one window's events at most.
    paths = {path(h) for c in children.values() for h in c}
    assert len(paths) == 1, paths
    assert {"Preflight", "ApplyChange", "PollHealth", "Verify", "Finalize"} <= set(*paths)
    lengths = [len(h) for c in children.values() for h in c]
    assert max(lengths) - min(lengths) <= HEALTH_WINDOW_EVENTS, lengths
    child_payloads = [largest(h) for c in children.values() for h in c]
    assert max(child_payloads) - min(child_payloads) <= NAME_SLACK, child_payloads

    # The parent's payloads differ only by the lists of portals, and those are bounded:
    # the summary lists at most MAX_LISTED portals (both fleets are below it, so all).
    assert abs(largest_without_lists(parents[8]) - largest_without_lists(parents[2])) <= (
        NAME_SLACK
    )
    assert len(large.summary["portals"]) == min(8, MAX_LISTED)  # type: ignore[index]
    assert largest(parents[8]) > largest(parents[2])  # the lists are what grows
    for n in (2, 8):
        assert max(largest(parents[n]), *child_payloads) < 256 * 1024
        assert max(len(parents[n]), *(len(h) for h in children[n])) < 25_000
