"""First state: validate the execution input and split it into one item per portal."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from ..domain.security_config import validate_desired
from ..errors import InvalidExecutionInput, InvalidSecurityConfig
from ..settings import PlanExecutionSettings
from .models import ExecutionInput, PortalItem, dump

_VERSION_NAMESPACE = uuid.UUID("6f1c9d64-7a52-4c1e-9a1e-2f0b1f6f4a11")


def plan_execution(raw: Any, execution_id: str, settings: PlanExecutionSettings) -> dict[str, Any]:
    """Return ``{"runId", "action", "dryRun", "items": [...]}`` or raise with every problem."""
    try:
        request = ExecutionInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidExecutionInput(f"invalid execution input: {describe(exc)}") from None
    problems: list[str] = []
    prefix = settings.secret_arn_prefix
    for target in request.portals:
        if prefix and not target.secret_arn.startswith(prefix):
            problems.append(
                f"portal secret {target.secret_arn} is outside the secrets this deployment "
                f"may read ({prefix}*)"
            )
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
        for target in request.portals
    ]
    return {
        "runId": run_id,
        "action": request.action,
        "dryRun": request.dry_run,
        "source": request.source,
        "items": [dump(item) for item in items],
    }


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
