"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.stepfunctions_quotas` exists for."""

from __future__ import annotations

import inspect
import json
from typing import Any

from portal_local.aws.moto_workarounds.stepfunctions_quotas import MAX_PAYLOAD_BYTES

from tests.local_aws.moto_workarounds._raw import (
    make_function,
    run_to_end,
)


def test_raw_moto_step_functions_quotas_not_enforced(aws: Any) -> None:
    big = "x" * (200 * 1024)
    too_big = {"big": "y" * (MAX_PAYLOAD_BYTES + 1)}
    arn = make_function(aws)  # the simple backend answers with the request: a 400 KiB result
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload": {"a.$": "$.big", "b.$": "$.big"}},
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}
                ],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Parameters": {"caught.$": "$.error.Error"}, "End": True},
        },
    }
    caught = run_to_end(aws, definition, {"big": big})
    assert caught["status"] == "SUCCEEDED"  # AWS: FAILED, States.ALL cannot catch it
    assert json.loads(caught["output"]) == {"caught": "States.DataLimitExceeded"}
    started = run_to_end(aws, {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, too_big)
    assert started["executionArn"]  # AWS: StartExecution answers InvalidExecutionInput
    from moto.stepfunctions.parser.asl.eval.event import event_manager  # noqa: PLC0415

    assert "25" not in inspect.getsource(event_manager.EventManager.add_event)  # no history cap
