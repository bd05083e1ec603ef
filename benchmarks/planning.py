"""Planning a large run: PlanExecution, the first state (``TimeoutSeconds`` 30), at the
documented maximum of 1,000 named portals and at a ``select`` of 10,000 secrets, against
the local endpoint; and what that projects to on AWS.

Locally: 10,000 portal secrets (tagged) in the endpoint's Secrets Manager, 1,000 of them
(every tenth) named by ARN in one input and all of them selected by tag in another. The deployed
PlanExecutionFunction is invoked as the state machine invokes it (Lambda Invoke, its
role's IAM applied); its duration comes from the local runtime and its Secrets Manager
calls from the endpoint's record of every call a function makes. The planner's own CPU
per call is measured by planning the same inputs in this process with the same adapters
(the calling thread's CPU time: the moto server's threads are not counted).

On AWS (the projection): each call costs the client CPU measured here, stretched by
1,769 MB / the function's memory (Lambda gives a function CPU in proportion to its
memory, one vCPU at 1,769 MB), plus one round trip to Secrets Manager, taken as
``--round-trip-ms`` (15 ms by default: an assumption for a call in the same region);
calls made side by side overlap their round trips, not their CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from typing import Any

from portal_automation.settings import PlanExecutionSettings, load_settings
from portal_automation.wiring import run_ledger, secrets_store, work_store
from portal_automation.workflow.plan import Planner, plan_execution
from portal_local.deployment import SECRET_NAME_PREFIX, LocalDeployment

from benchmarks.common import save

FULL_VCPU_MB = 1769
STATE_TIMEOUT_SECONDS = 30
TAG = {"Key": "bench-fleet", "Value": "planning"}


def _create_secrets(aws: LocalDeployment, count: int) -> list[str]:
    client = aws.client("secretsmanager")
    body = json.dumps({"url": "https://gis.example.com/portal", "username": "u", "password": "p"})

    def create(i: int) -> str:
        answer = client.create_secret(
            Name=f"{SECRET_NAME_PREFIX}plan-{i:05d}", SecretString=body, Tags=[TAG]
        )
        return str(answer["ARN"])

    return [create(i) for i in range(count)]  # one at a time: moto's store is not thread-safe


def _invoke(aws: LocalDeployment, run_input: dict[str, Any], name: str) -> dict[str, Any]:
    """PlanExecution as the state machine invokes it: its duration and its calls."""
    endpoint = aws.endpoint
    calls_before, invocations_before = len(endpoint.aws_calls()), len(endpoint.invocations())
    execution = f"arn:aws:states:{aws.endpoint.region}:123456789012:execution:sm:{name}"
    answer = aws.client("lambda").invoke(
        FunctionName=aws.outputs["PlanExecutionFunctionArn"],
        Payload=json.dumps({"input": run_input, "executionId": execution}).encode(),
    )
    body = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:
        raise SystemExit(f"PlanExecution failed: {body}")
    (record,) = [
        r for r in endpoint.invocations()[invocations_before:] if "PlanExecution" in r.function_name
    ]
    calls = Counter(
        c.operation for c in endpoint.aws_calls()[calls_before:] if "PlanExecution" in c.function
    )
    return {
        "portals": body["portals"],
        "duration_s": round(record.duration_ms / 1000, 2),
        "cold_start": record.cold_start,
        "memory_mb": record.memory_mb,
        "calls": dict(calls),
    }


def _client_cpu(aws: LocalDeployment, run_input: dict[str, Any], name: str) -> dict[str, Any]:
    """The same planning in this process: the calling thread's CPU, and its wall time."""
    config = aws.client("lambda").get_function_configuration(
        FunctionName=aws.outputs["PlanExecutionFunctionArn"]
    )
    os.environ.update(config["Environment"]["Variables"])
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": aws.endpoint.url,
            "AWS_DEFAULT_REGION": aws.endpoint.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
    )
    settings = load_settings(PlanExecutionSettings)
    planner = Planner(settings, secrets_store(), run_ledger(settings), work_store(settings))
    execution = f"arn:aws:states:{aws.endpoint.region}:123456789012:execution:sm:{name}"
    cpu, wall = time.thread_time(), time.perf_counter()
    plan = plan_execution(run_input, execution, planner)
    return {
        "portals": plan["portals"],
        "cpu_s": round(time.thread_time() - cpu, 3),
        "wall_s": round(time.perf_counter() - wall, 2),
    }


def _projection(local: dict[str, Any], cpu: dict[str, Any], round_trip_ms: float) -> dict[str, Any]:
    calls = sum(local["calls"].values())
    secrets_calls = sum(n for op, n in local["calls"].items() if op.startswith("secretsmanager:"))
    stretch = FULL_VCPU_MB / local["memory_mb"]
    cpu_s = cpu["cpu_s"] * stretch
    seconds = cpu_s + secrets_calls * round_trip_ms / 1000
    return {
        "calls": calls,
        "client_cpu_ms_per_call": round(cpu["cpu_s"] * 1000 / max(1, calls), 2),
        "cpu_s_at_memory": round(cpu_s, 2),
        "seconds": round(seconds, 1),
        "margin_to_state_timeout": round(STATE_TIMEOUT_SECONDS / seconds, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--named", type=int, default=1000)
    parser.add_argument("--selected", type=int, default=10_000)
    parser.add_argument("--round-trip-ms", type=float, default=15.0)
    args = parser.parse_args(argv)
    figures: dict[str, object] = {"round_trip_ms_assumed": args.round_trip_ms}
    with LocalDeployment(ca_bundle=None) as aws:
        started = time.perf_counter()
        arns = _create_secrets(aws, max(args.named, args.selected))
        figures["secrets_created_s"] = round(time.perf_counter() - started, 1)
        inputs: dict[str, dict[str, Any]] = {
            "named": {
                "action": "rotate-shared-key",
                # Spread over all of them: the listing finds them only by reading every
                # page, whatever order ListSecrets gives.
                "portals": [{"secretArn": arn} for arn in arns[:: len(arns) // args.named]][
                    : args.named
                ],
            },
            "selected": {
                "action": "rotate-shared-key",
                "select": {"tags": {TAG["Key"]: TAG["Value"]}},
            },
        }
        _invoke(aws, {"action": "rotate-shared-key", "portals": [{"secretArn": arns[0]}]}, "warm")
        for case, run_input in inputs.items():
            local = _invoke(aws, run_input, f"bench-{case}")
            cpu = _client_cpu(aws, run_input, f"bench-{case}-cpu")
            figures[case] = {
                "local": local,
                "in_process": cpu,
                "aws_projection": _projection(local, cpu, args.round_trip_ms),
            }
    save("planning", figures)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
