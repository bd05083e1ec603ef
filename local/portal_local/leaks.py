"""Search everything the rules protect for secret values (tests and benchmarks).

The places a password, token or key must never appear: execution histories and
descriptions (every child execution of a Distributed Map included), function logs,
notifications (an SQS queue subscribed to the topic), the events on the project's bus
(a rule to an SQS queue), the DynamoDB ledger, and every S3 object except the run
scratch the work store keeps encrypted by design (the probe token, the pre-change key
and the config snapshot, which Finalize and RecordFailure delete; what stays is checked
by the workflow tests themselves).

What counts as a leak (FAULTS rows 25, 42, 52): exactly what the redactor masks
(``sensitive.patterns``): a value itself, or its URL-encoded, form-encoded, JSON-escaped,
HTML-escaped, base64 or hex form, or any run of one of them as long as the redactor
counts (``FRAGMENT`` characters; ``SHORT_FRAGMENT`` of a value at least ``FRAGMENT``
long; twice as many of a hex form).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from portal_automation.sensitive import patterns, runs

from portal_local.deployment import LocalDeployment
from portal_local.emulator import PortalEmulator

# Work store objects that hold secrets by design (encrypted; deleted when a run ends).
SCRATCH_NAMES: Final = ("probe-token", "pre-change-key", "config-snapshot.json")


def subscribe_notifications(aws: LocalDeployment, name: str = "notifications") -> str:
    """An SQS queue subscribed to the outcome topic; returns its URL."""
    url, arn = _queue(aws, name)
    aws.client("sns").subscribe(TopicArn=aws.outputs["TopicArn"], Protocol="sqs", Endpoint=arn)
    return url


def subscribe_bus_events(aws: LocalDeployment, name: str = "bus-events") -> str:
    """An SQS queue behind a rule that takes every event on the project's bus."""
    url, arn = _queue(aws, name)
    events, bus = aws.client("events"), aws.outputs["EventBusName"]
    events.put_rule(
        Name=f"leak-search-{name}",
        EventBusName=bus,
        EventPattern=json.dumps({"source": [{"prefix": ""}]}),
    )
    events.put_targets(
        Rule=f"leak-search-{name}", EventBusName=bus, Targets=[{"Id": "all", "Arn": arn}]
    )
    return url


def _queue(aws: LocalDeployment, name: str) -> tuple[str, str]:
    sqs = aws.client("sqs")
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, str(attributes["Attributes"]["QueueArn"])


def secret_values(emulator: PortalEmulator, passwords: Iterable[str]) -> set[str]:
    """Every password given, and every key and token the emulator ever had or issued
    (portals and server sites), and the secrets of every portal's security configuration
    (trust key, LDAP bind password)."""
    values = set(passwords)
    for site in emulator.servers:
        values.update(site.secret_values_seen())
    for portal in emulator.portals:
        values.update(portal.secret_values_seen())
        config = portal.security_config
        trust = config.get("webgisServerTrustKey")
        if trust:
            values.add(str(trust))
        for store in ("userStoreConfig", "groupStoreConfig"):
            properties = (config.get(store) or {}).get("properties") or {}
            for name, value in properties.items():
                if name.lower().endswith("password") and isinstance(value, str) and value:
                    values.add(value)
    return values


class Patterns:
    """What counts as a leak of the values added so far (``sensitive.patterns``): each
    form shorter than its run whole, and every run of the longer ones. Values are turned
    into patterns once, however many searches follow."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._windows: dict[int, set[str]] = {}  # run length -> runs
        self._short: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        for value in set(values) - self._values:
            self._values.add(value)
            for form, length in patterns(value) if value else ():
                if len(form) < length:
                    self._short.add(form)
                else:
                    self._windows.setdefault(length, set()).update(runs(form, length))

    def found_in(self, text: str) -> bool:
        if any(form in text for form in self._short):
            return True
        return any(
            text[i : i + length] in windows
            for length, windows in self._windows.items()
            for i in range(len(text) - length + 1)
        )


@dataclass
class Seen:
    """What earlier searches of the same deployment read in full, so later ones need not
    read it again: executions read after they had ended, parents whose children all were
    too, S3 objects by ETag, ledger items by content, and each function log up to its
    last whole line; and the patterns of every value searched for so far. A text
    complete before a value existed cannot hold it, and every value that existed then
    was searched for: a session's searches stay linear in what its runs produced
    instead of growing with every test."""

    ended: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    objects: dict[str, str] = field(default_factory=dict)
    items: set[str] = field(default_factory=set)
    log_offsets: dict[str, int] = field(default_factory=dict)
    patterns: Patterns = field(default_factory=Patterns)


def observable_texts(
    aws: LocalDeployment,
    notifications_queue: str,
    bus_queue: str | None = None,
    seen: Seen | None = None,
) -> dict[str, str]:
    """Every text the rules protect, but what ``seen`` says was read in full before."""
    seen = seen if seen is not None else Seen()
    texts: dict[str, str] = {}
    sfn = aws.client("stepfunctions")
    for arn in executions(sfn, aws.state_machine_arn, seen):
        description = sfn.describe_execution(executionArn=arn)  # before the history
        events = [
            e
            for page in _pages(sfn, "get_execution_history", executionArn=arn)
            for e in page["events"]
        ]
        texts[f"history:{arn}"] = json.dumps(events, default=str)
        texts[f"describe:{arn}"] = json.dumps(description, default=str)
        if description["status"] != "RUNNING":
            seen.ended.add(arn)
    for (function, worker), log in aws.endpoint.worker_logs().items():
        name = f"{function}/{worker}"
        start = seen.log_offsets.get(name, 0)
        texts[f"log:{name}"] = log[start:]
        seen.log_offsets[name] = max(start, log.rfind("\n") + 1)  # a line still written: again
    for kind, queue in (("notification", notifications_queue), ("event", bus_queue)):
        if queue is not None:
            texts.update(_drain(aws, queue, kind))
    scan = aws.client("dynamodb").get_paginator("scan")
    pages = scan.paginate(TableName=aws.outputs["RunsTableName"])
    items = [json.dumps(item, sort_keys=True) for page in pages for item in page["Items"]]
    texts["dynamodb"] = "\n".join(item for item in items if item not in seen.items)
    seen.items.update(items)
    texts.update(_s3_objects(aws, seen.objects))
    return texts


def executions(sfn: Any, state_machine_arn: str, seen: Seen | None = None) -> list[str]:
    """Every execution of the state machine, and every child execution of their map runs
    (a Distributed Map's children are listed under their map run only); with ``seen``,
    only those not read in full before."""
    seen = seen if seen is not None else Seen()
    found: list[str] = []
    for page in _pages(sfn, "list_executions", stateMachineArn=state_machine_arn):
        for execution in page["executions"]:
            parent = execution["executionArn"]
            if parent in seen.closed:
                continue
            children = [
                child["executionArn"]
                for runs in _pages(sfn, "list_map_runs", executionArn=parent)
                for run in runs["mapRuns"]
                for listed in _pages(sfn, "list_executions", mapRunArn=run["mapRunArn"])
                for child in listed["executions"]
            ]
            unread = [arn for arn in (parent, *children) if arn not in seen.ended]
            if unread:
                found.extend(unread)
            else:
                seen.closed.add(parent)
    return found


def _pages(sfn: Any, operation: str, **kwargs: Any) -> Any:
    return sfn.get_paginator(operation).paginate(**kwargs)


def _drain(aws: LocalDeployment, queue: str, kind: str) -> dict[str, str]:
    sqs = aws.client("sqs")
    texts = {}
    for _ in range(100):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            texts[f"{kind}:{message['MessageId']}"] = message["Body"]
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return texts


def _s3_objects(aws: LocalDeployment, read: dict[str, str]) -> dict[str, str]:
    """Every object's text, but those read before with the same ETag (``read``)."""
    s3 = aws.client("s3")
    texts = {}
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.rsplit("/", 1)[-1] in SCRATCH_NAMES:
                    continue
                if read.get(f"{name}/{key}") == obj["ETag"]:
                    continue
                body = s3.get_object(Bucket=name, Key=key)["Body"].read()
                texts[f"s3:{name}/{key}"] = body.decode("utf-8", "replace")
                read[f"{name}/{key}"] = obj["ETag"]
    return texts


def find_leaks(
    texts: dict[str, str], values: set[str], patterns: Patterns | None = None
) -> list[str]:
    """Where any value, encoding or run of one appears (the places, never the values).
    ``patterns`` keeps the values of earlier searches turned into patterns."""
    patterns = patterns if patterns is not None else Patterns()
    patterns.add(values)
    return sorted(where for where, text in texts.items() if text and patterns.found_in(text))
