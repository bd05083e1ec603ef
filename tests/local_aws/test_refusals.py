"""Requests AWS refuses and raw moto accepts are refused by the local endpoint too."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import state_machine

pytestmark = pytest.mark.workflow

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("has space", "InvalidName"),
        ("tab\there", "InvalidName"),
        ("a/b", "InvalidName"),
        ("colon:name", "InvalidName"),
        ("wild*", "InvalidName"),
        ("bell\x07", "InvalidName"),
        ("c1\x85", "InvalidName"),
        ("x" * 81, "ValidationException"),
    ],
)
def test_an_execution_name_aws_refuses_is_refused(
    endpoint: LocalAwsEndpoint, name: str, code: str
) -> None:
    sfn = endpoint.client("stepfunctions")
    machine = state_machine(endpoint, PASS)
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=machine, name=name)
    assert refused.value.response["Error"]["Code"] == code
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_a_valid_execution_name_of_80_characters_starts(endpoint: LocalAwsEndpoint) -> None:
    sfn = endpoint.client("stepfunctions")
    machine = state_machine(endpoint, PASS)
    name = "run-" + "é" * 10 + "_" * 66
    assert sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"].endswith(name)


def test_a_secret_version_cannot_be_given_another_value(endpoint: LocalAwsEndpoint) -> None:
    sm = endpoint.client("secretsmanager")
    arn = sm.create_secret(Name="refusals/pending", SecretString="one")["ARN"]
    token = "a" * 32
    put = {"SecretId": arn, "ClientRequestToken": token, "VersionStages": ["AWSPENDING"]}
    sm.put_secret_value(SecretString="two", **put)

    sm.put_secret_value(SecretString="two", **put)  # the same value: ignored
    with pytest.raises(ClientError) as refused:
        sm.put_secret_value(SecretString="three", **put)

    assert refused.value.response["Error"]["Code"] == "ResourceExistsException"
    assert sm.get_secret_value(SecretId=arn, VersionId=token)["SecretString"] == "two"


def test_only_labelled_versions_are_listed(endpoint: LocalAwsEndpoint) -> None:
    sm = endpoint.client("secretsmanager")
    arn = sm.create_secret(Name="refusals/labels", SecretString="one")["ARN"]
    token = "b" * 32
    sm.put_secret_value(
        SecretId=arn, SecretString="two", ClientRequestToken=token, VersionStages=["AWSPENDING"]
    )
    sm.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=token
    )

    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]

    assert list(stages.values()) == [["AWSCURRENT"]]
    assert sm.get_secret_value(SecretId=arn, VersionId=token)["SecretString"] == "two"
