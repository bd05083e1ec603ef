"""Step Functions' hard quotas, which moto enforces in part or not at all."""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround

# Step Functions hard quotas (Step Functions developer guide, "Service quotas"): not
# adjustable; moto enforces neither (see step_functions_quotas_not_enforced).
MAX_PAYLOAD_BYTES = 256 * 1024
"""Execution input, and each state's input, Task result and output: 256 KiB of UTF-8."""
MAX_HISTORY_EVENTS = 25_000
"""Events in one execution's history (a Distributed Map child is an execution of its own)."""


def payload_size(data: Any) -> int:
    """Bytes of a payload as Step Functions counts them (UTF-8 of its JSON text)."""
    text = data if isinstance(data, str) or data is None else to_json_str(data)
    return len((text or "").encode("utf-8"))


def step_functions_quotas_not_enforced(patches: Patches, endpoint: Endpoint) -> None:
    """moto enforces the payload quota in part and the history quota not at all. AWS
    (developer guide: "Service quotas", and "Handling errors" for the error names):

    * ``StartExecution`` refuses an input longer than :data:`MAX_PAYLOAD_BYTES` with a
      ``ValidationException`` (the service model's ``max: 262144`` on ``input``; AWS
      checks shape constraints server-side), and an input within that length but over
      256 KiB of UTF-8 with ``InvalidExecutionInput`` (modelled: the quota counts UTF-8
      bytes; moto starts either; checked in the start patch);
    * a state's input, a Task's result, or a state's output (after ResultSelector,
      ResultPath, OutputPath) over the quota fails with ``States.DataLimitExceeded``
      (moto checks results and outputs only, and refuses exactly 256 KiB);
    * ``States.ALL`` does not catch ``States.DataLimitExceeded`` ("a terminal error that
      can't be caught by the States.ALL error type") nor ``States.Runtime`` ("isn't
      retriable, and will always cause the execution to fail"); moto's ``States.ALL``
      matches every error. An explicit ``States.DataLimitExceeded`` still matches;
    * an execution whose history reaches :data:`MAX_HISTORY_EVENTS` fails ("the
      execution fails"): modelled as ``States.Runtime`` when the next state is entered.
      Counted per execution: a Distributed Map child has its own history
      (:func:`.distributed_map.distributed_map_children_not_executions`), so its own count.
    """

    def within_quota(value: Any) -> bool:
        return payload_size(value) <= MAX_PAYLOAD_BYTES

    for module in (sfn_state, state_task_lambda, state_task_service):
        patches.set(module, "is_within_size_quota", within_quota)

    terminal = {
        StatesErrorNameType.StatesStatesDataLimitExceeded,
        StatesErrorNameType.StatesRuntime,
    }
    original_equals: Any = error_equals_decl.ErrorEqualsDecl._eval_body

    def error_equals(decl: Any, env: Any) -> None:
        error = env.stack[-1] if env.stack else None
        if isinstance(error, StatesErrorName) and error.typ in terminal:
            env.stack.pop()
            runtime = error.typ == StatesErrorNameType.StatesRuntime
            env.stack.append(not runtime and error in decl.error_names)
        else:
            original_equals(decl, env)

    state = sfn_state.CommonStateField
    original_input: Any = state._eval_state_input
    original_body: Any = state._eval_body

    def eval_state_input(field: Any, env: Any) -> None:
        original_input(field, env)
        field._verify_size_quota(env=env, value=env.states.get_input())

    def eval_body(field: Any, env: Any) -> None:
        if len(env.event_manager._history_event_list) >= MAX_HISTORY_EVENTS:
            name = StatesErrorNameType.StatesRuntime.to_name()
            cause = f"The execution reached {MAX_HISTORY_EVENTS} history events (the quota)."
            details: Any = {"executionFailedEventDetails": {"error": name, "cause": cause}}
            error = StatesErrorName.from_name(name)
            raise FailureEventException(
                FailureEvent(env, error, HistoryEventType.ExecutionFailed, details)
            )
        original_body(field, env)

    patches.set(error_equals_decl.ErrorEqualsDecl, "_eval_body", error_equals)
    patches.set(state, "_eval_state_input", eval_state_input)
    patches.set(state, "_eval_body", eval_body)


WORKAROUNDS: tuple[Workaround, ...] = (step_functions_quotas_not_enforced,)
