"""What the endpoint records of a function's calls, for the least-privilege proof
(tests/workflow/test_zz_least_privilege.py): the IAM action and resource each needed."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from portal_local.aws.access import Principal, access_key_id
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

ROLE = "arn:aws:iam::123456789012:role/recorded-function-role"


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
