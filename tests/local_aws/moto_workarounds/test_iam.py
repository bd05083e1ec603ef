"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.iam` exists for."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.local_aws.moto_workarounds._raw import (
    REGION,
    TRUST,
    create_stack,
)


def test_raw_moto_function_role_policies_not_enforced(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="no-grants", AssumeRolePolicyDocument=TRUST)["Role"]
    creds = aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="fn")["Credentials"]
    sm = boto3.client(
        "secretsmanager",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    sm.create_secret(Name="anything", SecretString="x")  # AWS: AccessDeniedException
    assert sm.get_secret_value(SecretId="anything")["SecretString"] == "x"


def test_raw_moto_role_policies_mangled(aws: Any) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "raw-managed",
                    "AssumeRolePolicyDocument": json.loads(TRUST),
                    "ManagedPolicyArns": [arn],
                    "Policies": [{"PolicyName": "p", "PolicyDocument": json.loads(TRUST)}],
                },
            }
        }
    }
    create_stack(aws, template)
    attached = aws("iam").list_attached_role_policies(RoleName="raw-managed")
    assert attached["AttachedPolicies"] == []
    document = aws("iam").get_role_policy(RoleName="raw-managed", PolicyName="p")
    assert isinstance(document["PolicyDocument"], str)  # not JSON: boto3 could not parse it
