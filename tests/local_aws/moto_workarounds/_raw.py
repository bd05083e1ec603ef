"""Helpers for the raw-moto tests: moto in-process, none of the workarounds installed."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest

from tests.local_aws._support import trust_policy

REGION = "us-east-1"
TRUST = trust_policy("lambda.amazonaws.com")


def handler_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def make_function(aws: Any, name: str = "fn", **kwargs: Any) -> str:
    role = aws("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST)
    return str(
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={
                "ZipFile": handler_zip("def handler(event, context):\n    return {'ran': True}\n")
            },
            **kwargs,
        )["FunctionArn"]
    )


def run_to_end(aws: Any, definition: dict[str, Any], document: Any = None) -> dict[str, Any]:
    role = aws("iam").create_role(
        RoleName=f"sfn-{time.monotonic_ns()}", AssumeRolePolicyDocument=TRUST
    )
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"raw-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn=role["Role"]["Arn"],
    )["stateMachineArn"]
    arn = sfn.start_execution(
        stateMachineArn=machine, name="run", input=json.dumps(document or {})
    )["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    pytest.fail("raw execution still running after 60 s")


def create_stack(aws: Any, template: dict[str, Any], **kwargs: Any) -> Any:
    return aws("cloudformation").create_stack(
        StackName=f"raw-{time.monotonic_ns()}", TemplateBody=json.dumps(template), **kwargs
    )
