"""First state: validate the execution input and split it into one item per portal.

Every portal secret is resolved to its full ARN (Secrets Manager's DescribeSecret), so
that one secret named twice, by its full and by its partial ARN, is one portal: one
lock, one change (FAULTS row 36). Nothing here contacts a portal.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from ..domain.security_config import validate_desired
from ..errors import (
    InvalidExecutionInput,
    InvalidSecurityConfig,
    PortalAutomationError,
    SecretAccessDenied,
    SecretNotFound,
)
from ..ports import SecretsPort
from ..settings import PlanExecutionSettings
from .models import ExecutionInput, PortalItem, PortalTarget, dump

_VERSION_NAMESPACE = uuid.UUID("6f1c9d64-7a52-4c1e-9a1e-2f0b1f6f4a11")


def plan_execution(
    raw: Any, execution_id: str, settings: PlanExecutionSettings, secrets: SecretsPort
) -> dict[str, Any]:
    """Return ``{"runId", "action", "dryRun", "items": [...]}`` or raise with every problem."""
    if not isinstance(raw, dict):
        kind = "null" if raw is None else type(raw).__name__
        raise InvalidExecutionInput(
            f"invalid execution input: a JSON object is required, not {kind}"
        )
    try:
        request = ExecutionInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidExecutionInput(f"invalid execution input: {describe(exc)}") from None
    problems: list[str] = []
    prefix = settings.secret_arn_prefix
    targets: list[PortalTarget] = []
    named_as: dict[str, str] = {}  # full ARN -> how the input first named it
    for target in request.portals:
        if prefix and not target.secret_arn.startswith(prefix):
            problems.append(
                f"portal secret {target.secret_arn} is outside the secrets this deployment "
                f"may read ({prefix}*)"
            )
            continue
        resolved = _resolve(target, secrets, problems)
        if resolved is None:
            continue
        first = named_as.setdefault(resolved.secret_arn, target.secret_arn)
        if first != target.secret_arn:
            problems.append(
                f"portals names the secret {resolved.secret_arn} more than once "
                f"({first} and {target.secret_arn})"
            )
        targets.append(resolved)
    if request.security_config is not None:
        try:
            validate_desired(request.security_config)
        except InvalidSecurityConfig as exc:
            problems.append(exc.message)
    max_restart = settings.max_restart_seconds
    timing = request.timing
    if "max_restart_seconds" not in timing.model_fields_set:
        timing = timing.model_copy(
            update={"max_restart_seconds": min(timing.max_restart_seconds, max_restart)}
        )
    elif timing.max_restart_seconds > max_restart:
        problems.append(
            f"timing.maxRestartSeconds {request.timing.max_restart_seconds} exceeds the "
            f"deployment's maximum of {max_restart}"
        )
    if problems:
        raise InvalidExecutionInput("invalid execution input: " + "; ".join(problems))
    run_id = execution_id.rsplit(":", 1)[-1]
    items = [
        PortalItem(
            secret_arn=target.secret_arn,
            label=target.label,
            action=request.action,
            security_config=request.security_config,
            dry_run=request.dry_run,
            timing=timing,
            run_id=run_id,
            version_id=request.rotation_token
            or str(uuid.uuid5(_VERSION_NAMESPACE, f"{execution_id}|{target.secret_arn}")),
        )
        for target in targets
    ]
    return {
        "runId": run_id,
        "action": request.action,
        "dryRun": request.dry_run,
        "source": request.source,
        "items": [dump(item) for item in items],
    }


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
