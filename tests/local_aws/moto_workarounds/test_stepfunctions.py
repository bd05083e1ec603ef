"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.stepfunctions` exists for."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from portal_local.aws.moto_workarounds.stepfunctions import aws_sdk_error_prefix

from tests.local_aws.moto_workarounds._raw import (
    TRUST,
    run_to_end,
)


def test_raw_moto_interpreter_calls_port_5000(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client  # noqa: PLC0415

    monkeypatch.delenv("MOTO_PORT", raising=False)
    assert boto_client.moto_server_port() == "5000"
    assert "moto_server_port()" in inspect.getsource(boto_client.boto_client_for)


def test_raw_moto_unnamed_execution_is_named_none(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    assert started["executionArn"].endswith(":None")


def test_raw_moto_start_by_version_or_alias_fails(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role, publish=True)
    version = machine["stateMachineVersionArn"]
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )
    for qualified in (version, f"{machine['stateMachineArn']}:live"):
        with pytest.raises(Exception):  # noqa: B017, PT011 - a 500 or StateMachineDoesNotExist
            sfn.start_execution(stateMachineArn=qualified, name="run")


def test_raw_moto_execution_names_not_validated(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role)
    for name in ("has space", "a/b", "x" * 81):
        started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=name)
        assert started["executionArn"]  # AWS: InvalidName (ValidationException past 80)


def test_raw_moto_aws_sdk_errors_lower_case() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: PLC0415
        state_task_service_aws_sdk as aws_sdk,
    )

    name = aws_sdk.StateTaskServiceAwsSdk._normalise_service_error_name("secretsmanager")
    assert name == "secretsmanager"  # AWS: SecretsManager
    assert aws_sdk_error_prefix("secretsmanager") == "SecretsManager"


def test_raw_moto_map_iteration_states_errors_become_runtime(aws: Any) -> None:
    failing = {"Type": "Fail", "Error": "States.Timeout", "Cause": "iteration timed out"}
    definition = {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "F", "States": {"F": failing}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Pass", "OutputPath": "$.error", "End": True},
        },
    }
    output = json.loads(run_to_end(aws, definition, {"items": [1]})["output"])
    assert output["Error"] == "States.Runtime"  # AWS: States.Timeout
