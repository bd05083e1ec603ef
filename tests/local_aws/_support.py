"""Helpers shared by the local AWS endpoint tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "template.yaml"
HOST_MARKER = "PORTAL_LOCAL_TEST_HOST_MARKER"


def wait_for_execution(sfn: Any, execution_arn: str, timeout_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            pytest.fail(f"execution {execution_arn} still RUNNING after {timeout_s}s")
        time.sleep(0.1)


def invoke(endpoint: LocalAwsEndpoint, function: str, event: Any, **kwargs: Any) -> Any:
    response = endpoint.client("lambda").invoke(
        FunctionName=function, Payload=json.dumps(event).encode(), **kwargs
    )
    response["Body"] = json.loads(response["Payload"].read())
    return response
