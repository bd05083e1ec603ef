"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.status_events` exists for."""

from __future__ import annotations

import json
from typing import Any

from tests.local_aws.moto_workarounds._raw import run_to_end


def test_raw_moto_step_functions_status_changes_not_delivered(aws: Any) -> None:
    sqs, events = aws("sqs"), aws("events")
    queue = sqs.create_queue(QueueName="status-changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    pattern = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
    events.put_rule(Name="status", EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="status", Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}]
    )
    ended = run_to_end(aws, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert ended["status"] == "SUCCEEDED"
    # AWS: a RUNNING and a SUCCEEDED event reach the queue (moto delivers to SQS targets
    # what is put on the bus, but Step Functions puts nothing there).
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
