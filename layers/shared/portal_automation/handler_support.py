"""What every step handler shares: parse the state, set correlation keys, call, report.

Handlers stay thin: ``run_step(name, fn, event, services)`` parses the per-portal state,
calls ``fn(state, services)`` and returns its JSON-ready result. The project's named
errors propagate untouched (their class name is the Lambda ``errorType`` the state
machine matches); anything else is wrapped in ``UnexpectedError`` with a redacted
message, so no library message can carry a secret into a Step Functions cause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InvalidExecutionInput, PortalAutomationError, UnexpectedError
from .observability import logger
from .sensitive import clip
from .workflow.models import dump
from .workflow.services import Services
from .workflow.state import PortalState

T = TypeVar("T")


def run_step(
    step: str,
    fn: Callable[[PortalState, Services], BaseModel | dict[str, Any]],
    event: dict[str, Any],
    services: Services,
) -> dict[str, Any]:
    state = parse_state(event)
    logger.append_keys(
        step=step,
        run_id=state.item.run_id,
        secret_arn=state.item.secret_arn,
        action=state.item.action,
    )
    result = guarded(fn, state, services)
    return dump(result) if isinstance(result, BaseModel) else result


def parse_state(event: dict[str, Any]) -> PortalState:
    try:
        return PortalState.model_validate(event)
    except ValidationError as exc:
        from .workflow.plan import describe  # noqa: PLC0415 - the error path only

        raise InvalidExecutionInput(f"invalid step input: {describe(exc)}") from None


def guarded(fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except PortalAutomationError as exc:
        logger.error("step failed", extra={"error": type(exc).__name__, "reason": exc.message})
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as a named, redacted error
        logger.exception("unexpected failure")
        raise UnexpectedError(f"{type(exc).__name__}: {clip(str(exc), 300)}") from None
