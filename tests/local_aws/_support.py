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


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of an execution's history (GetExecutionHistory is paged, as on AWS)."""
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [event for page in pages for event in page["events"]]


def trust_policy(service: str) -> str:
    """A role's trust policy (JSON text) letting ``service`` assume it."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def state_machine(endpoint: LocalAwsEndpoint, definition: dict[str, Any]) -> str:
    """A state machine (with a role of its own) made from ``definition``."""
    name = f"machine-{time.monotonic_ns()}"
    role = endpoint.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=trust_policy("states.amazonaws.com")
    )["Role"]["Arn"]
    return str(
        endpoint.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
    )
