"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.cloudformation` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.local_aws.moto_workarounds._raw import (
    TRUST,
    create_stack,
)


def test_raw_moto_stack_failure_is_a_500(aws: Any) -> None:
    template = {
        "Resources": {
            "Broken": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": "no-such-function",
                    "Action": "lambda:InvokeFunction",
                    "Principal": "events.amazonaws.com",
                },
            }
        }
    }
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto lets its own exception escape
        create_stack(aws, template)
    stacks = aws("cloudformation").describe_stacks()["Stacks"]
    assert [s["StackStatus"] for s in stacks] != ["ROLLBACK_COMPLETE"]


def test_raw_moto_conditional_resources_listed_empty(aws: Any) -> None:
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Skipped": {"Type": "AWS::SQS::Queue", "Condition": "Never"},
        },
    }
    stack_id = create_stack(aws, template)["StackId"]
    resources = aws("cloudformation").list_stack_resources(StackName=stack_id)
    assert "" in [r.get("LogicalResourceId", "") for r in resources["StackResourceSummaries"]]


def test_raw_moto_list_parameter_defaults_not_split(aws: Any) -> None:
    template = {
        "Parameters": {"Colors": {"Type": "CommaDelimitedList", "Default": "red,green,blue"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Second": {"Value": {"Fn::Select": [1, {"Ref": "Colors"}]}}},
    }
    stack_id = create_stack(aws, template)["StackId"]
    outputs = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"] == "e"  # AWS: green


def test_raw_moto_no_value_kept_in_lists(aws: Any) -> None:
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "raw-role",
                    "AssumeRolePolicyDocument": json.loads(TRUST),
                    "Policies": [
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                                    {
                                        "Fn::If": [
                                            "Never",
                                            {"Effect": "Allow"},
                                            {"Ref": "AWS::NoValue"},
                                        ]
                                    },
                                ],
                            },
                        }
                    ],
                },
            }
        },
    }
    create_stack(aws, template)
    document = aws("iam").get_role_policy(RoleName="raw-role", PolicyName="p")["PolicyDocument"]
    # the item stays: a None in the list (stored as Python's repr: not even JSON)
    assert "None" in str(document)


def test_raw_moto_parameters_not_validated(aws: Any) -> None:
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["test", "prod"]},
            "Size": {"Type": "Number", "MinValue": 30},
        },
        "Rules": {
            "Never": {
                "Assertions": [{"Assert": {"Fn::Equals": ["a", "b"]}, "AssertDescription": "no"}]
            }
        },
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    }
    parameters = [
        {"ParameterKey": "Stage", "ParameterValue": "staging"},
        {"ParameterKey": "Size", "ParameterValue": "15"},
    ]
    stack_id = create_stack(aws, template, Parameters=parameters)["StackId"]
    status = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"  # AWS: ValidationError, nothing created
