"""Search everything the rules protect for secret values (tests and benchmarks).

The places a password, token or key must never appear: execution histories and
descriptions, function logs, notifications (an SQS queue subscribed to the topic), and
the DynamoDB ledger. The S3 work store is encrypted scratch by design and not searched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from portal_local.deployment import LocalDeployment
from portal_local.emulator import PortalEmulator


def subscribe_notifications(aws: LocalDeployment, name: str = "notifications") -> str:
    """An SQS queue subscribed to the outcome topic; returns its URL."""
    sqs = aws.client("sqs")
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws.client("sns").subscribe(TopicArn=aws.outputs["TopicArn"], Protocol="sqs", Endpoint=arn)
    return url


def secret_values(emulator: PortalEmulator, passwords: Iterable[str]) -> set[str]:
    """Every password given, and every key and token the emulator ever had or issued."""
    values = set(passwords)
    for portal in emulator.portals:
        values.update(portal.secret_values_seen())
        trust = portal.security_config.get("webgisServerTrustKey")
        if trust:
            values.add(str(trust))
    return values


def observable_texts(aws: LocalDeployment, notifications_queue: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    sfn = aws.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=aws.state_machine_arn, maxResults=1000)
    for execution in executions["executions"]:
        arn = execution["executionArn"]
        events: list[Any] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        texts[f"history:{arn}"] = json.dumps(events, default=str)
        texts[f"describe:{arn}"] = json.dumps(sfn.describe_execution(executionArn=arn), default=str)
    for name, log in aws.endpoint.function_logs().items():
        texts[f"log:{name}"] = log
    sqs = aws.client("sqs")
    for _ in range(100):
        messages = sqs.receive_message(QueueUrl=notifications_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            break
        for message in messages:
            texts[f"notification:{message['MessageId']}"] = message["Body"]
            sqs.delete_message(QueueUrl=notifications_queue, ReceiptHandle=message["ReceiptHandle"])
    items = aws.client("dynamodb").scan(TableName=aws.outputs["RunsTableName"])["Items"]
    texts["dynamodb"] = json.dumps(items)
    return texts


def find_leaks(texts: dict[str, str], values: set[str]) -> list[str]:
    """Where any of ``values`` appears (the places, never the values)."""
    return sorted({where for where, text in texts.items() for v in values if v and v in text})
