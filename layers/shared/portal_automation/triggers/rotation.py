"""The Secrets Manager rotation function, keeping the four-step protocol and its meaning.

The state machine does the work and the waiting; this function starts it, waits for it
while it can, and tells Secrets Manager the truth:

- every step first checks, like AWS's rotation template, that rotation is enabled and
  that the token is a version of the secret: already AWSCURRENT means done (return);
  not AWSPENDING means this rotation is over (fail);
- createSecret starts the execution named after the ClientRequestToken (``rotation-<token>``)
  or attaches to it when it exists (a retry, a duplicate invocation); if that execution
  failed, a retry of the rotation starts the next attempt ``rotation-<token>-2`` ... which
  reuses the same pending version and key;
- setSecret waits for the execution while the function has time; still running is an
  error (``RotationStillRunning``), so Secrets Manager retries and the next attempt
  attaches to the same execution; failed is ``RotationFailed``;
- testSecret passes only when the execution verified the new key; finishSecret makes
  sure the verified version is AWSCURRENT (the state machine normally did it already).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..aws.executions import Execution
from ..aws.secrets_store import CURRENT, PENDING
from ..errors import (
    InvalidTriggerEvent,
    RotationFailed,
    RotationNotEnabled,
    RotationStillRunning,
    RotationTokenInvalid,
)
from ..ports import ExecutionsPort, SecretsPort
from ..workflow.models import ROTATION_TOKEN
from ..workflow.plan import describe

MAX_ATTEMPTS: Final = 5
_MARGIN_SECONDS: Final = 10.0
Step = Literal["createSecret", "setSecret", "testSecret", "finishSecret"]


class RotationRequest(BaseModel):
    """The event Secrets Manager sends to a rotation function."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    secret_id: Annotated[str, Field(alias="SecretId", min_length=1, max_length=2048)]
    token: Annotated[str, Field(alias="ClientRequestToken", pattern=ROTATION_TOKEN)]
    step: Annotated[Step, Field(alias="Step")]


def parse_rotation_event(event: Mapping[str, Any]) -> RotationRequest:
    """The rotation request, or ``InvalidTriggerEvent`` naming what is wrong with it (a
    missing or unknown ``Step`` is refused, never handled like another step)."""
    try:
        return RotationRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidTriggerEvent(
            f"not a Secrets Manager rotation request: {describe(exc)}"
        ) from None


def rotation_step(
    event: Mapping[str, Any],
    *,
    secrets: SecretsPort,
    executions: ExecutionsPort,
    remaining_seconds: Callable[[], float],
    timing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate the event Secrets Manager sent, then run its step."""
    request = parse_rotation_event(event)
    return rotate(
        request.step,
        request.secret_id,
        request.token,
        secrets=secrets,
        executions=executions,
        remaining_seconds=remaining_seconds,
        timing=timing,
    )


def rotate(
    step: Step,
    secret_arn: str,
    token: str,
    *,
    secrets: SecretsPort,
    executions: ExecutionsPort,
    remaining_seconds: Callable[[], float],
    timing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    meta = secrets.describe(secret_arn)
    # Secrets Manager sends the ARN; normalise anyway (the workflow names secrets by ARN).
    secret_arn = str(meta.get("ARN", secret_arn))
    if not meta.get("RotationEnabled"):
        raise RotationNotEnabled(f"secret {secret_arn} is not enabled for rotation")
    versions = meta.get("VersionIdsToStages", {})
    if token not in versions:
        raise RotationTokenInvalid(f"version {token} of {secret_arn} has no stage for rotation")
    if CURRENT in versions[token]:
        return {"step": step, "outcome": "already-current", "versionId": token}
    if PENDING not in versions[token]:
        raise RotationTokenInvalid(
            f"version {token} of {secret_arn} is not AWSPENDING: this rotation is over "
            "(see the README runbook 'Rotation failed')"
        )
    if step == "createSecret":
        execution = _start_or_attach(secret_arn, token, executions, timing)
        return _answer(step, execution)
    found = _latest(token, executions)
    if found is None:
        raise RotationFailed(f"no execution was started for rotation {token} of {secret_arn}")
    execution = found[1]
    if step == "setSecret":
        wait = max(0.0, remaining_seconds() - _MARGIN_SECONDS)
        execution = executions.wait(execution.arn, seconds=wait)
    _require_success(execution, secret_arn)
    if step == "finishSecret":
        secrets.promote(secret_arn, token)
    return _answer(step, execution)


def execution_name(token: str, attempt: int) -> str:
    return f"rotation-{token}" if attempt == 1 else f"rotation-{token}-{attempt}"


def _start_or_attach(
    secret_arn: str, token: str, executions: ExecutionsPort, timing: dict[str, Any] | None
) -> Execution:
    latest = _latest(token, executions)
    attempt = 1
    if latest is not None:
        previous, execution = latest
        if execution.status in ("RUNNING", "SUCCEEDED"):
            return execution
        attempt = previous + 1
        if attempt > MAX_ATTEMPTS:
            raise RotationFailed(
                f"rotation {token} of {secret_arn} failed {MAX_ATTEMPTS} times; see the "
                "README runbook 'Rotation failed'"
            )
    payload: dict[str, Any] = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": secret_arn}],
        "rotationToken": token,
        "source": "secretsmanager-rotation",
    }
    if timing:
        payload["timing"] = timing
    return executions.start_or_attach(execution_name(token, attempt), payload)


def _latest(token: str, executions: ExecutionsPort) -> tuple[int, Execution] | None:
    """The last attempt started for this token, with its number."""
    latest = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        found = executions.describe(executions.arn_for(execution_name(token, attempt)))
        if found.status == "ABSENT":
            break
        latest = (attempt, found)
    return latest


def _require_success(execution: Execution, secret_arn: str) -> None:
    if execution.status == "SUCCEEDED":
        return
    if execution.status == "RUNNING":
        raise RotationStillRunning(
            f"execution {execution.arn} for {secret_arn} is still running (the portal is "
            "restarting); the next attempt of this rotation attaches to it"
        )
    raise RotationFailed(
        f"execution {execution.arn} for {secret_arn} ended {execution.status}"
        f"{' (' + execution.error + ')' if execution.error else ''}: the new key was not "
        "verified and was not promoted; its summary and notification say why"
    )


def _answer(step: str, execution: Execution) -> dict[str, Any]:
    return {"step": step, "executionArn": execution.arn, "status": execution.status}
