"""What the endpoint records of a function's calls, for the least-privilege proof
(tests/workflow/test_zz_least_privilege.py): the IAM action and resource each needed;
and what it refuses, as IAM would: a call the function's role (or the secret's resource
policy) does not allow is answered AccessDenied and not run."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from portal_local.aws.access import Principal, access_key_id
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import trust_policy

ROLE_NAME = "recorded-function-role"
ROLE = f"arn:aws:iam::123456789012:role/{ROLE_NAME}"


def grant(endpoint: LocalAwsEndpoint, *statements: dict[str, Any]) -> None:
    """The recorded function's role, with only ``statements`` (replacing any earlier)."""
    iam = endpoint.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust_policy("lambda.amazonaws.com")
        )
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(
        RoleName=ROLE_NAME, PolicyName="grants", PolicyDocument=json.dumps(document)
    )


def allow(action: str, resource: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def as_function(endpoint: LocalAwsEndpoint, service: str) -> Any:
    """A client that signs with a function's access key, as its workers do."""
    key = access_key_id("recorded-function")
    endpoint.principals.register(key, Principal(ROLE, "recorded-function"))
    return boto3.client(
        service,
        endpoint_url=endpoint.url,
        region_name=endpoint.region,
        aws_access_key_id=key,
        aws_secret_access_key="local",
    )


def test_reading_a_missing_object_needs_list_bucket(endpoint: LocalAwsEndpoint) -> None:
    """S3 answers "no such key" (404) only to a caller allowed s3:ListBucket on the
    bucket; to anyone else it is 403 AccessDenied. A function that treats a missing
    scratch object as "none" needs the grant, so the recorder counts it."""
    endpoint.client("s3").create_bucket(Bucket="recorded-bucket")
    endpoint.client("s3").put_object(Bucket="recorded-bucket", Key="there", Body=b"x")
    grant(
        endpoint,
        allow("s3:GetObject", "arn:aws:s3:::recorded-bucket/*"),
        allow("s3:ListBucket", "arn:aws:s3:::recorded-bucket"),
    )
    s3 = as_function(endpoint, "s3")
    before = len(endpoint.aws_calls())

    s3.get_object(Bucket="recorded-bucket", Key="there")
    with pytest.raises(ClientError):
        s3.get_object(Bucket="recorded-bucket", Key="absent")

    needed = [(c.action, c.resource) for c in endpoint.aws_calls()[before:]]
    assert needed == [
        ("s3:GetObject", "arn:aws:s3:::recorded-bucket/there"),
        ("s3:GetObject", "arn:aws:s3:::recorded-bucket/absent"),
        ("s3:ListBucket", "arn:aws:s3:::recorded-bucket"),
    ]


def test_a_missing_object_is_access_denied_without_list_bucket(endpoint: LocalAwsEndpoint) -> None:
    endpoint.client("s3").create_bucket(Bucket="unlisted-bucket")
    grant(endpoint, allow("s3:GetObject", "arn:aws:s3:::unlisted-bucket/*"))
    s3 = as_function(endpoint, "s3")

    with pytest.raises(ClientError) as refused:
        s3.get_object(Bucket="unlisted-bucket", Key="absent")

    assert refused.value.response["Error"]["Code"] == "AccessDenied"  # not NoSuchKey


def test_a_call_the_role_does_not_allow_is_refused_and_not_run(
    endpoint: LocalAwsEndpoint,
) -> None:
    operator = endpoint.client("secretsmanager")
    inside = operator.create_secret(Name="granted/one", SecretString="v1")["ARN"]
    outside = operator.create_secret(Name="other/one", SecretString="v1")["ARN"]
    grant(endpoint, allow("secretsmanager:*", "arn:aws:secretsmanager:*:*:secret:granted/*"))
    sm = as_function(endpoint, "secretsmanager")

    assert sm.get_secret_value(SecretId=inside)["SecretString"] == "v1"
    for call in (
        lambda: sm.get_secret_value(SecretId=outside),
        lambda: sm.put_secret_value(SecretId=outside, SecretString="v2"),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert operator.get_secret_value(SecretId=outside)["SecretString"] == "v1"  # not run


def test_an_explicit_deny_in_the_secret_s_policy_wins(endpoint: LocalAwsEndpoint) -> None:
    operator = endpoint.client("secretsmanager")
    arn = operator.create_secret(Name="granted/denied", SecretString="v1")["ARN"]
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": ROLE},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
    operator.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(deny))
    grant(endpoint, allow("secretsmanager:*", "arn:aws:secretsmanager:*:*:secret:granted/*"))
    sm = as_function(endpoint, "secretsmanager")

    with pytest.raises(ClientError) as refused:
        sm.get_secret_value(SecretId=arn)

    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert sm.describe_secret(SecretId=arn)["ARN"] == arn  # only GetSecretValue is denied


def test_a_query_protocol_service_is_refused_in_its_own_format(
    endpoint: LocalAwsEndpoint,
) -> None:
    topic = endpoint.client("sns").create_topic(Name="ungranted")["TopicArn"]
    grant(endpoint, allow("s3:GetObject", "arn:aws:s3:::elsewhere/*"))
    sns = as_function(endpoint, "sns")

    with pytest.raises(ClientError) as refused:
        sns.publish(TopicArn=topic, Message="x")

    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_a_stage_condition_lets_the_role_move_only_that_stage(endpoint: LocalAwsEndpoint) -> None:
    """Secrets Manager's ``secretsmanager:VersionStage`` condition key on
    UpdateSecretVersionStage (the stage the request moves) is evaluated: a role pinned to
    AWSPENDING may drop its pending version, and may not move AWSCURRENT."""
    operator = endpoint.client("secretsmanager")
    arn = operator.create_secret(Name="granted/staged", SecretString="v1")["ARN"]
    current = operator.describe_secret(SecretId=arn)["VersionIdsToStages"]
    [current_id] = list(current)
    pending_id = "p" * 32
    operator.put_secret_value(
        SecretId=arn, SecretString="v2", ClientRequestToken=pending_id, VersionStages=["AWSPENDING"]
    )
    grant(
        endpoint,
        {
            "Effect": "Allow",
            "Action": "secretsmanager:UpdateSecretVersionStage",
            "Resource": "arn:aws:secretsmanager:*:*:secret:granted/*",
            "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSPENDING"}},
        },
    )
    sm = as_function(endpoint, "secretsmanager")

    with pytest.raises(ClientError) as refused:
        sm.update_secret_version_stage(
            SecretId=arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=pending_id,
            RemoveFromVersionId=current_id,
        )
    sm.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=pending_id
    )

    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    stages = operator.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert stages == {current_id: ["AWSCURRENT"]}


def test_an_object_put_with_tags_needs_put_object_tagging(endpoint: LocalAwsEndpoint) -> None:
    endpoint.client("s3").create_bucket(Bucket="tagged-bucket")
    grant(endpoint, allow("s3:PutObject", "arn:aws:s3:::tagged-bucket/*"))
    s3 = as_function(endpoint, "s3")
    s3.put_object(Bucket="tagged-bucket", Key="plain", Body=b"x")

    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="tagged-bucket", Key="tagged", Body=b"x", Tagging="lifetime=run")
    grant(
        endpoint,
        allow("s3:PutObject", "arn:aws:s3:::tagged-bucket/*"),
        allow("s3:PutObjectTagging", "arn:aws:s3:::tagged-bucket/*"),
    )
    s3.put_object(Bucket="tagged-bucket", Key="tagged", Body=b"x", Tagging="lifetime=run")

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    tags = endpoint.client("s3").get_object_tagging(Bucket="tagged-bucket", Key="tagged")
    assert tags["TagSet"] == [{"Key": "lifetime", "Value": "run"}]


def test_parameter_store_names_who_wrote_each_version(endpoint: LocalAwsEndpoint) -> None:
    """GetParameterHistory's LastModifiedUser: a role's session by its assumed-role ARN
    (a function's session is named after the function), an IAM user by its own ARN."""
    endpoint.client("ssm").put_parameter(Name="/recorded/doc", Value="one", Type="String")
    user = "arn:aws:iam::123456789012:user/someone-else"
    endpoint.client("ssm", principal_arn=user).put_parameter(
        Name="/recorded/doc", Value="two", Overwrite=True
    )
    grant(endpoint, allow("ssm:PutParameter", "*"))
    as_function(endpoint, "ssm").put_parameter(Name="/recorded/doc", Value="three", Overwrite=True)

    history = endpoint.client("ssm").get_parameter_history(Name="/recorded/doc")["Parameters"]

    assert [v["LastModifiedUser"] for v in history] == [
        "arn:aws:sts::123456789012:assumed-role/portal-local-operator/portal-local",
        user,
        f"arn:aws:sts::123456789012:assumed-role/{ROLE_NAME}/recorded-function",
    ]
