"""Distributed Map children are executions of their own, as on AWS.

Each item of a map run is a child execution: listed with ``ListExecutions(mapRunArn=)``
(paged, newest first, filtered by status), described with ``DescribeExecution`` and read
with ``GetExecutionHistory`` (paged, in either order); ``DescribeMapRun`` counts items
and executions by status. A failed child fails the map run unless the Map tolerates it,
and a failed map run stops the children still running.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from portal_automation.cli.follow import follow_execution
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import history, state_machine, wait_for_execution

pytestmark = pytest.mark.workflow

PROCESSOR = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Pick",
    "States": {
        "Pick": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.item.fail", "BooleanEquals": True, "Next": "Fail"}],
            "Default": "Work",
        },
        "Work": {
            "Type": "Pass",
            "Parameters": {"me.$": "$$.Execution.Id", "n.$": "$.item.n"},
            "End": True,
        },
        "Fail": {"Type": "Fail", "Error": "Broken", "Cause": "item failed"},
    },
}
FLEET = {
    "StartAt": "Fleet",
    "States": {
        "Fleet": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"item.$": "$$.Map.Item.Value"},
            "ItemProcessor": PROCESSOR,
            "ToleratedFailurePercentage": 100.0,  # moto parses no int here
            "ResultPath": None,
            "End": True,
        }
    },
}
SLOW = {  # items that wait five seconds (time to see them all running), or fail at once
    **PROCESSOR,
    "States": {
        **PROCESSOR["States"],
        "Work": {"Type": "Wait", "Seconds": 5, "End": True},
    },
}
FAIL_LATER = {  # the failing item fails after 2 s, when every other one has started
    **PROCESSOR,
    "States": {
        "Pick": {
            **PROCESSOR["States"]["Pick"],  # type: ignore[dict-item]
            "Choices": [{"Variable": "$.item.fail", "BooleanEquals": True, "Next": "Delay"}],
        },
        "Delay": {"Type": "Wait", "Seconds": 2, "Next": "Fail"},
        "Work": {"Type": "Wait", "Seconds": 20, "End": True},
        "Fail": PROCESSOR["States"]["Fail"],  # type: ignore[index]
    },
}


@pytest.fixture(scope="module")
def fleet_run(endpoint: LocalAwsEndpoint) -> dict[str, Any]:
    items = [{"n": n, "fail": n == 3} for n in range(7)]
    sfn = endpoint.client("stepfunctions")
    machine = state_machine(endpoint, FLEET)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": items}))
    parent = wait_for_execution(sfn, arn["executionArn"], timeout_s=60)
    run = sfn.list_map_runs(executionArn=parent["executionArn"])["mapRuns"][0]
    return {"parent": parent, "run": run, "machine": machine}


def test_each_item_is_a_listed_child_execution(
    endpoint: LocalAwsEndpoint, fleet_run: dict[str, Any]
) -> None:
    sfn, run = endpoint.client("stepfunctions"), fleet_run["run"]
    pages = sfn.get_paginator("list_executions").paginate(
        mapRunArn=run["mapRunArn"], PaginationConfig={"PageSize": 3}
    )
    listed = [(len(page["executions"]), page["executions"]) for page in pages]
    children = [c for _, page in listed for c in page]

    assert [size for size, _ in listed] == [3, 3, 1]
    assert len({c["executionArn"] for c in children}) == 7
    label = run["mapRunArn"].split(":mapRun:")[1].rsplit(":", 1)[0]  # "<machine>/<label>"
    for child in children:
        assert child["executionArn"].endswith(f":execution:{label}:{child['name']}")
        assert child["stateMachineArn"] == fleet_run["machine"] + "/" + label.split("/")[1]
        assert child["mapRunArn"] == run["mapRunArn"]
    starts = [c["startDate"] for c in children]
    assert starts == sorted(starts, reverse=True)  # newest first
    statuses = sorted(c["status"] for c in children)
    assert statuses == ["FAILED"] + ["SUCCEEDED"] * 6
    failed = sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")
    assert [
        json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"])
        for c in failed["executions"]
    ] == [{"item": {"n": 3, "fail": True}}]


def test_a_child_has_its_own_description_and_history(
    endpoint: LocalAwsEndpoint, fleet_run: dict[str, Any]
) -> None:
    sfn, run = endpoint.client("stepfunctions"), fleet_run["run"]
    children = sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]
    ok = next(c for c in children if c["status"] == "SUCCEEDED")
    bad = next(c for c in children if c["status"] == "FAILED")

    described = sfn.describe_execution(executionArn=ok["executionArn"])
    assert described["mapRunArn"] == run["mapRunArn"]
    output = json.loads(described["output"])
    assert output["me"] == ok["executionArn"]  # $$.Execution is the child
    assert described["stopDate"] >= described["startDate"]
    failed = sfn.describe_execution(executionArn=bad["executionArn"])
    assert (failed["status"], failed["error"], failed["cause"]) == (
        "FAILED",
        "Broken",
        "item failed",
    )
    events = history(sfn, ok["executionArn"])
    assert events[0]["type"] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert history(sfn, bad["executionArn"])[-1]["type"] == "ExecutionFailed"
    parent = history(sfn, fleet_run["parent"]["executionArn"])
    assert {"Pick", "Work"}.isdisjoint(
        e.get("stateEnteredEventDetails", {}).get("name") for e in parent
    )


def test_histories_are_paged_in_either_order(
    endpoint: LocalAwsEndpoint, fleet_run: dict[str, Any]
) -> None:
    sfn = endpoint.client("stepfunctions")
    arn = fleet_run["parent"]["executionArn"]
    everything = history(sfn, arn)

    first = sfn.get_execution_history(executionArn=arn, maxResults=2)
    newest = sfn.get_execution_history(executionArn=arn, maxResults=2, reverseOrder=True)
    rest = sfn.get_execution_history(executionArn=arn, maxResults=2, nextToken=first["nextToken"])

    assert [e["id"] for e in first["events"]] == [1, 2]
    assert [e["id"] for e in rest["events"]] == [3, 4]
    assert [e["id"] for e in newest["events"]] == [len(everything), len(everything) - 1]
    with pytest.raises(ClientError, match="InvalidToken"):
        sfn.get_execution_history(executionArn=arn, nextToken=newest["nextToken"])
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.get_execution_history(executionArn=arn, maxResults=1001)


def test_the_map_run_counts_children_by_status(
    endpoint: LocalAwsEndpoint, fleet_run: dict[str, Any]
) -> None:
    sfn, run = endpoint.client("stepfunctions"), fleet_run["run"]
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])

    for counts in (described["executionCounts"], described["itemCounts"]):
        assert (counts["total"], counts["succeeded"], counts["failed"]) == (7, 6, 1)
        assert (counts["running"], counts["pending"]) == (0, 0)
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.list_executions(mapRunArn=run["mapRunArn"], stateMachineArn=fleet_run["machine"])
    unknown = run["mapRunArn"].rsplit(":", 1)[0] + ":00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sfn.list_executions(mapRunArn=unknown)


def _fleet(
    endpoint: LocalAwsEndpoint, processor: dict[str, Any], items: list[Any], **extra: Any
) -> tuple[str, str]:
    """Start a Distributed Map over ``items``, its fields ``extra`` (None: left out; a
    Catch goes on to a ``Caught`` Pass state): (state machine, execution) ARNs."""
    fleet = {**FLEET["States"]["Fleet"], "ItemProcessor": processor, **extra}
    fleet = {k: v for k, v in fleet.items() if v is not None}
    states: dict[str, Any] = {"Fleet": fleet}
    if "Catch" in fleet:
        fleet.pop("End")
        fleet["Next"] = "Caught"
        states["Caught"] = {"Type": "Pass", "End": True}
    machine = state_machine(endpoint, {"StartAt": "Fleet", "States": states})
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": items}))
    return machine, arn["executionArn"]


def _children(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    runs = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    return sfn.list_executions(mapRunArn=runs[0]["mapRunArn"])["executions"] if runs else []


def test_a_failed_child_fails_the_map_run_unless_tolerated(endpoint: LocalAwsEndpoint) -> None:
    """ToleratedFailurePercentage and ToleratedFailureCount default to 0: one failed
    child of seven fails the map run and the Map state (States.ALL catches that)."""
    sfn = endpoint.client("stepfunctions")
    items = [{"n": n, "fail": n == 3} for n in range(7)]
    outcomes = {}
    for name, extra in {
        "default": {"ToleratedFailurePercentage": None},
        "caught": {
            "ToleratedFailurePercentage": None,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
        },
        "tolerated-percentage": {"ToleratedFailurePercentage": 20.0},  # moto parses no int here
        "tolerated-count": {"ToleratedFailurePercentage": None, "ToleratedFailureCount": 1},
        "one-too-many": {"ToleratedFailureCount": 0, "ToleratedFailurePercentage": 10.0},
    }.items():
        _, arn = _fleet(endpoint, PROCESSOR, items, **extra)
        done = wait_for_execution(sfn, arn, timeout_s=60)
        outcomes[name] = done["status"]
        if name == "caught":
            output = json.loads(done["output"])
            assert output["error"]["Error"] == "States.ExceedToleratedFailureThreshold"
        if name == "default":
            assert done["error"] == "States.ExceedToleratedFailureThreshold"
            run = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"][0]
            assert sfn.describe_map_run(mapRunArn=run["mapRunArn"])["status"] == "FAILED"

    assert outcomes == {
        "default": "FAILED",
        "caught": "SUCCEEDED",
        "tolerated-percentage": "SUCCEEDED",
        "tolerated-count": "SUCCEEDED",
        "one-too-many": "FAILED",
    }


def test_a_failed_map_run_stops_the_children_still_running(endpoint: LocalAwsEndpoint) -> None:
    """Once the map run fails, Step Functions stops its running children: with the
    default thresholds, one child failing leaves none of the slow ones to end."""
    sfn = endpoint.client("stepfunctions")
    items = [{"n": n, "fail": n == 0} for n in range(5)]
    _, arn = _fleet(endpoint, FAIL_LATER, items, ToleratedFailurePercentage=None)

    done = wait_for_execution(sfn, arn, timeout_s=60)

    assert (done["status"], done["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    statuses = sorted(c["status"] for c in _children(sfn, arn))
    assert statuses.count("FAILED") == 1
    assert "SUCCEEDED" not in statuses
    assert "ABORTED" in statuses


def test_a_failed_map_run_starts_no_more_children(endpoint: LocalAwsEndpoint) -> None:
    """One child at a time: the first fails, and the two after it never start."""
    sfn = endpoint.client("stepfunctions")
    items = [{"n": n, "fail": n == 0} for n in range(3)]
    _, arn = _fleet(endpoint, FAIL_LATER, items, ToleratedFailurePercentage=None, MaxConcurrency=1)

    done = wait_for_execution(sfn, arn, timeout_s=60)

    assert (done["status"], done["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert [c["status"] for c in _children(sfn, arn)] == ["FAILED"]


@pytest.mark.parametrize("tolerated", [100.0, None], ids=["tolerated", "default"])
def test_a_child_stopped_by_an_operator_ends_aborted(
    endpoint: LocalAwsEndpoint, tolerated: float | None
) -> None:
    """``StopExecution`` on one child: it ends ABORTED and counts as a failure. A Map
    that tolerates every failure lets the others finish; by default the map run fails
    and every other child is stopped with it."""
    sfn = endpoint.client("stepfunctions")
    _, arn = _fleet(
        endpoint,
        SLOW,
        [{"n": n, "fail": False} for n in range(4)],
        ToleratedFailurePercentage=tolerated,
    )
    children: list[dict[str, Any]] = []
    for _ in range(100):  # the four children start within a second; bounded at 10 s
        children = _children(sfn, arn)
        if len(children) == 4:
            break
        time.sleep(0.1)
    assert [c["status"] for c in children] == ["RUNNING"] * 4
    stopped = children[0]["executionArn"]

    sfn.stop_execution(executionArn=stopped, cause="operator")
    done = wait_for_execution(sfn, arn, timeout_s=60)

    statuses = {c["executionArn"]: c["status"] for c in _children(sfn, arn)}
    assert statuses.pop(stopped) == "ABORTED"
    assert sfn.describe_execution(executionArn=stopped)["status"] == "ABORTED"
    assert history(sfn, stopped)[-1]["type"] == "ExecutionAborted"
    if tolerated:
        assert done["status"] == "SUCCEEDED"
        assert sorted(statuses.values()) == ["SUCCEEDED"] * 3
        run = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
        assert sfn.describe_map_run(mapRunArn=run)["executionCounts"]["aborted"] == 1
    else:
        assert (done["status"], done["error"]) == (
            "FAILED",
            "States.ExceedToleratedFailureThreshold",
        )
        assert sorted(statuses.values()) == ["ABORTED"] * 3


def test_follow_reports_and_labels_each_child(endpoint: LocalAwsEndpoint) -> None:
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/{}-AbC123"
    items = [
        {"secretArn": secret.format("north"), "n": 1, "fail": False},
        {"secretArn": secret.format("south"), "label": "South", "n": 2, "fail": False},
    ]
    machine = state_machine(endpoint, FLEET)
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": items}))
    out = io.StringIO()

    result = follow_execution(
        sfn, arn["executionArn"], out=out, poll_seconds=0.05, timeout_seconds=60
    )

    assert result.status == "SUCCEEDED"
    assert result.portal_states == {
        secret.format("north"): ["Pick", "Work"],
        secret.format("south"): ["Pick", "Work"],
    }
    assert result.states == ["Fleet", "Pick", "Work", "Pick", "Work"]
    lines = out.getvalue().splitlines()
    assert any(line.endswith("[portal-admin/north] -> Work") for line in lines), lines
    assert any(line.endswith("[South] -> Work") for line in lines), lines
    for portal, child in result.portal_executions.items():
        described = sfn.describe_execution(executionArn=child)
        assert json.loads(described["input"])["item"]["secretArn"] == portal
