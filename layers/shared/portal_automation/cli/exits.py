"""The operator CLI's exit codes, and the one-line reason for an error it expects.

The codes follow the AWS CLI's where they mean the same (docs/AWS_FACTS.md: 2, 130,
253, 254, 255); the README lists every one. A run that ended in failure has a code of its
own (1), apart from "AWS refused the request" (254), so that a pipeline can tell a
failed rotation from a missing permission.
"""

from __future__ import annotations

from typing import Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from ..errors import PortalAutomationError

OK: Final = 0
RUN_FAILED: Final = 1
"""The execution ended FAILED, TIMED_OUT or ABORTED."""
USAGE: Final = 2
"""Bad arguments, or an input file that cannot be read or is not a valid input."""
KEYS_OVER_MAX_AGE: Final = 3
"""``status --max-key-age``: a key is older, or of unknown age."""
STILL_RUNNING: Final = 4
"""``start``/``follow --timeout``: stopped following; the execution goes on."""
INTERRUPTED: Final = 130
"""Ctrl-C (SIGINT)."""
NOT_CONFIGURED: Final = 253
"""No credentials, no region, or an unknown profile: nothing was sent."""
AWS_REFUSED: Final = 254
"""AWS answered with an error: access denied, no such stack or execution, throttled..."""
FAILED: Final = 255
"""AWS could not be reached, or an error the CLI did not expect (``--debug`` shows it)."""

_NOT_FOUND: Final = {
    "ExecutionDoesNotExist": "no such execution",
    "StateMachineDoesNotExist": "no such state machine",
    "ResourceNotFoundException": "not found",
}
_DENIED: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
_UNREACHABLE: Final = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


class UsageError(Exception):
    """Arguments, or a file they name, the command cannot use (exit code 2)."""


def explain(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for an error the CLI expects, or None for a bug."""
    if isinstance(exc, UsageError):
        return USAGE, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return NOT_CONFIGURED, (
            "no AWS credentials: configure them (aws configure, AWS_PROFILE, --profile) "
            "or give --endpoint-url of a local endpoint"
        )
    if isinstance(exc, ProfileNotFound | NoRegionError):
        return NOT_CONFIGURED, f"{exc}: give --profile or --region, or set them in the environment"
    if isinstance(exc, ClientError):
        return AWS_REFUSED, _refusal(exc)
    if isinstance(exc, PortalAutomationError):  # the product's AWS adapters, translated
        return (FAILED if exc.transient else AWS_REFUSED), f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, _UNREACHABLE):
        return FAILED, f"cannot reach AWS: {exc}"
    if isinstance(exc, BotoCoreError):
        return FAILED, f"AWS request failed: {exc}"
    return None


def _refusal(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    operation = exc.operation_name
    if code in _DENIED:
        return f"access denied to {operation}: {message}".rstrip(": ")
    if code in _NOT_FOUND:
        return f"{_NOT_FOUND[code]} ({operation}): {message}".rstrip(": ")
    if code == "ValidationError" and "does not exist" in message:  # CloudFormation
        return f"no such stack ({operation}): {message}"
    return f"AWS refused {operation} ({code}): {message}".rstrip(": ")
