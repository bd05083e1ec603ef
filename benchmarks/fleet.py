"""Fleet: wall time of one execution over N portals against one over a single portal.

One deployment (``MaxConcurrency`` at least N, so every portal of the fleet is in
flight at once, as on AWS) and one emulator whose portals restart for
``--restart-seconds`` (60 by default: a restart long enough that, on AWS, the fleet run
would take about as long as one portal's). In the same process, one after the other:
an execution over one portal, then one over N portals, then (``--warm-rerun``, the
default) the N-portal execution again with the Lambda workers the first one started.
Each is waited for with DescribeExecution (following every child's history, as the
CLI does, would take CPU from the run measured); wall time is the execution's
startDate to stopDate.

CPU and memory: every process of the local run, sampled from /proc every 0.5 s
(``common.TreeUsage``): this one (moto's server and ASL interpreter threads, the
Portal emulator, the benchmark) and every Lambda worker process (one per warm
execution environment). CPU seconds are user+system time used during the execution;
peak memory is the largest sum of RSS over those processes in any sample.

The local Lambda runtime keeps at most ``--max-workers`` warm workers per function
(LocalDeployment's 10 cannot hold a fleet's health polls); beyond that an invocation
waits for a free worker, which on AWS it would not (one execution environment per
concurrent invocation, up to the account's concurrency). Each worker's cold start
(the interpreter, the handler, boto3 and Powertools) costs about 0.8 CPU seconds here,
on the same 2 cores as everything else.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from benchmarks.common import (
    Bench,
    TreeUsage,
    bench_stack,
    children,
    history,
    percentiles,
    save,
    state_entries,
    wait_for,
    wall_seconds,
)

# Short health windows with a free Wait in between: a portal holds a Lambda worker 5 s
# of every 10 s of its restart, so N portals need about N / 2 workers, not N.
TIMING = {
    "recheckSeconds": 0,
    "healthPollSeconds": 0.5,
    "pollWindowSeconds": 5,
    "pollIntervalSeconds": 5,
}
LAG = 0.5
GOAL_RATIO = 1.3


def measure(bench: Bench, arns: list[str], name: str, timeout: float) -> dict[str, Any]:
    payload = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": a} for a in arns],
        "timing": TIMING,
    }
    invocations = len(bench.aws.endpoint.invocations())
    usage = TreeUsage().start()
    try:
        arn = bench.aws.start_execution(payload, name)
        described = wait_for(bench.aws, arn, timeout_seconds=timeout)
    finally:
        used = usage.stop()
    if described["status"] != "SUCCEEDED":
        raise SystemExit(f"{name}: {described['status']} {described.get('cause')}")
    summary = json.loads(described["output"])
    if (summary["total"], summary["failed"]) != (len(arns), 0):
        raise SystemExit(f"{name}: {summary['total']} portals, {summary['failed']} failed")
    records = bench.aws.endpoint.invocations()[invocations:]
    return {
        **phases(bench, arn, described["startDate"].timestamp()),
        "portals": len(arns),
        "wall_seconds": wall_seconds(described),
        **used,
        "cpu_seconds_per_portal": round(used["cpu_seconds"] / len(arns), 2),
        "lambda_invocations": len(records),
        "lambda_cold_starts": sum(1 for r in records if r.cold_start),
    }


def phases(bench: Bench, arn: str, start: float) -> dict[str, Any]:
    """Where a fleet's wall time goes, from each child's history (seconds from the
    execution's start): when the portal's change was made (WaitRecheck entered), when it
    was seen back (the last Verify entered), when its child execution ended."""
    changed, back, ended = [], [], []
    for child in children(bench.aws, arn):
        events = history(bench.aws, child)
        entries = state_entries(events)
        changed.append(min(t for name, t in entries if name == "WaitRecheck") - start)
        back.append(max(t for name, t in entries if name == "Verify") - start)
        ended.append(events[-1]["timestamp"].timestamp() - start)
    return {
        "change_made_at": percentiles(changed),
        "seen_back_at": percentiles(back),
        "child_ended_at": percentiles(ended),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--restart-seconds", type=float, default=60.0)
    parser.add_argument("--max-concurrency", type=int, default=250, help="MaxConcurrency")
    parser.add_argument("--max-workers", type=int, default=30, help="warm workers a function")
    parser.add_argument("--no-warm-rerun", dest="warm_rerun", action="store_false")
    parser.add_argument("--timeout", type=float, default=1200.0, help="per execution")
    args = parser.parse_args(argv)
    runs: dict[str, dict[str, Any]] = {}
    with bench_stack(
        args.portals,
        restart=args.restart_seconds,
        lag=LAG,
        parameters={"MaxConcurrency": str(args.max_concurrency)},
        max_workers=args.max_workers,
    ) as bench:
        arns = list(bench.arns.values())
        runs["1 portal"] = measure(bench, arns[:1], "fleet-1", args.timeout)
        print(json.dumps(runs["1 portal"]), flush=True)
        fleet = f"{len(arns)} portals"
        runs[fleet] = measure(bench, arns, f"fleet-{len(arns)}", args.timeout)
        print(json.dumps(runs[fleet]), flush=True)
        if args.warm_rerun:
            warm = f"{fleet}, warm workers"
            runs[warm] = measure(bench, arns, f"fleet-{len(arns)}-warm", args.timeout)
            print(json.dumps(runs[warm]), flush=True)
    single = runs["1 portal"]["wall_seconds"]
    ratios = {label: round(r["wall_seconds"] / single, 2) for label, r in runs.items()}
    figures = {
        "restart_seconds": args.restart_seconds,
        "restart_lag_seconds": LAG,
        "timing": TIMING,
        "map_max_concurrency": args.max_concurrency,
        "max_workers_per_function": args.max_workers,
        "wall_seconds": {label: r["wall_seconds"] for label, r in runs.items()},
        "ratio_to_1_portal": ratios,
        "goal_ratio": GOAL_RATIO,
        "within_goal": {label: ratio <= GOAL_RATIO for label, ratio in ratios.items()},
        "runs": runs,
    }
    default = (args.portals, args.restart_seconds) == (200, 60.0)
    save("fleet" if default else f"fleet-{args.portals}x{args.restart_seconds:g}s", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
