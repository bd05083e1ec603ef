"""Fleet: wall time of one execution over N portals against one over a single portal."""

from __future__ import annotations

import argparse
import json

from benchmarks.common import bench_stack, save

TIMING = {"recheckSeconds": 0, "healthPollSeconds": 0.5, "pollWindowSeconds": 30}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=20)
    parser.add_argument("--restart-seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    walls: dict[str, float] = {}
    with bench_stack(args.portals, restart=args.restart_seconds, lag=0.5) as bench:
        arns = list(bench.arns.values())
        sfn = bench.aws.client("stepfunctions")
        for label, targets in (("1 portal", arns[:1]), (f"{len(arns)} portals", arns)):
            payload = {
                "action": "rotate-shared-key",
                "portals": [{"secretArn": a} for a in targets],
                "timing": TIMING,
            }
            result = bench.aws.run(payload, f"fleet-{len(targets)}", timeout_seconds=900)
            described = sfn.describe_execution(executionArn=result.execution_arn)
            if result.status != "SUCCEEDED":
                raise SystemExit(f"{label}: {result.status} {result.cause}")
            walls[label] = round(
                (described["stopDate"] - described["startDate"]).total_seconds(), 2
            )
    figures = {
        "restart_seconds": args.restart_seconds,
        "map_max_concurrency": 10,
        "wall_seconds": walls,
    }
    save("fleet", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
