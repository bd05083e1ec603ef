"""The operator's command line, ``portal-automation``: start and follow runs, and the
fleet's status, against AWS or the local endpoint. It installs with the product alone
(boto3, pydantic): nothing here imports the local tooling or its dependencies.

One subcommand = one entry in COMMANDS: a name, a one-line help, a function that adds
its arguments and a function that runs it and returns the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from . import executions, status


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


def build_parser(
    prog: str = "portal-automation",
    commands: Sequence[Command] = COMMANDS,
    description: str = "Start and follow runs, and see the fleet's status, on AWS or locally.",
) -> argparse.ArgumentParser:
    """One subcommand per command (the local stand-ins' CLI is built the same way)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
