"""``portal-automation start`` and ``follow``: drive executions from a terminal.

Works against AWS (credentials and region from the usual boto3 sources) or against the
local endpoint (``--outputs`` names the file ``portal-automation local up`` wrote). The
input is checked here first, with the same model the first state uses, so a mistake is
reported before anything starts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from portal_automation.workflow.models import ExecutionInput
from portal_automation.workflow.plan import describe
from pydantic import ValidationError

from portal_local.follow import follow_execution, print_summary


def add_start_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="execution input JSON file")
    parser.add_argument("--name", help="execution name (default: generated)")
    parser.add_argument("--no-follow", action="store_true", help="start and return")
    _add_target_arguments(parser)


def add_follow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_arn")
    _add_target_arguments(parser)


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-machine-arn",
        help="where runs start: the stack output StateMachineAliasArn (StateMachineArn works too)",
    )
    parser.add_argument("--outputs", type=Path, help="outputs file of 'local up'")
    parser.add_argument("--endpoint-url", help="AWS endpoint (default: AWS itself)")
    parser.add_argument("--region", help="AWS region")
    parser.add_argument("--timeout", type=float, default=7200.0, help="stop following after")


def run_start(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.input.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    try:
        ExecutionInput.model_validate(payload)
    except ValidationError as exc:
        print(f"invalid execution input: {describe(exc)}", file=sys.stderr)
        return 2
    sfn, state_machine = _client(args)
    if not state_machine:
        print("--state-machine-arn or --outputs is required", file=sys.stderr)
        return 2
    name = args.name or f"manual-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    arn = sfn.start_execution(stateMachineArn=state_machine, name=name, input=json.dumps(payload))[
        "executionArn"
    ]
    print(f"started {arn}")
    if args.no_follow:
        return 0
    return _follow(sfn, arn, args.timeout)


def run_follow(args: argparse.Namespace) -> int:
    sfn, _ = _client(args)
    return _follow(sfn, args.execution_arn, args.timeout)


def _follow(sfn: Any, arn: str, timeout: float) -> int:
    result = follow_execution(sfn, arn, timeout_seconds=timeout)
    print(f"execution {result.status}" + (f": {result.error}" if result.error else ""))
    print_summary(result.summary)
    return 0 if result.status == "SUCCEEDED" else 1


def _client(args: argparse.Namespace) -> tuple[Any, str | None]:
    endpoint, region, state_machine = args.endpoint_url, args.region, args.state_machine_arn
    if args.outputs:
        outputs = json.loads(args.outputs.read_text())
        endpoint = endpoint or outputs.get("endpoint_url")
        region = region or outputs.get("region")
        stack = outputs.get("outputs", {})
        state_machine = (
            state_machine or stack.get("StateMachineAliasArn") or stack.get("StateMachineArn")
        )
    kwargs: dict[str, Any] = {}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
    if region:
        kwargs["region_name"] = region
    return boto3.client("stepfunctions", **kwargs), state_machine
