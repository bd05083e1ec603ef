"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.status_events` exists for."""

from __future__ import annotations

import json
from typing import Any

from tests.local_aws.moto_workarounds._raw import REGION, TRUST, run_to_end


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


def test_raw_moto_stopped_execution_stays_running(aws: Any) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends  # noqa: PLC0415

    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(wait), roleArn=role)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="run")
    backend = stepfunctions_parser_backends["123456789012"][REGION]
    [execution] = [e for e in backend._get_executions() if e.exec_arn == arn["executionArn"]]
    execution.exec_worker.stop = lambda **_: None  # a program busy in a Task's call

    sfn.stop_execution(executionArn=arn["executionArn"])

    # AWS: ABORTED from the stop on (its status-change event sent then).
    assert sfn.describe_execution(executionArn=arn["executionArn"])["status"] == "RUNNING"
