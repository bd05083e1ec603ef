"""Lambda: moto's simple backend runs no code; Invoke's qualifier; service error names."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend as lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround


def lambda_runs_no_code(patches: Patches, endpoint: Endpoint) -> None:
    """moto runs Lambda code only in Docker: the "simple" backend (``use_docker: false``)
    answers ``Invoke`` with the request body, and ``LambdaFunction.invoke`` (SNS
    subscriptions, event source mappings, rotation) always calls Docker. AWS runs the
    handler: both run it in the endpoint's warm workers (moto resolves the function, and
    the version or alias a qualified name or qualifier names)."""

    def simple_invoke(  # noqa: PLR0917 - moto's signature (also called with keywords)
        backend: Any,
        function_name: str,
        qualifier: Any,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes | None:
        fn = backend.get_function(function_name, qualifier)
        return endpoint.invoke_moto_function(
            backend, fn, function_name, qualifier, body, headers, response_headers
        )

    def function_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        backend = lambda_backend(fn.account_id, fn.region)
        name = fn.function_name
        return (
            endpoint.invoke_moto_function(
                backend, fn, name, None, body, request_headers, response_headers
            )
            or b""
        )

    patches.set(LambdaSimpleBackend, "invoke", simple_invoke)
    patches.set(LambdaFunction, "invoke", function_invoke)


def invoke_ignores_qualifier(patches: Patches, endpoint: Endpoint) -> None:
    """``Invoke`` reads a ``qualifier`` query parameter, but the API's is ``Qualifier``:
    ``Invoke(FunctionName=..., Qualifier="1")`` runs ``$LATEST``. AWS runs version 1 (a
    qualified name or ARN works in moto). Patched: ``Qualifier`` is read."""
    original: Any = LambdaResponse.invoke

    def invoke(response: Any) -> Any:
        if "Qualifier" in response.querystring:
            response.querystring.setdefault("qualifier", response.querystring["Qualifier"])
        return original(response)

    patches.set(LambdaResponse, "invoke", invoke)


def lambda_service_errors_unnamed(patches: Patches, endpoint: Endpoint) -> None:
    """A Task whose Resource is a plain function ARN reports a Lambda *service* error
    (throttling, service exception: the function never ran) as ``Exception``; AWS names it
    ``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``..., which is what the
    workflow's Retry blocks match."""
    task = state_task_lambda.StateTaskLambda
    original: Any = task._from_error

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        event: Any = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response.get('Error', {}).get('Code', 'Unknown')}"
            event.error_name = CustomErrorName(name)
            details = event.event_details.get("lambdaFunctionFailedEventDetails")
            if details is not None:
                details["error"] = name
        return event

    patches.set(task, "_from_error", from_error)


WORKAROUNDS: tuple[Workaround, ...] = (
    lambda_runs_no_code,
    invoke_ignores_qualifier,
    lambda_service_errors_unnamed,
)
