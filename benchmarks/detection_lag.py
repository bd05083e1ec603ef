"""Detection lag: from the portal being healthy again to the workflow's verification.

Runs N rotations, one per emulated portal, whose restarts differ by fractions of the
health poll interval so that they end at every phase of the poll, with the execution
defaults for polling (healthPollSeconds 1, pollWindowSeconds 60, pollIntervalSeconds 5),
and measures, per rotation, the time from the moment the emulator's restart ended to
the moment the state machine entered the Verify state that proved the new key. While the
portal does not answer, PollHealth polls every ``downPollSeconds`` (0.2 s by default;
``--down-poll-seconds 1`` polls as before issue 19).
Esri's DSC polls every 5 s and Chef every 10 s: their expected lag is half that or more.

The HA case does the same with portals of two machines behind a load balancer, whose
standby restarts ``--standby-delay`` seconds after the primary is back: the lag runs
from the *last* machine being healthy again to Verify entered.
"""

from __future__ import annotations

import argparse
import json

from portal_automation.workflow.models import Timing

from benchmarks.common import bench_stack, history, percentiles, save, state_entries


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--restart-seconds", type=float, default=4.0)
    parser.add_argument("--lag-seconds", type=float, default=1.0)
    parser.add_argument("--health-poll-seconds", type=float, default=1.0)
    parser.add_argument(
        "--down-poll-seconds",
        type=float,
        default=None,
        help="default: the execution default (0.2); 1 polls as before issue 19",
    )
    parser.add_argument("--standby-delay", type=float, default=3.0)
    args = parser.parse_args(argv)
    figures: dict[str, object] = {
        "what": "seconds from the portal (HA: its last machine) healthy again to Verify entered",
        "restart_seconds": args.restart_seconds,
        "lag_seconds": args.lag_seconds,
        "health_poll_seconds": args.health_poll_seconds,
        "down_poll_seconds": args.down_poll_seconds or Timing().down_poll_seconds,
        "standby_delay_seconds": args.standby_delay,
    }
    for case, machines in (("single", 1), ("ha", 2)):
        lags = _lags(args, machines)
        figures[case] = {"detection_lag": percentiles(lags), "samples": [round(x, 3) for x in lags]}
    save("detection_lag", figures)
    print(json.dumps(figures, indent=2))
    return figures


def _lags(args: argparse.Namespace, machines: int) -> list[float]:
    lags: list[float] = []
    extra = (
        {"machines": 2, "standby_restart_delay_seconds": args.standby_delay} if machines > 1 else {}
    )
    with bench_stack(
        args.runs,
        restart=args.restart_seconds,
        lag=args.lag_seconds,
        restart_spread=args.health_poll_seconds,
        **extra,
    ) as bench:
        for run, (context, arn) in enumerate(bench.arns.items()):
            portal = bench.emulator.portal(context)
            payload = {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": arn}],
                "timing": {
                    "recheckSeconds": 0,
                    "healthPollSeconds": args.health_poll_seconds,
                    **(
                        {"downPollSeconds": args.down_poll_seconds}
                        if args.down_poll_seconds
                        else {}
                    ),
                },
            }
            result = bench.aws.run(payload, f"lag-{machines}-{run}", timeout_seconds=600)
            if result.status != "SUCCEEDED":
                raise SystemExit(f"run {run} ended {result.status}: {result.cause}")
            (child,) = result.portal_executions.values()  # Verify runs in the portal's child
            verify_entered = [
                t for name, t in state_entries(history(bench.aws, child)) if name == "Verify"
            ][-1]
            came_up = portal.came_up_at  # HA: when the last machine came up
            assert came_up is not None
            lags.append(verify_entered - came_up)
    return lags


if __name__ == "__main__":
    main()
