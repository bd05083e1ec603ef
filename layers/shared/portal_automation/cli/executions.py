"""``portal-automation start`` and ``follow``: drive executions from a terminal.

Against AWS (``--stack-name``, credentials and region from the usual boto3 sources) or
the local endpoint (``--outputs``, the file ``portal-local up`` writes). Runs start
through the state machine's alias (the stack output ``StateMachineAliasArn``), so a run
keeps the version it started on. The input is checked here first, with the model the
first state uses, so a mistake is reported before anything starts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

from pydantic import ValidationError

from ..workflow.models import ExecutionInput
from ..workflow.plan import describe
from .follow import follow_execution, print_summary, start_execution
from .target import Target, add_target_arguments


def add_start_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="execution input JSON file")
    parser.add_argument("--name", help="execution name (default: generated)")
    parser.add_argument("--no-follow", action="store_true", help="start and return")
    parser.add_argument(
        "--state-machine-arn",
        help="where runs start (default: the stack output StateMachineAliasArn)",
    )
    _add_common(parser)


def add_follow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_arn")
    _add_common(parser)


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--timeout", type=float, default=7200.0, help="stop following after (seconds)"
    )


def run_start(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.input.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    try:
        ExecutionInput.model_validate(payload)
    except ValidationError as exc:
        print(f"invalid execution input: {describe(exc)}", file=sys.stderr)
        return 2
    target = Target.from_arguments(args)
    state_machine = (
        args.state_machine_arn
        or target.output("StateMachineAliasArn")
        or target.output("StateMachineArn")
    )
    if not state_machine:
        print("--stack-name, --outputs or --state-machine-arn is required", file=sys.stderr)
        return 2
    sfn = target.client("stepfunctions")
    name = args.name or f"manual-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    arn = start_execution(sfn, state_machine, payload, name)
    print(f"started {arn}")
    if args.no_follow:
        return 0
    return _follow(target, arn, args.timeout)


def run_follow(args: argparse.Namespace) -> int:
    return _follow(Target.from_arguments(args), args.execution_arn, args.timeout)


def _follow(target: Target, arn: str, timeout: float) -> int:
    result = follow_execution(target.client("stepfunctions"), arn, timeout_seconds=timeout)
    print(f"execution {result.status}" + (f": {result.error}" if result.error else ""))
    print_summary(result.summary)
    return 0 if result.status == "SUCCEEDED" else 1
