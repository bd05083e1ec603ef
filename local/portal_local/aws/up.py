"""``portal-local up``: the local AWS endpoint with the stack deployed, until stopped.

Starts :class:`~portal_local.aws.moto_endpoint.LocalAwsEndpoint`, deploys the SAM template
with :func:`~portal_local.aws.deploy.deploy_stack` (SAM transform, then CloudFormation
``CreateStack``), writes what a client needs (endpoint
URL, region, stack outputs, physical ids) as JSON to ``--outputs``, prints how to use it,
and runs until SIGINT or SIGTERM; then stops workers and server, removes the outputs file
(it describes a running endpoint) and exits 0.

Exit codes: 0 stopped by a signal, 1 the endpoint could not start or the deployment
failed, 2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from portal_local.aws.deploy import DEFAULT_STACK_NAME, DeployError, Stack, deploy_stack
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

DEFAULT_PORT = 5000
DEFAULT_OUTPUTS = Path(".local-run/aws-outputs.json")
DEFAULT_RUN_DIR = Path(".local-run/aws")


def build_parser(prog: str = "portal-local up") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run a local AWS endpoint (moto) with the SAM stack deployed and the real Lambda "
            "handlers behind it, until interrupted."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS, help="JSON file to write")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter override (repeatable)",
    )
    parser.add_argument(
        "--function-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="variable added to every function's environment, e.g. REQUESTS_CA_BUNDLE=...",
    )
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    parser.add_argument(
        "--run-dir", type=Path, default=DEFAULT_RUN_DIR, help="function logs and scratch files"
    )
    return parser


def _pairs(items: Sequence[str], what: str, parser: argparse.ArgumentParser) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"{what} must be KEY=VALUE, got {item!r}")
        pairs[key] = value
    return pairs


def outputs_document(endpoint: LocalAwsEndpoint, stack: Stack) -> dict[str, Any]:
    """What ``--outputs`` contains."""
    return {
        "endpoint_url": endpoint.url,
        "region": endpoint.region,
        "account_id": endpoint.account_id,
        "stack_name": stack.name,
        "outputs": stack.outputs,
        "physical_ids": stack.physical_ids,
        "skipped": stack.skipped,
        "notes": stack.notes,
        "logs_dir": str(endpoint.runtime.logs_dir),
        "packages_dir": str(endpoint.packages_dir),
        "pid": os.getpid(),
    }


def _write_atomically(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


def _usage(endpoint: LocalAwsEndpoint, stack: Stack, outputs: Path) -> str:
    lines = [
        f"Local AWS endpoint: {endpoint.url} (region {endpoint.region}, any credentials)",
        f"Stack {stack.name} deployed; outputs written to {outputs}",
    ]
    lines += [f"  {key} = {value}" for key, value in sorted(stack.outputs.items())]
    if stack.skipped:
        lines.append("Not created locally (see 'skipped' in the outputs file):")
        lines += [f"  {logical}: {reason}" for logical, reason in sorted(stack.skipped.items())]
    lines += [
        "",
        "Use it with the AWS CLI:",
        f"  export AWS_ENDPOINT_URL={endpoint.url} AWS_DEFAULT_REGION={endpoint.region}",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        "  aws stepfunctions list-state-machines",
        "or with boto3:",
        f"  boto3.client('stepfunctions', endpoint_url='{endpoint.url}', "
        f"region_name='{endpoint.region}', aws_access_key_id='testing', "
        "aws_secret_access_key='testing')",
        f"Function logs: {endpoint.runtime.logs_dir}",
        "Stop with Ctrl-C (SIGINT) or SIGTERM.",
    ]
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run ``local up``; returns the exit code. ``stop`` (tests, embedding) ends it too."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    parameters = _pairs(args.parameter, "--parameter", parser)
    function_env = _pairs(args.function_env, "--function-env", parser)

    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signals need the main thread
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    # A file left by an earlier run must not be mistaken for this one's.
    with contextlib.suppress(FileNotFoundError):
        args.outputs.unlink()
    try:
        try:
            endpoint = LocalAwsEndpoint(
                args.port, args.run_dir, host=args.host, function_env=function_env
            )
        except OSError as exc:  # typically: the port is taken
            print(f"cannot start on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        with endpoint:
            try:
                stack = deploy_stack(endpoint, args.template, parameters, args.stack_name)
            except (DeployError, OSError) as exc:
                print(f"deployment failed: {exc}", file=sys.stderr)
                return 1
            _write_atomically(args.outputs, outputs_document(endpoint, stack))
            print(_usage(endpoint, stack, args.outputs), file=out, flush=True)
            while not stop.wait(0.5):
                pass
            print("Stopping the local AWS endpoint...", file=out, flush=True)
    finally:
        # The file describes a running endpoint; once stopped it would only mislead.
        with contextlib.suppress(FileNotFoundError):
            args.outputs.unlink()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
