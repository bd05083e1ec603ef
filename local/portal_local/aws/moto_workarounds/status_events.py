"""Step Functions execution status changes, delivered to EventBridge rules as AWS does.

moto runs executions but sends no event when one changes status, so a rule on
``aws.states`` never fires locally. This module models what the Step Functions developer
guide ("EventBridge for Step Functions execution status changes") and the EventBridge
events reference ("AWS Step Functions events") document, and only that:

* every status change of a Standard execution (``RUNNING``, then one of ``SUCCEEDED``,
  ``FAILED``, ``TIMED_OUT``, ``ABORTED``) goes to the account's *default* bus, with
  ``source`` ``aws.states``, ``detail-type`` ``Step Functions Execution Status Change``,
  ``resources`` the execution's ARN, and a ``detail`` holding what ``DescribeExecution``
  holds: ``executionArn``, ``stateMachineArn`` (the state machine's unqualified ARN, also
  for an execution started through a version or an alias: the execution ARN names the
  state machine, never the alias), ``name``, ``status``, ``startDate`` and ``stopDate``
  in epoch milliseconds, ``input`` and ``output`` as JSON text with ``inputDetails`` and
  ``outputDetails``;
* delivery is best effort and asynchronous: EventBridge matches each enabled rule of the
  bus (its pattern semantics: moto's ``EventPattern``) and invokes a Lambda target as
  :func:`.events.invoke_lambda_target` does (asynchronously, and only when the function's
  resource policy lets ``events.amazonaws.com`` invoke it for that rule).

Not modelled: a permission on a function that names no alias lets EventBridge invoke its
aliases too (moto keeps one policy per function, its statements naming the unqualified
ARN); whether a Distributed Map child execution emits events (the documentation
does not say: rules should match the parent's executions, ``executionArn`` prefix
``...:execution:<state machine>:``, which no child's ARN, ``...:<state machine>/<label>:``,
has); input transformers; targets other than Lambda; delivery retries and dead-letter
queues.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import uuid
from typing import Any, Final

from moto.events.models import events_backends
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend import execution as sfn_execution

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround
from portal_local.aws.moto_workarounds.events import invoke_lambda_target

SOURCE: Final = "aws.states"
DETAIL_TYPE: Final = "Step Functions Execution Status Change"
_log = logging.getLogger(__name__)


def status_change_event(execution: Any, status: str) -> dict[str, Any]:
    """The event Step Functions puts on the default bus for ``execution`` (moto's model)."""
    machine = execution.state_machine
    machine_arn = str(getattr(machine, "source_arn", None) or machine.arn)
    output = execution.output if status == "SUCCEEDED" else None
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": execution.account_id,
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": execution.region_name,
        "resources": [execution.exec_arn],
        "detail": {
            "executionArn": execution.exec_arn,
            "stateMachineArn": machine_arn,
            "name": execution.name,
            "status": status,
            "startDate": _millis(execution.start_date),
            "stopDate": _millis(execution.stop_date),
            "input": to_json_str(execution.input_data),
            "inputDetails": {"included": True},
            "output": None if output is None else to_json_str(output),
            "outputDetails": None if output is None else {"included": True},
        },
    }


def _millis(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


class StatusEventDelivery:
    """Delivers each status-change event to the matching rules' Lambda targets on a
    thread of its own: the execution never waits, and AWS promises no order either."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.delivered: list[tuple[str, str]] = []
        """(rule ARN, event id) of every invocation made, for tests."""

    def emit(self, event: dict[str, Any]) -> None:
        threading.Thread(
            target=self._deliver, args=(event,), name="status-event", daemon=True
        ).start()

    def _deliver(self, event: dict[str, Any]) -> None:
        try:
            for rule, target in self._targets(event):
                self._invoke(rule, target, event)
        except Exception:  # noqa: BLE001 - best effort, as AWS's delivery is
            _log.debug("status event %s not delivered", event["id"], exc_info=True)

    def _targets(self, event: dict[str, Any]) -> list[tuple[Any, str]]:
        backend = events_backends[self._endpoint.account_id][self._endpoint.region]
        bus = backend.event_buses.get("default")
        found = []
        for rule in list(bus.rules.values()) if bus else []:
            message: Any = event
            if rule.state == "ENABLED" and rule.event_pattern.matches_event(message):
                found += [(rule, t["Arn"]) for t in rule.targets if ":lambda:" in t["Arn"]]
        return found

    def _invoke(self, rule: Any, target: str, event: dict[str, Any]) -> None:
        if invoke_lambda_target(self._endpoint, rule.arn, target, json.dumps(event)):
            self.delivered.append((rule.arn, event["id"]))


def step_functions_status_changes_not_delivered(patches: Patches, endpoint: Endpoint) -> None:
    """moto sends no "Step Functions Execution Status Change" event when an execution
    starts or ends, so an EventBridge rule on ``aws.states`` never fires. AWS sends one
    for every status change of a Standard execution to the default bus, and EventBridge
    invokes the matching rules' targets asynchronously (module docstring, with sources).
    Patched: each top-level execution's start and end emit that event, delivered by a
    :class:`StatusEventDelivery` (``endpoint.status_events``)."""
    delivery = StatusEventDelivery(endpoint)
    endpoint.status_events = delivery  # type: ignore[attr-defined]
    original_start: Any = sfn_execution.Execution.start
    original_end: Any = sfn_execution.BaseExecutionWorkerCommunication.terminated

    def start(execution: Any) -> None:
        original_start(execution)
        delivery.emit(status_change_event(execution, "RUNNING"))

    def terminated(communication: Any) -> None:
        original_end(communication)
        execution = communication.execution
        with contextlib.suppress(Exception):  # an execution moto could not describe
            delivery.emit(status_change_event(execution, str(execution.exec_status.value)))

    patches.set(sfn_execution.Execution, "start", start)
    patches.set(sfn_execution.BaseExecutionWorkerCommunication, "terminated", terminated)


def stopped_execution_stays_running(patches: Patches, endpoint: Endpoint) -> None:
    """``StopExecution`` answers at once, but the execution stays ``RUNNING`` until every
    state it is in returns: a Task waiting for its Lambda invocation, a Distributed Map
    waiting for its children. AWS (API reference, StopExecution; developer guide,
    "Stopping an execution"): the execution is ``ABORTED`` from that moment (its
    ``stopDate``), its status-change event is sent then, and a Lambda invocation it had
    made runs on to its end. Patched: a stop marks the execution ``ABORTED`` and sends
    the event at once; its end, when the program notices, sends no second one."""
    delivery: StatusEventDelivery = endpoint.status_events  # type: ignore[attr-defined]
    original_stop: Any = sfn_execution.Execution.stop
    original_end: Any = sfn_execution.BaseExecutionWorkerCommunication.terminated

    def stop(execution: Any, stop_date: Any, error: Any, cause: Any) -> None:
        running = execution.exec_status == ExecutionStatus.RUNNING
        original_stop(execution, stop_date, error, cause)
        if running:
            execution.exec_status, execution.stop_date = ExecutionStatus.ABORTED, stop_date
            execution.stopped_by_request = True
            delivery.emit(status_change_event(execution, "ABORTED"))

    def terminated(communication: Any) -> None:
        execution = communication.execution
        if not getattr(execution, "stopped_by_request", False):
            original_end(communication)
        # The program noticed the stop: the execution keeps the status and date of the
        # stop itself, and its event was sent then.

    patches.set(sfn_execution.Execution, "stop", stop)
    patches.set(sfn_execution.BaseExecutionWorkerCommunication, "terminated", terminated)


WORKAROUNDS: tuple[Workaround, ...] = (
    step_functions_status_changes_not_delivered,
    stopped_execution_stays_running,
)
