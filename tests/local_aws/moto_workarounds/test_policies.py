"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.policies` exists for."""

from __future__ import annotations

import json
from typing import Any

import pytest


def test_raw_moto_bucket_policy_conditions_deny(aws: Any) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="raw-bucket")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="raw-bucket", Policy=json.dumps(policy))
    with pytest.raises(s3.exceptions.ClientError, match=r"403|AccessDenied"):
        s3.put_object(Bucket="raw-bucket", Key="k", Body=b"x")  # AWS: allowed over HTTPS


def test_raw_moto_event_bus_policy_not_enforced(aws: Any) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="raw-bus")["EventBusArn"]
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NobodyPutsRequests",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus,
                "Condition": {"StringEquals": {"events:source": ["requests"]}},
            }
        ],
    }
    events.put_permission(EventBusName="raw-bus", Policy=json.dumps(deny))
    entry = {"EventBusName": "raw-bus", "Source": "requests", "DetailType": "t", "Detail": "{}"}
    answer = events.put_events(Entries=[entry])  # AWS: AccessDeniedException
    assert answer["FailedEntryCount"] == 0
