"""``portal-automation status``: every managed portal secret at a glance.

Reads what the deployment keeps (Secrets Manager's list and rotation data, the ledger's
last outcome per secret; never a secret value) and prints a table, or JSON with
``--output json`` (``--json``), or tab-separated lines with ``--output text``. With
``--max-key-age DAYS`` it exits 3 when any key is older, or of unknown age, so that an
audit pipeline can fail on it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from ..aws.run_ledger import RunLedger
from ..aws.secrets_store import SecretsStore
from ..fleet_status import PortalStatus, fleet_status, key_ages
from ..printable import printable
from .exits import KEYS_OVER_MAX_AGE, OK, UsageError
from .output import write_json, write_text
from .target import Target, add_target_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--secret-arn-prefix", help="default: the stack output SecretArnPrefix")
    parser.add_argument("--runs-table", help="default: the stack output RunsTableName")
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only the secrets with this tag (repeat for several)",
    )
    parser.add_argument(
        "--max-key-age",
        type=float,
        metavar="DAYS",
        help=f"exit {KEYS_OVER_MAX_AGE} when any key is older than DAYS (or of unknown age)",
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up per call: a redirected stdout is honoured
    target = Target.from_arguments(args)
    try:
        tags = dict(_tag(t) for t in args.tag)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    prefix = args.secret_arn_prefix or target.output("SecretArnPrefix")
    table = args.runs_table or target.output("RunsTableName")
    if not prefix or not table:
        raise UsageError(
            "the stack outputs SecretArnPrefix and RunsTableName are needed "
            "(--stack-name or --outputs), or --secret-arn-prefix and --runs-table"
        )
    statuses = fleet_status(
        SecretsStore(target.client("secretsmanager")),
        RunLedger(target.client("dynamodb"), table, 3600),
        prefix,
        tags=tags,
    )
    ages = key_ages(statuses, args.max_key_age) if args.max_key_age is not None else None
    if args.output == "json":
        document: dict[str, Any] = {"portals": [s.as_json() for s in statuses]}
        if ages is not None:
            document["keyAges"] = ages.as_json()
        write_json(document, out)
    elif args.output == "text":
        write_text([_row(s, time.time()) for s in statuses], out)
    else:
        out.write(render_table(statuses))
        if ages is not None:
            out.write(
                f"\n{len(ages.over)} of {ages.portals} keys older than {args.max_key_age:g} "
                "days or of unknown age\n"
            )
    return KEYS_OVER_MAX_AGE if ages is not None and ages.over else OK


COLUMNS = (
    "SECRET",
    "LABEL",
    "KIND",
    "VERSION",
    "KEY AGE",
    "LAST RUN",
    "OUTCOME",
    "DRIFT",
    "NEXT ROTATION",
)


def render_table(statuses: Sequence[PortalStatus], now: float | None = None) -> str:
    """One line a portal; every cell ``printable`` (FAULTS row 50)."""
    now = time.time() if now is None else now
    rows = [COLUMNS] + [tuple(map(printable, _row(s, now))) for s in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _row(status: PortalStatus, now: float) -> tuple[str, ...]:
    run = status.last_run or {}
    outcome = str(run.get("status", "-"))
    if run.get("error"):
        outcome += f" ({run['error']})"
    if status.key_age_days is None:
        age = "unknown"
    else:
        age = f"{status.key_age_days:.0f} d" + (
            "" if status.key_age_source == "run" else " (Secrets Manager)"
        )
    drift = "-"
    if status.drift is not None:
        changes = status.drift.get("changes") or []
        drift = ", ".join(changes) if changes else "none"
    return (
        status.name,
        status.label or "-",
        status.kind or "-",
        status.version or "-",
        age,
        f"{_when(run.get('at'), now)} {run.get('action', '')}".strip() if run else "never",
        outcome,
        drift,
        _date(status.next_rotation) if status.rotation_enabled else "not scheduled",
    )


def _when(at: Any, now: float) -> str:
    if not isinstance(at, int | float):
        return "-"
    days = (now - at) / 86_400
    return f"{days:.0f} d ago" if days >= 1 else f"{(now - at) / 3600:.0f} h ago"


def _date(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch)) if epoch else "-"


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--tag {text!r}: expected KEY=VALUE")
    return key, value
