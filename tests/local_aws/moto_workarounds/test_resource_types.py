"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.resource_types` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_local.aws.moto_workarounds.resource_types import API_CREATED

from tests.local_aws.moto_workarounds._raw import (
    TRUST,
    create_stack,
    handler_zip,
    make_function,
)


@pytest.mark.parametrize("cfn_type", sorted(API_CREATED))
def test_raw_moto_cfn_types_missing_or_broken(aws: Any, cfn_type: str) -> None:
    from moto.cloudformation import parsing  # noqa: PLC0415

    broken = BROKEN.get(cfn_type)
    if broken is None:
        assert cfn_type not in parsing.get_model_map()
    else:
        assert cfn_type in parsing.get_model_map()
        broken(aws)


def _ref_is_an_object(aws: Any, resource: dict[str, Any]) -> None:
    template = {"Resources": {"R": resource}, "Outputs": {"Ref": {"Value": {"Ref": "R"}}}}
    try:
        stack_id = create_stack(aws, template)["StackId"]
        outputs = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["Outputs"]
    except Exception:  # noqa: BLE001 - moto fails with its own exception or a 500
        return
    assert not outputs[0]["OutputValue"].startswith("arn:")  # the model object's repr


def _broken_event_bus(aws: Any) -> None:
    _ref_is_an_object(aws, {"Type": "AWS::Events::EventBus", "Properties": {"Name": "raw-bus"}})


def _broken_layer_version(aws: Any) -> None:
    content = {"ZipFile": "x"}
    _ref_is_an_object(
        aws, {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": content}}
    )


def _broken_lambda_version(aws: Any) -> None:
    make_function(aws)
    _ref_is_an_object(aws, {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": "fn"}})


def _broken_lambda_function(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="raw-fn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    layer = aws("lambda").publish_layer_version(LayerName="l", Content={"ZipFile": handler_zip("")})
    properties = {
        "FunctionName": "raw-fn",
        "Runtime": "python3.11",
        "Handler": "app.handler",
        "Role": role,
        "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
        "Layers": [layer["LayerVersionArn"]],
        "Architectures": ["arm64"],
    }
    create_stack(
        aws, {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": properties}}}
    )
    config = aws("lambda").get_function_configuration(FunctionName="raw-fn")
    assert config.get("Layers", []) == []
    assert config["Architectures"] == ["x86_64"]


def _broken_state_machine(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="raw-sm", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Result": "${Value}", "End": True}},
    }
    properties = {
        "StateMachineName": "raw-sm",
        "DefinitionString": json.dumps(definition),
        "DefinitionSubstitutions": {"Value": "substituted"},
        "RoleArn": role,
    }
    create_stack(
        aws,
        {
            "Resources": {
                "M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": properties}
            }
        },
    )
    machines = aws("stepfunctions").list_state_machines()["stateMachines"]
    assert machines == []  # created where the API (execute_state_machine) does not look


def _broken_kms_key(aws: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's KeyError escapes
        create_stack(aws, {"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {}}}})


def _broken_ssm_parameter(aws: Any) -> None:
    resource = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's AttributeError escapes
        create_stack(aws, {"Resources": {"P": resource}})


BROKEN = {
    "AWS::SSM::Parameter": _broken_ssm_parameter,
    "AWS::KMS::Key": _broken_kms_key,
    "AWS::Events::EventBus": _broken_event_bus,
    "AWS::Lambda::LayerVersion": _broken_layer_version,
    "AWS::Lambda::Version": _broken_lambda_version,
    "AWS::Lambda::Function": _broken_lambda_function,
    "AWS::StepFunctions::StateMachine": _broken_state_machine,
}
