"""The local endpoint enforces Step Functions' hard quotas, as AWS does (issue 11).

Payload: 256 KiB for an execution input (refused at StartExecution) and for each state's
input, Task result and output (``States.DataLimitExceeded``, which ``States.ALL`` does
not catch). History: 25,000 events per execution (the execution fails with
``States.Runtime``), each Distributed Map child counted on its own. The history tests
lower the limit (the constant is read when a state is entered) so that they run in
seconds; ``test_the_quotas_are_the_documented_ones`` pins the real values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from portal_local.aws.deploy import Stack
from portal_local.aws.moto_endpoint import LocalAwsEndpoint
from portal_local.aws.moto_workarounds import stepfunctions_quotas
from portal_local.aws.moto_workarounds.stepfunctions_quotas import (
    MAX_HISTORY_EVENTS,
    MAX_PAYLOAD_BYTES,
)

from tests.local_aws._support import history, state_machine, wait_for_execution

pytestmark = pytest.mark.workflow

EMPTY_PAD = len(json.dumps({"pad": ""}))
LOOP = {
    "Count": {
        "Type": "Pass",
        "Parameters": {"n.$": "States.MathAdd($.n, 1)", "limit.$": "$.limit"},
        "Next": "More",
    },
    "More": {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericLessThanPath": "$.limit", "Next": "Count"}],
        "Default": "Done",
    },
    "Done": {"Type": "Succeed"},
}


def _run(endpoint: LocalAwsEndpoint, machine: str, document: Any) -> dict[str, Any]:
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(document))["executionArn"]
    return wait_for_execution(sfn, arn, timeout_s=60)


def _entered(endpoint: LocalAwsEndpoint, execution: dict[str, Any]) -> list[str]:
    events = history(endpoint.client("stepfunctions"), execution["executionArn"])
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
    ]


def _padded(size: int) -> dict[str, str]:
    """A document whose JSON text (as Step Functions measures it) is ``size`` bytes."""
    return {"pad": "x" * (size - EMPTY_PAD)}


def test_the_quotas_are_the_documented_ones() -> None:
    assert MAX_PAYLOAD_BYTES == 262_144  # 256 KiB
    assert MAX_HISTORY_EVENTS == 25_000


def test_start_execution_refuses_an_input_over_the_quota(endpoint: LocalAwsEndpoint) -> None:
    machine = state_machine(
        endpoint, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    sfn = endpoint.client("stepfunctions")

    at_the_limit = _run(endpoint, machine, _padded(MAX_PAYLOAD_BYTES))
    with pytest.raises(ClientError) as too_long:
        sfn.start_execution(
            stateMachineArn=machine, input=json.dumps(_padded(MAX_PAYLOAD_BYTES + 1))
        )
    multibyte = json.dumps({"pad": "é" * (MAX_PAYLOAD_BYTES // 2)}, ensure_ascii=False)
    with pytest.raises(ClientError) as too_big:
        sfn.start_execution(stateMachineArn=machine, input=multibyte)

    assert at_the_limit["status"] == "SUCCEEDED"
    assert too_long.value.response["Error"]["Code"] == "ValidationException"
    assert len(multibyte) < MAX_PAYLOAD_BYTES < len(multibyte.encode())
    assert too_big.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_a_task_result_over_the_quota_fails_the_execution_whatever_the_catch(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    machine = state_machine(
        endpoint,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": stack.outputs["AlphaFunctionArn"],
                    "Parameters": {"action": "big", "bytes.$": "$.bytes"},
                    "ResultPath": "$.result",
                    "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )

    small = _run(endpoint, machine, {"bytes": MAX_PAYLOAD_BYTES // 2})
    over = _run(endpoint, machine, {"bytes": MAX_PAYLOAD_BYTES + 1})

    assert small["status"] == "SUCCEEDED"
    assert (over["status"], over["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert _entered(endpoint, over) == ["Call"]  # no Caught
    events = endpoint.client("stepfunctions").get_execution_history(
        executionArn=over["executionArn"]
    )["events"]
    assert [e["type"] for e in events].count("LambdaFunctionScheduled") == 1  # and no retry


def test_only_a_catch_that_names_data_limit_exceeded_catches_it(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    """AWS documents that States.ALL cannot catch it; naming it explicitly is modelled as
    catching it (the documentation excludes only the wildcard)."""
    machine = state_machine(
        endpoint,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": stack.outputs["AlphaFunctionArn"],
                    "Parameters": {"action": "big", "bytes.$": "$.bytes"},
                    "Catch": [
                        {
                            "ErrorEquals": ["States.DataLimitExceeded"],
                            "ResultPath": None,
                            "Next": "Caught",
                        }
                    ],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "Result": "caught", "End": True},
            },
        },
    )

    caught = _run(endpoint, machine, {"bytes": MAX_PAYLOAD_BYTES + 1})

    assert caught["status"] == "SUCCEEDED"
    assert _entered(endpoint, caught) == ["Call", "Caught"]


def test_a_state_output_over_the_quota_fails_even_inside_a_caught_map(
    endpoint: LocalAwsEndpoint,
) -> None:
    doubled = {"Type": "Pass", "Parameters": {"a.$": "$.pad", "b.$": "$.pad"}, "End": True}
    machine = state_machine(
        endpoint,
        {
            "StartAt": "Items",
            "States": {
                "Items": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {"StartAt": "Double", "States": {"Double": doubled}},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )
    pad = "x" * (MAX_PAYLOAD_BYTES // 2)

    over = _run(endpoint, machine, {"items": [{"pad": pad}]})

    assert (over["status"], over["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert "Caught" not in _entered(endpoint, over)


def test_a_state_input_over_the_quota_fails(endpoint: LocalAwsEndpoint) -> None:
    machine = state_machine(
        endpoint,
        {
            "StartAt": "Items",
            "States": {
                "Items": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"a.$": "$.pad", "b.$": "$.pad"},
                    "ItemProcessor": {
                        "StartAt": "P",
                        "States": {"P": {"Type": "Pass", "OutputPath": "$.a", "End": True}},
                    },
                    "ResultPath": None,
                    "End": True,
                }
            },
        },
    )

    over = _run(endpoint, machine, {"items": [1], "pad": "x" * (MAX_PAYLOAD_BYTES // 2)})

    assert (over["status"], over["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_an_execution_fails_when_its_history_reaches_the_quota(
    endpoint: LocalAwsEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stepfunctions_quotas, "MAX_HISTORY_EVENTS", 200)
    machine = state_machine(endpoint, {"StartAt": "Count", "States": LOOP})
    sfn = endpoint.client("stepfunctions")

    short = _run(endpoint, machine, {"n": 0, "limit": 10})
    endless = _run(endpoint, machine, {"n": 0, "limit": 1_000_000})

    assert short["status"] == "SUCCEEDED"
    assert (endless["status"], endless["error"]) == ("FAILED", "States.Runtime")
    events = history(sfn, endless["executionArn"])
    assert 200 <= len(events) <= 205
    assert events[-1]["type"] == "ExecutionFailed"


def test_each_distributed_map_child_has_its_own_history_quota(
    endpoint: LocalAwsEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stepfunctions_quotas, "MAX_HISTORY_EVENTS", 100)

    def fleet(mode: str) -> str:
        config: dict[str, Any] = {"Mode": mode}
        if mode == "DISTRIBUTED":
            config["ExecutionType"] = "STANDARD"
        processor = {"ProcessorConfig": config, "StartAt": "Count", "States": LOOP}
        the_map = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
        return state_machine(endpoint, {"StartAt": "Fleet", "States": {"Fleet": the_map}})

    items = [{"n": 0, "limit": 8} for _ in range(8)]  # about 35 events per item
    distributed = _run(endpoint, fleet("DISTRIBUTED"), {"items": items})
    inline = _run(endpoint, fleet("INLINE"), {"items": items})
    one_too_long = _run(endpoint, fleet("DISTRIBUTED"), {"items": [*items, {"n": 0, "limit": 50}]})

    assert distributed["status"] == "SUCCEEDED"  # 8 x 35 events, but each child < 100
    assert (inline["status"], inline["error"]) == ("FAILED", "States.Runtime")  # one history
    sfn = endpoint.client("stepfunctions")
    run = sfn.list_map_runs(executionArn=one_too_long["executionArn"])["mapRuns"][0]
    counts = sfn.describe_map_run(mapRunArn=run["mapRunArn"])["itemCounts"]
    assert (counts["succeeded"], counts["failed"]) == (8, 1)  # that child failed on its own
