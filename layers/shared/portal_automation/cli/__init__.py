"""The operator's command line, ``portal-automation``: start and follow runs, and the
fleet's status, against AWS or the local endpoint. It installs with the product alone
(boto3, pydantic): nothing here imports the local tooling or its dependencies.

One subcommand = one entry in COMMANDS: a name, a one-line help, a function that adds
its arguments and a function that runs it and returns the exit code. As in the AWS CLI,
``--output``, ``--profile``, ``--region`` and ``--debug`` go before or after the
subcommand; an error the CLI expects (no credentials, access denied, no such stack or
execution) is one line on stderr and an exit code of its own (:mod:`.exits`), and
``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NamedTuple

from . import executions, exits, status
from .output import OUTPUTS

DISTRIBUTION = "arcgis-portal-security-automation"


class Command(NamedTuple):
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: list[Command] = [
    Command(
        "start",
        "start a run from an execution input file, and follow it",
        executions.add_start_arguments,
        executions.run_start,
    ),
    Command(
        "follow",
        "follow a run until it ends, state by state, portal by portal",
        executions.add_follow_arguments,
        executions.run_follow,
    ),
    Command(
        "status",
        "every managed portal: key age, last run, drift, next rotation",
        status.add_arguments,
        status.run,
    ),
]

# Options every command takes, before or after its name: (flags, argparse keywords).
DEBUG_OPTION: tuple[tuple[str, ...], dict[str, object]] = (
    ("--debug",),
    {"action": "store_true", "help": "print the traceback of an error"},
)
AWS_OPTIONS: list[tuple[tuple[str, ...], dict[str, object]]] = [
    (("--output",), {"choices": OUTPUTS, "help": "table (default), json or text"}),
    (
        ("--json",),
        {"action": "store_const", "const": "json", "dest": "output", "help": "--output json"},
    ),
    (("--profile",), {"help": "AWS profile (default: the environment's)"}),
    (("--region",), {"help": "AWS region (default: the environment's)"}),
]
DEFAULTS = {"output": "table", "profile": None, "region": None, "debug": False}


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "unknown (not installed)"


def _add_global_options(parser: argparse.ArgumentParser, aws: bool) -> None:
    group = parser.add_argument_group("global options")
    for flags, keywords in [DEBUG_OPTION, *(AWS_OPTIONS if aws else [])]:
        # SUPPRESS: an option given before the command is not reset by the subparser.
        group.add_argument(*flags, default=argparse.SUPPRESS, **keywords)  # type: ignore[arg-type]


def build_parser(
    prog: str = "portal-automation",
    commands: Sequence[Command] = COMMANDS,
    description: str = "Start and follow runs, and see the fleet's status, on AWS or locally.",
    *,
    aws_options: bool = True,
) -> argparse.ArgumentParser:
    """One subcommand per command (the local stand-ins' CLI is built the same way, without
    the AWS options)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Exit codes: see README 'The operator CLI'.",
    )
    parser.add_argument("--version", action="version", version=f"{prog} {version()}")
    _add_global_options(parser, aws_options)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        _add_global_options(sub, aws_options)
        sub.set_defaults(run=command.run)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    args = parser.parse_args(argv)
    for name, default in DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    try:
        result: int = args.run(args)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the CLI's last word
        known = exits.explain(exc)
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        code, reason = known or (exits.FAILED, f"unexpected error: {type(exc).__name__}: {exc}")
        hint = "" if args.debug or known else " (--debug shows the traceback)"
        print(f"{parser.prog}: {reason}{hint}", file=sys.stderr)
        return code
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
