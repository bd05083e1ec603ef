"""What every workaround module shares: how patches are made and undone, and what a
workaround may ask of the endpoint it patches moto for."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from portal_local.aws.access import CallRecorder, Principals

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    "iam": {"load_aws_managed_policies": True},  # SAM attaches AWSLambdaBasicExecutionRole...
}


class Endpoint(Protocol):
    """What the workarounds need of the endpoint (``moto_endpoint.LocalAwsEndpoint``)."""

    region: str
    account_id: str
    port: int
    notes: list[str]
    map_run_children: Any
    principals: Principals
    recorder: CallRecorder

    def client(self, service_name: str) -> Any: ...

    def invoke_moto_function(  # noqa: PLR0917 - the endpoint's signature
        self,
        backend: Any,
        fn: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes | None: ...


class Patches:
    """Attribute replacements, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self._undo:
            owner, name, old = self._undo.pop()
            if old is _MISSING:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)
            else:
                setattr(owner, name, old)


_MISSING = object()
Workaround = Callable[[Patches, Endpoint], None]


def as_text(value: Any) -> str:
    """A template value as CloudFormation passes it on: booleans as ``true``/``false``."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def as_json(value: Any) -> str:
    """A template value that may be a JSON document or its text, as text."""
    return value if isinstance(value, str) else json.dumps(value)
