"""The template's resource policies hold against other principals of the account (issue 10
section 1), enforced by the local endpoint as AWS enforces them: the work bucket's run
scratch is for the function roles that use it and the operator role only; only
``RequestPrincipalArns`` may put request events on the project's bus, and only the audit
function audit events. The tests' own clients are the operator
(``SnapshotReaderRoleArn`` and ``RequestPrincipalArns`` of the local deployment)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from portal_local.aws.moto_endpoint import OPERATOR_ARN

from .conftest import Workflow

pytestmark = pytest.mark.workflow

OTHER_ROLE = "arn:aws:iam::123456789012:role/some-other-team"


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def _status(call: Any) -> int:
    with pytest.raises(ClientError) as refused:
        call()
    return int(refused.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_the_run_scratch_is_denied_to_a_principal_that_is_not_a_function(
    workflow: Workflow,
) -> None:
    bucket = workflow.aws.outputs["WorkBucketName"]
    key = "runs/resource-policy-test/config-snapshot.json"
    operator = workflow.aws.client("s3")
    other = workflow.aws.endpoint.client("s3", principal_arn=OTHER_ROLE)
    operator.put_object(Bucket=bucket, Key=key, Body=b"{}")
    try:
        assert _status(lambda: other.get_object(Bucket=bucket, Key=key)) == 403
        assert _status(lambda: other.put_object(Bucket=bucket, Key=key, Body=b"x")) == 403
        assert _status(lambda: other.head_object(Bucket=bucket, Key=key)) == 403
        assert _status(lambda: other.delete_object(Bucket=bucket, Key=key)) == 403
        # The operator role may; outside runs/ the other role is not refused by the bucket.
        assert operator.get_object(Bucket=bucket, Key=key)["Body"].read() == b"{}"
        other.put_object(Bucket=bucket, Key="reports/resource-policy-test.json", Body=b"{}")
    finally:
        operator.delete_object(Bucket=bucket, Key=key)
        operator.delete_object(Bucket=bucket, Key="reports/resource-policy-test.json")


def test_plain_http_is_denied_even_to_the_operator(workflow: Workflow) -> None:
    bucket, key = workflow.aws.outputs["WorkBucketName"], "reports/plain-http-test.json"
    s3, plain = workflow.aws.client("s3"), workflow.aws.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=b"{}")

    def plain_http(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-Proto"] = "http"

    plain.meta.events.register("before-sign.s3.*", plain_http)
    try:
        assert _status(lambda: plain.get_object(Bucket=bucket, Key=key)) == 403
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"{}"
    finally:
        s3.delete_object(Bucket=bucket, Key=key)


def _entry(workflow: Workflow, source: str) -> dict[str, str]:
    # A detail type no rule matches: what is tested is the bus policy, not a rule's target.
    return {
        "EventBusName": workflow.aws.outputs["EventBusName"],
        "Source": source,
        "DetailType": "Resource Policy Test",
        "Detail": json.dumps({"secretArns": []}),
    }


def test_only_the_named_principals_put_request_events(workflow: Workflow) -> None:
    other = workflow.aws.endpoint.client("events", principal_arn=OTHER_ROLE)
    request = _entry(workflow, "portal-security.requests")

    assert _code(lambda: other.put_events(Entries=[request])) == "AccessDeniedException"
    accepted = workflow.aws.client("events").put_events(Entries=[request])  # the operator
    assert accepted["FailedEntryCount"] == 0
    unrelated = other.put_events(Entries=[_entry(workflow, "another.team")])
    assert unrelated["FailedEntryCount"] == 0


def test_only_the_audit_function_puts_audit_events(workflow: Workflow) -> None:
    audit = _entry(workflow, "portal-security")
    for principal in (OPERATOR_ARN, OTHER_ROLE):
        events = workflow.aws.endpoint.client("events", principal_arn=principal)
        assert _code(lambda e=events: e.put_events(Entries=[audit])) == "AccessDeniedException"
