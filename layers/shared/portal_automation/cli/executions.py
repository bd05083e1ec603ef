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
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..workflow.models import ExecutionInput
from ..workflow.plan import describe
from . import exits
from .exits import UsageError
from .follow import follow_execution, print_summary, start_execution
from .output import progress_stream, write_json, write_text
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
        "--timeout",
        type=float,
        default=7200.0,
        help=f"stop following after (seconds; exit {exits.STILL_RUNNING}, the run goes on)",
    )


def run_start(args: argparse.Namespace) -> int:
    try:
        payload = json.loads(args.input.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {args.input}: {exc}") from None
    try:
        ExecutionInput.model_validate(payload)
    except ValidationError as exc:
        raise UsageError(f"invalid execution input: {describe(exc)}") from None
    target = Target.from_arguments(args)
    state_machine = (
        args.state_machine_arn
        or target.output("StateMachineAliasArn")
        or target.output("StateMachineArn")
    )
    if not state_machine:
        raise UsageError("--stack-name, --outputs or --state-machine-arn is required")
    sfn = target.client("stepfunctions")
    name = args.name or f"manual-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    arn = start_execution(sfn, state_machine, payload, name)
    print(f"started {arn}", file=progress_stream(args.output))
    if args.no_follow:
        _print_result(args.output, {"executionArn": arn, "status": "RUNNING"}, None)
        return exits.OK
    return _follow(target, arn, args)


def run_follow(args: argparse.Namespace) -> int:
    return _follow(Target.from_arguments(args), args.execution_arn, args)


def _follow(target: Target, arn: str, args: argparse.Namespace) -> int:
    result = follow_execution(
        target.client("stepfunctions"),
        arn,
        out=progress_stream(args.output),
        timeout_seconds=args.timeout,
    )
    document = {
        "executionArn": result.execution_arn,
        "status": result.status,
        "error": result.error,
        "summary": result.summary,
    }
    _print_result(args.output, document, result.summary)
    if result.status == "FOLLOW_TIMEOUT":
        return exits.STILL_RUNNING
    return exits.OK if result.status == "SUCCEEDED" else exits.RUN_FAILED


def _print_result(output: str, document: dict[str, Any], summary: dict[str, Any] | None) -> None:
    if output == "json":
        write_json(document)
    elif output == "text":
        write_text([(document["executionArn"], document["status"], document.get("error"))])
    else:
        error = document.get("error")
        print(f"execution {document['status']}" + (f": {error}" if error else ""))
        if document["status"] != "RUNNING":
            print_summary(summary)
