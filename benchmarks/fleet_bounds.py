"""Fleet bounds: the largest history and the largest payload of any execution of a run, at
10, 50 and 200 portals, and what they become at 10,000 portals with 15-minute restarts.

One deployment, one emulator. Each fleet is one execution that selects its portals by a
tag of their credentials secrets (``select``: how a fleet too large to list inline, past
the input's 1,000 portals, is rotated). For every execution of the run (the parent and
each portal's child execution of the Distributed Map, listed through ListMapRuns and
ListExecutions by map run) it reads the whole history (GetExecutionHistory, every page)
and counts its events and its largest payload: the largest ``input``, ``output``,
``parameters`` or ``result`` of any event, in bytes of UTF-8, as Step Functions counts its
256 KiB quota.

A child's history grows with the restart only: one PollHealth window (Task, Choice, Wait:
a fixed number of events) per ``pollWindowSeconds + pollIntervalSeconds`` of restart. Two
more portals with longer restarts (``--calibration-restarts``) give more windows, so the
events per window and the fixed part are fitted from measured children (and every child
measured must lie on that line). The projection then counts the windows a restart of
``--project-restart-seconds`` takes with the execution defaults (models.Timing) and sets
the result against the 25,000-event quota, and the parent's figures (constant in the
fleet size beyond the summary's MAX_LISTED portals) against the 256 KiB quota.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from typing import Any

from portal_automation.workflow.models import Timing
from portal_automation.workflow.summary import MAX_LISTED
from portal_local.aws.moto_workarounds import MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES

from benchmarks.common import Bench, RunSizes, bench_stack, run_sizes, save, wait_for, wall_seconds

LAG = 0.3
# recheckSeconds 1 > the restart lag: the first window starts with the portal already
# down, so every portal takes the same path (no Verify finding the old process alive).
TIMING = {
    "recheckSeconds": 1,
    "healthPollSeconds": 0.5,
    "pollWindowSeconds": 2,
    "pollIntervalSeconds": 2,
    "maxRestartSeconds": 300,
}
# What a real portal answers in recheckAfterSeconds (Esri's documented answer; the
# execution's recheckSeconds defaults to it).
PORTAL_RECHECK_SECONDS = 10
# Events of one more PollHealth window, from the ASL: PollHealth (a Lambda Task:
# TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
# LambdaFunctionSucceeded, TaskStateExited), HealthChoice (ChoiceStateEntered/Exited),
# WaitPoll (WaitStateEntered/Exited). The fit must find the same.
ASL_EVENTS_PER_WINDOW = 5 + 2 + 2


def windows(restart: float, *, recheck: float, window: float, interval: float) -> int:
    """PollHealth invocations until a portal back ``restart`` s after the change is seen:
    window j covers [recheck + j (window + interval), ... + window]."""
    late = max(0.0, restart - recheck - window)
    return 1 + math.ceil(late / (window + interval))


def restart_for_windows(count: float, *, recheck: float, window: float, interval: float) -> float:
    """The longest restart that ``count`` windows still see the end of."""
    return recheck + window + (count - 1) * (window + interval)


def tag_fleets(bench: Bench, fleets: list[int]) -> None:
    """Tag ``bounds<n>=yes`` on the first n portals' secrets, ``boundsx=yes`` on the
    calibration portals'."""
    sm = bench.aws.client("secretsmanager")
    for ctx, arn in bench.arns.items():
        if ctx.startswith("x"):
            tags = [{"Key": "boundsx", "Value": "yes"}]
        else:
            index = int(ctx[1:])
            tags = [{"Key": f"bounds{n}", "Value": "yes"} for n in fleets if index < n]
        sm.tag_resource(SecretId=arn, Tags=tags)


def rotate(bench: Bench, tag: str, expected: int, timeout: float) -> tuple[float, RunSizes]:
    payload = {"action": "rotate-shared-key", "select": {"tags": {tag: "yes"}}, "timing": TIMING}
    arn = bench.aws.start_execution(payload, f"{tag}-{int(time.time())}")
    described = wait_for(bench.aws, arn, timeout_seconds=timeout)
    if described["status"] != "SUCCEEDED":
        raise SystemExit(f"{tag}: {described['status']} {described.get('cause')}")
    summary = json.loads(described["output"])
    if (summary["total"], summary["failed"]) != (expected, 0):
        raise SystemExit(f"{tag}: {summary['total']} portals, {summary['failed']} failed")
    return wall_seconds(described), run_sizes(bench.aws, arn)


def fit(points: list[tuple[int, int]]) -> tuple[float, float, int]:
    """Least squares events = fixed + per_window * windows; and the largest distance of a
    measured child from that line (0: every child on it)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if len(set(xs)) < 2:
        raise SystemExit(f"every child took {xs[0]} windows: nothing to fit")
    slope = statistics.covariance(xs, ys) / statistics.variance(xs)
    fixed = statistics.fmean(ys) - slope * statistics.fmean(xs)
    off = max(abs(y - (fixed + slope * x)) for x, y in points)
    return fixed, slope, round(off)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fleets", default="10,50,200", help="fleet sizes, comma-separated")
    parser.add_argument("--restart-seconds", type=float, default=3.0)
    parser.add_argument("--calibration-restarts", default="12,24")
    parser.add_argument("--max-workers", type=int, default=20, help="warm workers a function")
    parser.add_argument("--project-portals", type=int, default=10_000)
    parser.add_argument("--project-restart-seconds", type=float, default=900.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="per execution")
    args = parser.parse_args(argv)
    fleets = sorted(int(n) for n in args.fleets.split(","))
    calibration = [float(s) for s in args.calibration_restarts.split(",") if s]
    runs: dict[str, Any] = {}
    sizes: dict[int, RunSizes] = {}
    walls: dict[int, float] = {}
    with bench_stack(
        fleets[-1],
        restart=args.restart_seconds,
        lag=LAG,
        parameters={"MaxConcurrency": str(max(fleets[-1], 1))},
        max_workers=args.max_workers,
        extra_restarts=calibration,
    ) as bench:
        tag_fleets(bench, fleets)
        arn_bytes = max(len(a) for a in bench.arns.values())
        for n in fleets:
            walls[n], sizes[n] = rotate(bench, f"bounds{n}", n, args.timeout)
            runs[str(n)] = {"wall_seconds": walls[n], **sizes[n].summary()}
            print(f"{n} portals: {json.dumps(runs[str(n)]['parent'])[:200]}", flush=True)
        calibrated = rotate(bench, "boundsx", len(calibration), args.timeout)[1]
    points = [
        (c.states.get("PollHealth", 0), c.events)
        for run in [*sizes.values(), calibrated]
        for c in run.children
    ]
    fixed, per_window, off_line = fit(points)
    defaults = Timing()
    timing = {
        "recheck": float(PORTAL_RECHECK_SECONDS),
        "window": float(defaults.poll_window_seconds),
        "interval": float(defaults.poll_interval_seconds),
    }
    restart = args.project_restart_seconds
    child_windows = windows(restart, **timing)
    child_events = round(fixed + per_window * child_windows)
    quota_windows = (MAX_HISTORY_EVENTS - fixed) / per_window
    parents = {n: sizes[n].parent for n in fleets}
    children_payload = max(c.largest_payload for s in sizes.values() for c in s.children)
    beyond = [n for n in fleets if n >= MAX_LISTED]
    parent_payload = max(parents[n].largest_payload for n in fleets)
    # A portal's own work (outside the restart wait) in the last run, on warm workers with
    # two portals in flight: what it costs on AWS, less the cold starts here.
    work = statistics.median(c.work_seconds for c in calibrated.children)
    cold_work = statistics.median(c.work_seconds for c in sizes[fleets[0]].children)
    # Seen back within one health poll (the window the restart ends in polls each second).
    per_portal = restart + defaults.health_poll_seconds + work
    projection = {
        "portals": args.project_portals,
        "restart_seconds": restart,
        "timing (execution defaults)": timing,
        "child_poll_windows": child_windows,
        "child_history_events": child_events,
        "child_history_headroom": f"{MAX_HISTORY_EVENTS / child_events:.0f}x "
        f"({MAX_HISTORY_EVENTS - child_events} events to spare)",
        "longest_restart_within_quota_seconds": round(
            restart_for_windows(math.floor(quota_windows), **timing)
        ),
        "longest_restart_within_quota_fastest_polling_seconds": round(
            restart_for_windows(
                math.floor(quota_windows), recheck=0, window=1, interval=0
            )  # pollWindowSeconds 1, pollIntervalSeconds 0: the input's minimums
        ),
        "child_largest_payload_bytes": children_payload,
        "child_payload_headroom": f"{MAX_PAYLOAD_BYTES / children_payload:.0f}x",
        "parent_history_events": parents[fleets[-1]].events,
        "parent_history_headroom": f"{MAX_HISTORY_EVENTS / parents[fleets[-1]].events:.0f}x",
        "parent_largest_payload_bytes": parent_payload,
        "parent_payload_headroom": f"{MAX_PAYLOAD_BYTES / parent_payload:.1f}x "
        f"({MAX_PAYLOAD_BYTES - parent_payload} bytes to spare)",
        "inline_input_bytes_per_portal": arn_bytes + len('{"secretArn": ""}, '),
        "aws_wall_time": {
            "per_portal_seconds": round(per_portal),
            "per_portal_work_seconds (median, warm workers, 2 portals in flight)": round(work, 1),
            f"per_portal_work_seconds ({fleets[0]} portals, cold workers)": round(cold_work, 1),
            "how": "ceil(portals / MaxConcurrency) waves x (restart + health poll + work); "
            "each portal in flight holds one Lambda at a time, so MaxConcurrency Lambdas",
            **{
                f"MaxConcurrency {c}": _duration(math.ceil(args.project_portals / c) * per_portal)
                for c in (20, 200, 1000)
            },
        },
    }
    figures = {
        "what": "largest history (events) and payload (bytes) of any execution of one run",
        "restart_seconds": args.restart_seconds,
        "restart_lag_seconds": LAG,
        "timing": TIMING,
        "max_workers_per_function": args.max_workers,
        "quotas": {"history_events": MAX_HISTORY_EVENTS, "payload_bytes": MAX_PAYLOAD_BYTES},
        "runs": runs,
        "parent_constant": {
            "history_events": {n: parents[n].events for n in fleets},
            "largest_payload_bytes": {n: parents[n].largest_payload for n in fleets},
            "largest_payload_at": {n: parents[n].largest_payload_at for n in fleets},
            "note": f"the summary lists at most {MAX_LISTED} portals (the rest: the S3 "
            f"report), so the parent's payload is the same for every fleet of "
            f"{MAX_LISTED} or more: {beyond}",
        },
        "child_history_fit": {
            "fixed_events": round(fixed, 2),
            "events_per_poll_window": round(per_window, 2),
            "asl_events_per_poll_window": ASL_EVENTS_PER_WINDOW,
            "largest_distance_of_a_child_from_the_line": off_line,
            "children_measured": len(points),
            "windows_seen": sorted({p[0] for p in points}),
        },
        "projection": projection,
    }
    default = fleets == [10, 50, 200]
    save("fleet_bounds" if default else "fleet_bounds-" + "-".join(map(str, fleets)), figures)
    print(json.dumps(figures, indent=2, default=str))
    return figures


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


if __name__ == "__main__":
    main()
