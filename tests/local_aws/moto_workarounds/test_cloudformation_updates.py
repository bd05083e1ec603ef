"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.cloudformation_updates` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local_aws.moto_workarounds._raw import TRUST, create_stack

CODE = "def handler(event, context):\n    return {}\n"


def _function_and_version(version: str, greeting: str) -> dict[str, Any]:
    """A function (its environment from a parameter) and a version resource of it."""
    return {
        "Parameters": {"Greeting": {"Type": "String"}},
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "greeter",
                    "Runtime": "python3.11",
                    "Handler": "app.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": CODE},
                    "Environment": {"Variables": {"GREETING": {"Ref": "Greeting"}}},
                },
            },
            version: {
                "Type": "AWS::Lambda::Version",
                "DeletionPolicy": "Retain",
                "Properties": {"FunctionName": {"Ref": "Function"}},
            },
        },
    }


def test_raw_moto_stack_update_out_of_dependency_order(aws: Any) -> None:
    cfn, lam = aws("cloudformation"), aws("lambda")
    stack = create_stack(
        aws,
        _function_and_version("VersionA", "hello"),
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hello"}],
    )["StackId"]

    cfn.update_stack(
        StackName=stack,
        TemplateBody=json.dumps(_function_and_version("VersionB", "bonjour")),
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"}],
    )

    latest = lam.get_function_configuration(FunctionName="greeter")
    assert latest["Environment"]["Variables"]["GREETING"] == "bonjour"
    versions = lam.list_versions_by_function(FunctionName="greeter")["Versions"]
    published = [v for v in versions if v["Version"] != "$LATEST"]
    # AWS: VersionB is created after the function's update, so it says "bonjour".
    assert [v["Environment"]["Variables"]["GREETING"] for v in published] == ["hello"]


def test_raw_moto_previous_value_of_a_default_is_a_500(aws: Any) -> None:
    template = {
        "Parameters": {"Level": {"Type": "String", "Default": "INFO"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    }
    stack = create_stack(aws, template)["StackId"]
    changed = {**template, "Resources": {"Other": {"Type": "AWS::SQS::Queue"}}}

    with pytest.raises(KeyError):  # AWS: the previous value, INFO
        aws("cloudformation").update_stack(
            StackName=stack,
            TemplateBody=json.dumps(changed),
            Parameters=[{"ParameterKey": "Level", "UsePreviousValue": True}],
        )


def test_raw_moto_update_parameters_not_validated(aws: Any) -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String", "AllowedValues": ["test", "prod"]}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    }
    cfn = aws("cloudformation")
    stack = create_stack(
        aws, template, Parameters=[{"ParameterKey": "Stage", "ParameterValue": "test"}]
    )["StackId"]
    changed = {**template, "Resources": {"Other": {"Type": "AWS::SQS::Queue"}}}

    cfn.update_stack(
        StackName=stack,
        TemplateBody=json.dumps(changed),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "staging"}],
    )

    status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    assert status == "UPDATE_COMPLETE"  # AWS: ValidationError, nothing changed


def test_raw_moto_managed_policy_update_dropped(aws: Any) -> None:
    def template(action: str) -> dict[str, Any]:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
        return {
            "Resources": {
                "Policy": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {"ManagedPolicyName": "raw", "PolicyDocument": document},
                }
            }
        }

    cfn, iam = aws("cloudformation"), aws("iam")
    stack = create_stack(aws, template("sqs:ListQueues"))["StackId"]

    cfn.update_stack(StackName=stack, TemplateBody=json.dumps(template("sqs:GetQueueUrl")))

    arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]
    assert document["Document"]["Statement"][0]["Action"] == "sqs:ListQueues"  # AWS: GetQueueUrl


def test_raw_moto_role_with_managed_policies_not_deleted(aws: Any) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}],
    }
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": document, "Roles": [{"Ref": "Role"}]},
            },
        }
    }
    cfn, iam = aws("cloudformation"), aws("iam")
    stack = create_stack(aws, template)["StackId"]

    with pytest.raises(ClientError, match="DeleteConflict"):  # AWS: the stack deleted
        cfn.delete_stack(StackName=stack)

    assert len(iam.list_roles()["Roles"]) == 1  # AWS: the role gone
