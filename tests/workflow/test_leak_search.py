"""The leak search that ends every workflow test, on the deployment itself: it finds a
canary in every place it covers, and reads each place once, so it stays cheap across a
session, without missing what is written after it read a place."""

from __future__ import annotations

import json
import secrets

import pytest
from portal_local.leaks import find_leaks, observable_texts

from .conftest import Workflow

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def _kinds(places: list[str]) -> set[str]:
    return {place.split(":", 1)[0] for place in places}


def test_the_search_finds_a_canary_in_every_place_and_reads_each_place_once(
    workflow: Workflow,
) -> None:
    aws = workflow.aws
    seen = aws.leaks_seen  # type: ignore[attr-defined]

    def search(canary: str) -> list[str]:
        texts = observable_texts(aws, aws.notifications_queue, aws.bus_queue, seen)  # type: ignore[attr-defined]
        return find_leaks(texts, {canary})

    canary = f"LEAKCANARY{secrets.token_hex(12)}"
    bucket, table = aws.outputs["WorkBucketName"], aws.outputs["RunsTableName"]
    s3, ddb = aws.client("s3"), aws.client("dynamodb")
    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    s3.put_object(Bucket=bucket, Key="reports/leak-search.json", Body=canary.encode())
    ddb.put_item(TableName=table, Item={k: {"S": f"leak-search-{k}"} for k in keys})
    ddb.put_item(
        TableName=table, Item={**{k: {"S": f"leak-search-{k}-1"} for k in keys}, "x": {"S": canary}}
    )
    aws.client("sns").publish(TopicArn=aws.outputs["TopicArn"], Message=f"note {canary}")
    aws.client("events").put_events(
        Entries=[
            {
                "EventBusName": aws.outputs["EventBusName"],
                "Source": "leak.search",
                "DetailType": "Leak Search Test",
                "Detail": json.dumps({"v": canary}),
            }
        ]
    )
    workflow.run({"action": "rotate-shared-key", "portals": [{"secretArn": canary}]})
    # Written by a worker that is not the last one of its function: an offset into all
    # the workers' output joined would skip it.
    busiest = max(
        (d for d in aws.endpoint.runtime.logs_dir.iterdir() if d.is_dir()),
        key=lambda d: len(list(d.glob("worker-*.log"))),
    )
    first_worker = sorted(busiest.glob("worker-*.log"))[0]
    with first_worker.open("a", encoding="utf-8") as log:
        log.write(f"a line with {canary[::-1]} {canary}\n")

    found = search(canary)

    assert {"s3", "dynamodb", "notification", "event", "log", "history"} <= _kinds(found), found
    assert f"s3:{bucket}/reports/leak-search.json" in found
    assert search(canary) == []  # everything read once, nothing new

    later = f"LATERCANARY{secrets.token_hex(12)}"
    with first_worker.open("a", encoding="utf-8") as log:
        log.write(f"{later}\n")
    ddb.put_item(
        TableName=table, Item={**{k: {"S": f"leak-search-{k}-1"} for k in keys}, "x": {"S": later}}
    )

    assert search(later) == sorted(
        [f"log:{first_worker.parent.name}/{first_worker.name}", "dynamodb"]
    )
    s3.delete_object(Bucket=bucket, Key="reports/leak-search.json")
    for suffix in ("", "-1"):
        ddb.delete_item(TableName=table, Key={k: {"S": f"leak-search-{k}{suffix}"} for k in keys})
