"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.distributed_map` exists for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local_aws.moto_workarounds._raw import (
    run_to_end,
)


def _one_child_fails(aws: Any) -> dict[str, Any]:
    """A Distributed Map over two items, the second one failing, run to its end."""
    work = {"Type": "Pass", "End": True}
    failing = {"Type": "Fail", "Error": "Broken", "Cause": "an item failed"}
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}],
        "Default": "Work",
    }
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Pick",
        "States": {"Pick": choice, "Work": work, "Fail": failing},
    }
    the_map = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
    items = [{"fail": False}, {"fail": True}]
    return run_to_end(aws, {"StartAt": "Fleet", "States": {"Fleet": the_map}}, {"items": items})


def test_raw_moto_distributed_map_children_not_executions(aws: Any) -> None:
    done = _one_child_fails(aws)
    sfn = aws("stepfunctions")
    run = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"][0]["mapRunArn"]
    with pytest.raises(Exception):  # noqa: B017, PT011 - a 500 (AWS: the two children)
        sfn.list_executions(mapRunArn=run)
    counts = sfn.describe_map_run(mapRunArn=run)["executionCounts"]
    assert counts["running"] == 1  # the failed child (AWS: running 0, failed 1)
    events = sfn.get_execution_history(executionArn=done["executionArn"], maxResults=1)
    assert len(events["events"]) > 1  # AWS: one event and a nextToken


def test_raw_moto_map_run_tolerates_any_failure(aws: Any) -> None:
    done = _one_child_fails(aws)
    assert done["status"] == "SUCCEEDED"  # AWS: FAILED, States.ExceedToleratedFailureThreshold
