"""What every step handler shares: parse the state, set correlation keys, call, report.

Handlers stay thin: ``@workflow_step`` turns ``fn(state, services) -> model | dict`` into
a Lambda handler. The project's named errors propagate untouched (their class name is
the Lambda ``errorType`` the state machine matches); anything else is wrapped in
``UnexpectedError`` with a redacted message, so no library message can carry a secret
into a Step Functions cause.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from .errors import InvalidExecutionInput, PortalAutomationError
from .observability import logger, tracer
from .sensitive import redact
from .workflow.plan import describe
from .workflow.services import Services
from .workflow.state import PortalState, out

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class UnexpectedError(PortalAutomationError):
    """A failure the project has no name for (a bug or an unexpected dependency error)."""


def workflow_step(step: str, services: Services) -> Callable[[Callable[..., Any]], Handler]:
    def decorate(fn: Callable[..., Any]) -> Handler:
        @logger.inject_lambda_context(clear_state=True)
        @tracer.capture_lambda_handler(capture_response=False)
        @functools.wraps(fn)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            state = parse_state(event)
            logger.append_keys(
                step=step,
                run_id=state.item.run_id,
                secret_arn=state.item.secret_arn,
                action=state.item.action,
            )
            result = guarded(fn, state, services, context)
            return out(result) if isinstance(result, BaseModel) else result

        return cast(Handler, handler)

    return decorate


def parse_state(event: dict[str, Any]) -> PortalState:
    try:
        return PortalState.model_validate(event)
    except ValidationError as exc:
        raise InvalidExecutionInput(f"invalid step input: {describe(exc)}") from None


def guarded(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except PortalAutomationError as exc:
        logger.error("step failed", extra={"error": type(exc).__name__, "reason": exc.message})
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as a named, redacted error
        logger.exception("unexpected failure")
        raise UnexpectedError(f"{type(exc).__name__}: {redact(str(exc))[:300]}") from None
