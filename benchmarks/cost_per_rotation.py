"""Cost of one rotation with a long restart: state transitions and Lambda GB-seconds.

Rotates one emulated portal whose restart takes ``--restart-seconds`` (default 300:
five minutes) with the execution defaults (the portal's recheckAfterSeconds, 60 s poll
windows, 5 s between windows). Counts the state transitions Step Functions Standard bills,
of the parent execution AND of the portal's child execution of the Distributed Map (its
own STANDARD execution, billed the same way): every state entered, plus every retry of a
Task (a retry is a transition too; it enters no state again). Sums Lambda billed
duration x memory from the local runtime.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from benchmarks.common import bench_stack, children, history, save, state_entries

PRICE_PER_TRANSITION = 0.000025
PRICE_PER_GB_SECOND_ARM = 0.0000133334
GOAL_TRANSITIONS = 30
SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")


def retries(events: list[dict[str, Any]]) -> int:
    """Task attempts beyond the first of each Task state entered."""
    tasks = sum(1 for e in events if e["type"] == "TaskStateEntered")
    return sum(1 for e in events if e["type"] in SCHEDULED) - tasks


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--restart-seconds", type=float, default=300.0)
    parser.add_argument("--lag-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    with bench_stack(1, restart=args.restart_seconds, lag=args.lag_seconds) as bench:
        before = len(bench.aws.endpoint.invocations())
        payload = {"action": "rotate-shared-key", "portals": [{"secretArn": bench.arns["p000"]}]}
        result = bench.aws.run(payload, "cost", timeout_seconds=args.restart_seconds + 600)
        if result.status != "SUCCEEDED":
            raise SystemExit(f"rotation ended {result.status}: {result.cause}")
        parent = history(bench.aws, result.execution_arn)
        kids = [history(bench.aws, arn) for arn in children(bench.aws, result.execution_arn)]
        invocations = bench.aws.endpoint.invocations()[before:]
    if len(kids) != 1:
        raise SystemExit(f"expected one child execution, found {len(kids)}")
    parent_entries, child_entries = state_entries(parent), state_entries(kids[0])
    retried = {"parent": retries(parent), "child": retries(kids[0])}
    entries = sorted(parent_entries + child_entries, key=lambda e: e[1])
    gb_seconds = sum(i.gb_seconds for i in invocations)
    transitions = len(entries) + sum(retried.values())
    figures = {
        "restart_seconds": args.restart_seconds,
        "state_transitions": transitions,
        "within_goal": transitions <= GOAL_TRANSITIONS,
        "goal": GOAL_TRANSITIONS,
        "parent_transitions": len(parent_entries) + retried["parent"],
        "child_transitions": len(child_entries) + retried["child"],
        "task_retries": retried,
        "parent_states": dict(Counter(name for name, _ in parent_entries)),
        "child_states": dict(Counter(name for name, _ in child_entries)),
        "lambda_invocations": len(invocations),
        "lambda_gb_seconds": round(gb_seconds, 2),
        "estimated_cost_usd": round(
            transitions * PRICE_PER_TRANSITION + gb_seconds * PRICE_PER_GB_SECOND_ARM, 5
        ),
        "wall_seconds": round(entries[-1][1] - entries[0][1], 1),
    }
    save("cost_per_rotation", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
