"""The Distributed Map: each item a child execution of its own; map run failure thresholds."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import threading
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.stepfunctions.exceptions import InvalidToken, ResourceNotFound
from moto.stepfunctions.exceptions import ValidationException as SfnValidationException
from moto.stepfunctions.parser.api import HistoryEventType
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
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component as distributed_component,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker as distributed,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.eval.program_state import (
    ProgramError,
    ProgramStopped,
    ProgramTimedOut,
)
from moto.stepfunctions.parser.asl.eval.states import (
    ExecutionData,
    ItemData,
    MapData,
    StateMachineData,
)
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround


@dataclasses.dataclass
class ChildExecution:
    """A Distributed Map child workflow execution, as the Step Functions API shows it."""

    arn: str
    name: str
    map_run_arn: str
    state_machine_arn: str
    role_arn: str
    start_date: dt.datetime
    events: EventManager = dataclasses.field(default_factory=EventManager)
    input: Any = None
    status: str = "RUNNING"
    stop_date: dt.datetime | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    env: Any = dataclasses.field(default=None, repr=False, compare=False)

    stopped: bool = False

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """Stop the child if it still runs (``StopExecution``, or its map run failed)."""
        if self.status == "RUNNING":
            self.stopped = True
            self.env.set_stop(stop_date=dt.datetime.now(dt.UTC), cause=cause, error=error)

    def list_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "executionArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": self.start_date,
            "mapRunArn": self.map_run_arn,
            "itemCount": 1,
        }
        if self.stop_date is not None:
            item["stopDate"] = self.stop_date
        return item

    def describe(self) -> dict[str, Any]:
        described = {
            **{k: v for k, v in self.list_item().items() if k != "itemCount"},
            "input": to_json_str(self.input, separators=(",", ":")),
            "inputDetails": {"included": True},
        }
        if self.status == "SUCCEEDED":
            described["output"] = to_json_str(self.output, separators=(",", ":"))
            described["outputDetails"] = {"included": True}
        described.update({k: v for k, v in (("error", self.error), ("cause", self.cause)) if v})
        return described


class MapRunChildren:
    """Every child execution the endpoint's map runs started, by ARN and by map run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_arn: dict[str, ChildExecution] = {}
        self._by_run: dict[str, list[ChildExecution]] = {}
        self._items: dict[str, int] = {}
        self._failed_runs: set[str] = set()

    def fail_run(self, map_run_arn: str) -> None:
        """The map run failed: stop its running children; start no more."""
        with self._lock:
            self._failed_runs.add(map_run_arn)
        for child in self.of_run(map_run_arn):
            child.stop()

    def has_failed(self, map_run_arn: str) -> bool:
        with self._lock:
            return map_run_arn in self._failed_runs

    def start(self, record: Any, items: int, role_arn: str, env: Any) -> ChildExecution | None:
        """Record a new child of ``record``'s map run, or None once that run has failed."""
        name = str(uuid.uuid4())
        head = str(record.map_run_arn).rpartition(":")[0]
        child = ChildExecution(
            arn=f"{head.replace(':mapRun:', ':execution:', 1)}:{name}",
            name=name,
            map_run_arn=str(record.map_run_arn),
            state_machine_arn=str(record.map_state_machine_arn),
            role_arn=role_arn,
            start_date=dt.datetime.now(dt.UTC),
            env=env,
        )
        with self._lock:
            if child.map_run_arn in self._failed_runs:
                return None
            self.by_arn[child.arn] = child
            self._by_run.setdefault(child.map_run_arn, []).append(child)
            self._items[child.map_run_arn] = items
        return child

    def of_run(self, map_run_arn: str) -> list[ChildExecution]:
        with self._lock:
            return list(self._by_run.get(map_run_arn, ()))

    def counts(self, map_run_arn: str) -> dict[str, int]:
        """``MapRunExecutionCounts`` (one item per child: no ItemBatcher here)."""
        children = self.of_run(map_run_arn)
        with self._lock:
            total = max(self._items.get(map_run_arn, 0), len(children))
        statuses = [c.status for c in children]
        names = {"RUNNING": "running", "SUCCEEDED": "succeeded", "FAILED": "failed"}
        names.update({"TIMED_OUT": "timedOut", "ABORTED": "aborted"})
        counts = {key: statuses.count(status) for status, key in names.items()}
        return {**counts, "pending": total - len(children), "total": total}


_HISTORY_PAGE = (100, 1000)  # GetExecutionHistory / ListExecutions: default and maximum page


def _page(items: list[Any], response: Any, scope: str) -> tuple[list[Any], str | None]:
    """A page of ``items`` as AWS pages them (``maxResults``: 0 or absent = 100, at most
    1000; an opaque ``nextToken`` valid for the same request only)."""
    size = int(response._get_param("maxResults") or 0) or _HISTORY_PAGE[0]
    if not 0 < size <= _HISTORY_PAGE[1]:
        raise SfnValidationException(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {_HISTORY_PAGE[1]}"
        )
    token, offset = response._get_param("nextToken"), 0
    if token:
        try:
            decoded = json.loads(base64.b64decode(token))
            offset = int(decoded["offset"]) if decoded["scope"] == scope else -1
        except (ValueError, KeyError, TypeError):
            offset = -1
        if offset < 0:
            raise InvalidToken(f"Invalid Token: '{token}'")
    page = items[offset : offset + size]
    more = offset + size < len(items)
    next_offset = json.dumps({"scope": scope, "offset": offset + size}).encode()
    return page, base64.b64encode(next_offset).decode() if more else None


def distributed_map_children_not_executions(patches: Patches, endpoint: Endpoint) -> None:
    """moto runs a Distributed Map's children inside the parent's process on one shared
    event log that is then discarded: ``ListExecutions(mapRunArn=...)`` answers a 500,
    no child can be described or its history read, ``DescribeMapRun`` counts a failed
    child as still running (and answers an unknown map run with a 500), and
    ``GetExecutionHistory`` ignores ``maxResults``, ``nextToken`` and ``reverseOrder``
    (it always answers every event, oldest first).

    AWS (developer guide "Distributed Map state" and "Viewing a Distributed Map Run";
    API reference ListExecutions, DescribeExecution, GetExecutionHistory, DescribeMapRun):
    each item runs as a child workflow execution of its own, with its own history, named
    with a UUID, ARN ``arn:aws:states:<region>:<account>:execution:<state machine>/<map
    label>:<name>`` (the map run's ARN with ``mapRun`` read ``execution`` and the map run
    id the child's name), state machine ``...:stateMachine:<state machine>/<label>``;
    ``ListExecutions(mapRunArn=...)`` lists them (newest first, paged, with ``mapRunArn``
    and ``itemCount``; naming ``stateMachineArn`` as well is a ``ValidationException``);
    ``DescribeExecution`` describes one (with ``mapRunArn``) and ``StopExecution`` stops
    one (it ends ``ABORTED``); its history starts with
    ``ExecutionStarted`` and ends with ``ExecutionSucceeded``/``Failed``/``Aborted``/
    ``TimedOut``; ``$$.Execution`` inside it is the child (``$$.Map`` is not there);
    ``DescribeMapRun`` counts items and executions by status. Histories are paged: 100
    events by default, 1000 at most, ``reverseOrder`` newest first. Patched: each child is
    recorded in :class:`MapRunChildren` (``endpoint.map_run_children``) and served by
    those APIs; the parent's history keeps ``MapRunStarted``/``MapRunSucceeded`` only.
    """
    children = MapRunChildren()
    endpoint.map_run_children = children

    def eval_job(worker: Any, env: Any, job: Any) -> None:
        _run_child(children, worker, env, job)

    def list_executions(response: Any) -> Any:
        map_run = response._get_param("mapRunArn")
        if not map_run:
            return original_list(response)
        if response._get_param("stateMachineArn"):
            raise SfnValidationException(
                "Specify either a mapRunArn or a stateMachineArn, not both"
            )
        response.stepfunction_backend.describe_map_run(map_run)  # ResourceNotFound
        wanted = response._get_param("statusFilter")
        listed = [c for c in children.of_run(map_run) if wanted in (None, c.status)]
        listed.sort(key=lambda c: (c.start_date, c.arn), reverse=True)
        page, token = _page(listed, response, f"list:{map_run}:{wanted}")
        return ActionResult({"executions": [c.list_item() for c in page], "nextToken": token})

    def describe_execution(response: Any) -> Any:
        child = children.by_arn.get(str(response._get_param("executionArn")))
        return ActionResult(child.describe()) if child else original_describe(response)

    def stop_execution(response: Any) -> Any:
        child = children.by_arn.get(str(response._get_param("executionArn")))
        if child is None:
            return original_stop(response)
        child.stop(response._get_param("error"), response._get_param("cause"))
        return ActionResult({"stopDate": child.stop_date or dt.datetime.now(dt.UTC)})

    def get_execution_history(response: Any) -> Any:
        arn = str(response._get_param("executionArn"))
        child = children.by_arn.get(arn)
        if child is not None:
            events = child.events.get_event_history()
        else:
            events = list(response.stepfunction_backend.get_execution_history(arn)["events"])
        reverse = str(response._get_param("reverseOrder")).lower() == "true"
        page, token = _page(
            events[::-1] if reverse else events, response, f"history:{arn}:{reverse}"
        )
        return ActionResult({"events": page, "nextToken": token})

    def describe_map_run(backend: Any, map_run_arn: str) -> Any:
        for execution in backend._get_executions():
            env = getattr(execution.exec_worker, "env", None)
            record = env.map_run_record_pool_manager.get(map_run_arn) if env else None
            if record is not None:
                break
        else:  # moto's own ResourceNotFound lacks its message: a 500
            raise ResourceNotFound(f"Map Run Does Not Exist: '{map_run_arn}'")
        described = dict(record.describe())
        counts = children.counts(map_run_arn)
        for key in ("executionCounts", "itemCounts"):
            described[key] = {**described[key], **counts}
        return described

    responses = StepFunctionResponse
    original_list: Any = responses.list_executions
    original_describe: Any = responses.describe_execution
    original_stop: Any = responses.stop_execution
    patches.set(distributed.DistributedItemProcessorWorker, "_eval_job", eval_job)
    patches.set(responses, "list_executions", list_executions)
    patches.set(responses, "describe_execution", describe_execution)
    patches.set(responses, "stop_execution", stop_execution)
    patches.set(responses, "get_execution_history", get_execution_history)
    patches.set(StepFunctionsParserBackend, "describe_map_run", describe_map_run)


def map_run_tolerates_any_failure(patches: Patches, endpoint: Endpoint) -> None:
    """moto ends a map run ``SUCCEEDED`` whatever its children did: a failed child
    execution is an item with a null result, and the Map state goes on. AWS (developer
    guide "Setting failure thresholds for Distributed Map states"; ASL
    ``ToleratedFailurePercentage``/``ToleratedFailureCount``, both 0 by default; API
    reference ``MapRunExecutionCounts.aborted``: children "stopped by the user or by Step
    Functions because the Map Run failed"): once more children fail (or time out, or are
    aborted) than the thresholds tolerate, the map run fails, its running children are
    stopped and no more start, and the Map state fails with
    ``States.ExceedToleratedFailureThreshold`` (a Catch on the Map state may catch it).
    Patched: the thresholds (as ``UpdateMapRun`` leaves them) are checked as each child
    ends; when both are given, both must be exceeded here (AWS: either)."""
    original: Any = distributed_component.DistributedIterationComponent._map_run
    children = endpoint.map_run_children

    def map_run(component: Any, env: Any, eval_input: Any) -> None:
        original(component, env, eval_input)
        if not children.has_failed(eval_input.map_run_record.map_run_arn):  # see _run_child
            return
        name = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
        cause = "The specified tolerated failure threshold was exceeded"
        details: Any = {"executionFailedEventDetails": {"error": name, "cause": cause}}
        raise FailureEventException(
            FailureEvent(
                env, StatesErrorName.from_name(name), HistoryEventType.MapRunFailed, details
            )
        )

    patches.set(distributed_component.DistributedIterationComponent, "_map_run", map_run)


def _threshold_exceeded(children: MapRunChildren, record: Any) -> bool:
    counts = children.counts(str(record.map_run_arn))
    failed = sum(counts[s] for s in ("failed", "timedOut", "aborted"))
    percentage = 100.0 * failed / max(counts["total"], 1)
    return failed > int(record.tolerated_failure_count) and percentage > float(
        record.tolerated_failure_percentage
    )


def _run_child(children: MapRunChildren, worker: Any, env: Any, job: Any) -> None:
    """Run one item as a child execution: its own history, context and outcome."""
    record = worker._map_run_record
    context = env.states.context_object.context_object_data
    role = context["Execution"]["RoleArn"]
    child = children.start(record, worker._job_pool._jobs_number, role, env)
    if child is None:  # the map run has failed: no more children start
        job.job_output = None
        return
    env.event_manager = child.events  # the child execution's own history
    env.event_history_context.source_event_id = 0
    env.event_history_context.last_published_event_id = 0
    output, status = None, "FAILED"
    try:
        context["Map"] = MapData(Item=ItemData(Index=job.job_index, Value=job.job_input))
        env.states.reset(job.job_input)
        env.stack.append(env.states.get_input())
        worker._eval_input(env_frame=env)
        child.input = env.states.get_input()
        context.pop("Map", None)
        started = iso_8601_datetime_with_milliseconds(child.start_date)
        context["Execution"] = ExecutionData(
            Id=child.arn,
            Input=child.input,
            Name=child.name,
            RoleArn=child.role_arn,
            StartTime=started,
        )
        machine = child.state_machine_arn
        context["StateMachine"] = StateMachineData(Id=machine, Name=machine.split(":")[6])
        started_details: Any = {
            "executionStartedEventDetails": {
                "input": to_json_str(child.input),
                "inputDetails": {"truncated": False},
                "roleArn": child.role_arn,
            }
        }
        child.events.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.ExecutionStarted,
            event_details=started_details,
            update_source_event_id=False,
        )
        job.job_program.eval(env)
        status, kind, details = _child_outcome(env.program_state(), env.states.get_input())
        if status == "SUCCEEDED":
            output = env.states.get_input()
            child.output = output
        else:
            child.error = (details.get("error") or None) if details else None
            child.cause = (details.get("cause") or None) if details else None
        child.events.add_event(
            context=env.event_history_context,
            event_type=kind,
            event_details=details_of(kind, details),
        )
    except Exception as exc:  # noqa: BLE001 - the child fails, the map run goes on
        if child.stopped:  # stopped before its first state ran
            status = "ABORTED"
        else:
            child.error = StatesErrorNameType.StatesRuntime.to_name()
            child.cause = f"{type(exc).__name__}({exc})"
    finally:
        child.stop_date = dt.datetime.now(dt.UTC)
        child.status = status
        job.job_output = output
        if status != "SUCCEEDED" and _threshold_exceeded(children, record):
            children.fail_run(child.map_run_arn)


def _child_outcome(state: Any, output: Any) -> tuple[str, Any, dict[str, Any]]:
    """(status, terminal history event type, its details) of a child that ended."""
    if isinstance(state, ProgramError):
        return "FAILED", HistoryEventType.ExecutionFailed, dict(state.error or {})
    if isinstance(state, ProgramStopped):
        details = {"error": state.error, "cause": state.cause}
        return "ABORTED", HistoryEventType.ExecutionAborted, details
    if isinstance(state, ProgramTimedOut):
        return "TIMED_OUT", HistoryEventType.ExecutionTimedOut, {}
    details = {"output": to_json_str(output, separators=(",", ":"))}
    return "SUCCEEDED", HistoryEventType.ExecutionSucceeded, details


def details_of(kind: Any, details: dict[str, Any]) -> Any:
    """History event details for a terminal event of a child execution."""
    key = {
        HistoryEventType.ExecutionFailed: "executionFailedEventDetails",
        HistoryEventType.ExecutionAborted: "executionAbortedEventDetails",
        HistoryEventType.ExecutionTimedOut: "executionTimedOutEventDetails",
        HistoryEventType.ExecutionSucceeded: "executionSucceededEventDetails",
    }[kind]
    kept = {k: v for k, v in details.items() if v is not None}
    if kind == HistoryEventType.ExecutionSucceeded:
        kept["outputDetails"] = {"truncated": False}
    return {key: kept}


WORKAROUNDS: tuple[Workaround, ...] = (
    distributed_map_children_not_executions,
    map_run_tolerates_any_failure,
)
