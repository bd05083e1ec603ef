"""First state: validate the execution input and turn it into one item per portal.

The portals are named (every secret resolved to its full ARN with DescribeSecret, so
one secret named by its full and by its partial ARN is one portal: one lock, one
change, FAULTS row 36) or selected by tag and name prefix (ListSecrets, paginated,
always inside the deployment's SecretArnPrefix). What the run asked is stored once in
the ledger (``run_record``); the items go to a manifest in the work bucket, which the
Map reads, so the execution's state does not grow with the fleet. Nothing here
contacts a portal.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from ..domain.security_config import validate_desired
from ..errors import (
    InvalidExecutionInput,
    InvalidSecurityConfig,
    PortalAutomationError,
    SecretAccessDenied,
    SecretNotFound,
)
from ..ports import LedgerPort, SecretsPort, WorkStorePort
from ..settings import PlanExecutionSettings
from .locks import renewal_gap
from .models import (
    ExecutionInput,
    PortalItem,
    PortalTarget,
    Selection,
    Timing,
    dump,
    secret_name_prefix,
)

_VERSION_NAMESPACE: Final = uuid.UUID("6f1c9d64-7a52-4c1e-9a1e-2f0b1f6f4a11")


@dataclass(frozen=True)
class Planner:
    settings: PlanExecutionSettings
    secrets: SecretsPort
    ledger: LedgerPort
    work: WorkStorePort


def rotation_version_id(execution_id: str, secret_arn: str) -> str:
    """The secret version a rotation of ``secret_arn`` in this execution writes: the same
    on every attempt of the execution, so a resumed run finds the key it stored."""
    return str(uuid.uuid5(_VERSION_NAMESPACE, f"{execution_id}|{secret_arn}"))


def manifest_key(run_id: str) -> str:
    return f"manifests/{run_id}.json"


def plan_execution(raw: Any, execution_id: str, planner: Planner) -> dict[str, Any]:
    """Store the run and its manifest; return what the Map needs, or raise naming every
    problem of the input."""
    request = parse_input(raw)
    problems: list[str] = []
    targets = _targets(request, planner, problems)
    if request.security_config is not None:
        try:
            validate_desired(request.security_config)
        except InvalidSecurityConfig as exc:
            problems.append(exc.message)
    timing = _timing(request.timing, planner.settings, problems)
    if not problems and not targets:
        problems.append("the selection matched no portal secret")
    if problems:
        raise InvalidExecutionInput("invalid execution input: " + "; ".join(problems))
    run_id = execution_id.rsplit(":", 1)[-1]
    items = [
        dump(
            PortalItem(
                secret_arn=target.secret_arn,
                label=target.label,
                action=request.action,
                dry_run=request.dry_run,
                timing=timing,
                run_id=run_id,
                version_id=request.rotation_token
                or rotation_version_id(execution_id, target.secret_arn),
            )
        )
        for target in targets
    ]
    key = manifest_key(run_id)
    planner.work.put_json(key, items)
    run = {
        "runId": run_id,
        "action": request.action,
        "dryRun": request.dry_run,
        "source": request.source,
        "securityConfig": request.security_config,
        "proxyHostsMode": request.proxy_hosts_mode,
        "portals": len(items),
        "manifest": key,
        "startedAt": round(time.time(), 3),
    }
    planner.ledger.put_run(run_id, run)
    return {
        "runId": run_id,
        "action": request.action,
        "dryRun": request.dry_run,
        "source": request.source,
        "portals": len(items),
        "manifest": {"Bucket": planner.settings.work_bucket, "Key": key},
    }


def parse_input(raw: Any) -> ExecutionInput:
    if not isinstance(raw, dict):
        kind = "null" if raw is None else type(raw).__name__
        raise InvalidExecutionInput(
            f"invalid execution input: a JSON object is required, not {kind}"
        )
    try:
        return ExecutionInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidExecutionInput(f"invalid execution input: {describe(exc)}") from None


def _targets(request: ExecutionInput, planner: Planner, problems: list[str]) -> list[PortalTarget]:
    if request.select is not None:
        return _selected(request.select, planner, problems)
    prefix = planner.settings.secret_arn_prefix
    inside = []
    for target in request.portals or []:
        if target.secret_arn.startswith(prefix):
            inside.append(target)
        else:
            problems.append(
                f"portal secret {target.secret_arn} is outside the secrets this deployment "
                f"may read ({prefix}*)"
            )
    listed = _listed_arns(inside, planner) if len(inside) > DESCRIBE_AT_MOST else _Listed()
    targets: list[PortalTarget] = []
    named_as: dict[str, str] = {}  # full ARN -> how the input first named it
    for target in inside:
        arn = listed.full_arn(target.secret_arn)
        resolved = (
            target.model_copy(update={"secret_arn": arn})
            if arn
            else _resolve(target, planner.secrets, problems)
        )
        if resolved is None:
            continue
        first = named_as.setdefault(resolved.secret_arn, target.secret_arn)
        if first != target.secret_arn:
            problems.append(
                f"portals names the secret {resolved.secret_arn} more than once "
                f"({first} and {target.secret_arn})"
            )
        targets.append(resolved)
    return targets


# Resolving a named secret to its full ARN takes a DescribeSecret each: about 4 ms of
# the client's CPU a call, stretched sevenfold at 256 MB, plus a round trip, so 1,000
# named portals took 30-40 s against PlanExecution's 30 s. Past DESCRIBE_AT_MOST named,
# the secrets under the prefix are listed first, 100 a call (benchmarks/planning.py);
# ListSecrets may not show the last five minutes' changes, so what it does not list is
# described as before. The listing stops once every named secret is found, or after
# one page per LISTED_PER_NAMED named ones (a prefix holding far more secrets than the
# run names), so a run never makes many more calls than describing each would.
DESCRIBE_AT_MOST: Final = 10
LISTED_PER_NAMED: Final = 10


@dataclass
class _Listed:
    """Full ARNs of listed secrets, by full ARN and by name (a partial ARN's tail)."""

    by_arn: set[str] = field(default_factory=set)
    by_name: dict[str, str] = field(default_factory=dict)

    def full_arn(self, named: str) -> str | None:
        if named in self.by_arn:
            return named
        return self.by_name.get(named.split(":secret:", 1)[1])

    def add(self, entry: dict[str, Any]) -> None:
        self.by_arn.add(str(entry["ARN"]))
        self.by_name.setdefault(str(entry["Name"]), str(entry["ARN"]))


def _listed_arns(targets: list[PortalTarget], planner: Planner) -> _Listed:
    listed = _Listed()
    pages = -(-len(targets) // LISTED_PER_NAMED) + 1
    name_prefix = secret_name_prefix(planner.settings.secret_arn_prefix)
    for page in planner.secrets.select_pages(name_prefix, {}):
        for entry in page:
            listed.add(entry)
        pages -= 1
        if pages <= 0 or all(listed.full_arn(t.secret_arn) for t in targets):
            break
    return listed


def _resolve(
    target: PortalTarget, secrets: SecretsPort, problems: list[str]
) -> PortalTarget | None:
    """The target named by the secret's full ARN, or None with the problem noted."""
    try:
        arn = str(secrets.describe(target.secret_arn)["ARN"])
    except SecretNotFound:
        problems.append(f"portal secret {target.secret_arn} does not exist")
        return None
    except SecretAccessDenied:
        problems.append(f"portal secret {target.secret_arn} may not be read by this deployment")
        return None
    except PortalAutomationError:
        raise  # Secrets Manager unavailable: a transient failure, not a bad input
    return target.model_copy(update={"secret_arn": arn})


def _selected(select: Selection, planner: Planner, problems: list[str]) -> list[PortalTarget]:
    arn_prefix = planner.settings.secret_arn_prefix
    allowed = secret_name_prefix(arn_prefix)
    name_prefix = select.name_prefix if select.name_prefix is not None else allowed
    if not name_prefix.startswith(allowed):
        problems.append(
            f"select.namePrefix {name_prefix!r} is outside the secrets this deployment may "
            f"read (names starting with {allowed!r})"
        )
        return []
    found = planner.secrets.select(name_prefix, select.tags or {})
    return [
        PortalTarget(secret_arn=entry["ARN"])
        for entry in sorted(found, key=lambda e: str(e["ARN"]))
        if str(entry["ARN"]).startswith(arn_prefix)
    ]


# A portal's child execution must end inside Step Functions' history quota, or it fails
# as States.Runtime, which no Catch handles (no RecordFailure, AWSPENDING left behind).
# Each health window of the wait costs HISTORY_EVENTS_PER_WINDOW events (PollHealth's
# task events, HealthChoice and WaitPoll: benchmarks/fleet_bounds.py measures 9); a
# config change that is rolled back waits twice; the rest of a child stays far below
# HISTORY_EVENTS_OUTSIDE_WAITS (26 measured).
HISTORY_QUOTA = 25_000
HISTORY_EVENTS_PER_WINDOW = 9
HISTORY_EVENTS_OUTSIDE_WAITS = 500
WAITS_PER_PORTAL = 2


def worst_case_history(timing: Timing) -> int:
    """The most events one portal's child execution can write with this timing: a portal
    that never comes back, waited for up to maxRestartSeconds, twice."""
    cycle = timing.poll_window_seconds + timing.poll_interval_seconds
    windows = -(-timing.max_restart_seconds // cycle)
    return WAITS_PER_PORTAL * windows * HISTORY_EVENTS_PER_WINDOW + HISTORY_EVENTS_OUTSIDE_WAITS


def _timing(timing: Timing, settings: PlanExecutionSettings, problems: list[str]) -> Timing:
    max_restart = settings.max_restart_seconds
    if "max_restart_seconds" not in timing.model_fields_set:
        timing = timing.model_copy(
            update={"max_restart_seconds": min(timing.max_restart_seconds, max_restart)}
        )
    elif timing.max_restart_seconds > max_restart:
        problems.append(
            f"timing.maxRestartSeconds {timing.max_restart_seconds} exceeds the "
            f"deployment's maximum of {max_restart}"
        )
    events = worst_case_history(timing)
    if events > HISTORY_QUOTA:
        problems.append(
            f"timing: a portal that never comes back would be polled in windows of "
            f"{timing.poll_window_seconds} s every {timing.poll_interval_seconds} s for up to "
            f"{timing.max_restart_seconds} s, up to {events} history "
            f"events, past Step Functions' quota of {HISTORY_QUOTA}: lengthen "
            f"pollWindowSeconds or shorten maxRestartSeconds"
        )
    gap = renewal_gap(timing)
    if gap > settings.lock_ttl_seconds:
        problems.append(
            f"timing: a portal's lock lasts the deployment's LockTtlSeconds "
            f"({settings.lock_ttl_seconds} s) after each renewal, and with this timing a "
            f"portal's branch can go {gap} s between two (a step, the recheckSeconds or "
            f"pollIntervalSeconds wait after it, retries): shorten those waits, or deploy "
            f"with a longer LockTtlSeconds"
        )
    return timing


def describe(exc: ValidationError) -> str:
    """Where and what, from pydantic's errors, without echoing the offending values."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"]) or "input"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)
