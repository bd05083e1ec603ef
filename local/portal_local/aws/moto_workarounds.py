"""Every moto 5.2.5 workaround of the local AWS endpoint, and Step Functions' hard quotas.

The endpoint (:mod:`portal_local.aws.moto_endpoint`) installs everything in
:data:`WORKAROUNDS` when it starts and undoes it when it stops. Each entry's docstring
says what moto gets wrong and what AWS does; each has a test in
``tests/local_aws/test_moto_workarounds.py`` showing the raw moto behaviour, which fails
(and says: delete the workaround) once a moto upgrade fixes it.

Deployments go through moto's own CloudFormation, as a user's ``sam deploy`` goes through
AWS's (:mod:`portal_local.aws.deploy` runs the SAM transform first): its engine
(intrinsics, conditions, dependency order, outputs) is maintained upstream, so this
module only fills its gaps, resource type by resource type (:data:`API_CREATED`),
instead of keeping a CloudFormation engine of our own.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend as lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.events.models import EventsBackend
from moto.iam.access_control import PermissionResult
from moto.iam.models import Role, iam_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import FakeBucket
from moto.secretsmanager.exceptions import InvalidRequestException, ResourceExistsException
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend, secretsmanager_backends
from moto.stepfunctions.exceptions import (
    InvalidExecutionInput,
    InvalidName,
    InvalidToken,
    ResourceNotFound,
    StateMachineDoesNotExist,
)
from moto.stepfunctions.exceptions import ValidationException as SfnValidationException
from moto.stepfunctions.parser.api import HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
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
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component as distributed_component,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker as distributed,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service,
    state_task_service_aws_sdk,
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
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import (
    StepFunctionsParserBackend,
    stepfunctions_parser_backends,
)
from moto.stepfunctions.responses import StepFunctionResponse
from moto.utilities.utils import get_partition
from werkzeug.serving import make_server

from portal_local.aws.access import (
    Principals,
    Refusal,
    RequestContext,
    current,
    evaluate,
    request_context,
    statements_of,
    with_request_context,
)

if TYPE_CHECKING:
    from portal_local.aws.moto_endpoint import LocalAwsEndpoint

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    "iam": {"load_aws_managed_policies": True},  # SAM attaches AWSLambdaBasicExecutionRole...
}

# Step Functions hard quotas (Step Functions developer guide, "Service quotas"): not
# adjustable; moto enforces neither (see step_functions_quotas_not_enforced).
MAX_PAYLOAD_BYTES = 256 * 1024
"""Execution input, and each state's input, Task result and output: 256 KiB of UTF-8."""
MAX_HISTORY_EVENTS = 25_000
"""Events in one execution's history (a Distributed Map child is an execution of its own)."""


class Patches:
    """Attribute replacements, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, value)

    def undo(self) -> None:
        while self._undo:
            owner, name, old = self._undo.pop()
            if old is _MISSING:
                with contextlib.suppress(AttributeError):
                    delattr(owner, name)
            else:
                setattr(owner, name, old)


_MISSING = object()
Workaround = Callable[[Patches, "LocalAwsEndpoint"], None]


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _pick(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): _text(v) for k, v in tags.items()}
    return {str(t["Key"]): _text(t["Value"]) for t in tags or []}


# == Lambda ==================================================================================


def lambda_runs_no_code(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto runs Lambda code only in Docker: the "simple" backend (``use_docker: false``)
    answers ``Invoke`` with the request body, and ``LambdaFunction.invoke`` (SNS
    subscriptions, event source mappings, rotation) always calls Docker. AWS runs the
    handler: both run it in the endpoint's warm workers (moto resolves the function, and
    the version or alias a qualified name or qualifier names)."""

    def simple_invoke(  # noqa: PLR0917 - moto's signature (also called with keywords)
        backend: Any,
        function_name: str,
        qualifier: Any,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes | None:
        fn = backend.get_function(function_name, qualifier)
        return endpoint.invoke_moto_function(
            backend, fn, function_name, qualifier, body, headers, response_headers
        )

    def function_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        backend = lambda_backend(fn.account_id, fn.region)
        name = fn.function_name
        return (
            endpoint.invoke_moto_function(
                backend, fn, name, None, body, request_headers, response_headers
            )
            or b""
        )

    patches.set(LambdaSimpleBackend, "invoke", simple_invoke)
    patches.set(LambdaFunction, "invoke", function_invoke)


def invoke_ignores_qualifier(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``Invoke`` reads a ``qualifier`` query parameter, but the API's is ``Qualifier``:
    ``Invoke(FunctionName=..., Qualifier="1")`` runs ``$LATEST``. AWS runs version 1 (a
    qualified name or ARN works in moto). Patched: ``Qualifier`` is read."""
    original: Any = LambdaResponse.invoke

    def invoke(response: Any) -> Any:
        if "Qualifier" in response.querystring:
            response.querystring.setdefault("qualifier", response.querystring["Qualifier"])
        return original(response)

    patches.set(LambdaResponse, "invoke", invoke)


def lambda_service_errors_unnamed(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A Task whose Resource is a plain function ARN reports a Lambda *service* error
    (throttling, service exception: the function never ran) as ``Exception``; AWS names it
    ``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``..., which is what the
    workflow's Retry blocks match."""
    task = state_task_lambda.StateTaskLambda
    original: Any = task._from_error

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        event: Any = original(self, env, ex)
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response.get('Error', {}).get('Code', 'Unknown')}"
            event.error_name = CustomErrorName(name)
            details = event.event_details.get("lambdaFunctionFailedEventDetails")
            if details is not None:
                details["error"] = name
        return event

    patches.set(task, "_from_error", from_error)


# == Step Functions ==========================================================================


def interpreter_calls_port_5000(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """The ASL interpreter reaches AWS with ``boto_client_for``, hard-coded to
    ``http://localhost:<MOTO_PORT or 5000>``: on any other port every Task calls the wrong
    server. Patched to this endpoint's port (AWS: the service's regional endpoint)."""
    port = str(endpoint.port)
    patches.set(boto_client, "moto_server_port", lambda: port)


def unnamed_execution_is_named_none(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``StartExecution`` without ``name`` creates an execution named ``"None"``, so a second
    unnamed start fails with ``ExecutionAlreadyExists``; AWS generates a UUID. Starts are
    serialised too (AWS checks a name atomically, moto does not), and the input quota is
    checked here (see :func:`step_functions_quotas_not_enforced`)."""
    original: Any = StepFunctionsParserBackend.start_execution
    lock = threading.Lock()

    def start_execution(
        backend: Any, arn: str, name: Any = None, data: Any = None, trace: Any = None
    ) -> Any:
        if len(data or "") > MAX_PAYLOAD_BYTES:  # the API's length constraint on 'input'
            raise SfnValidationException(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )
        if payload_size(data) > MAX_PAYLOAD_BYTES:  # within the length, over 256 KiB of UTF-8
            raise InvalidExecutionInput(
                f"The input exceeds the maximum size of {MAX_PAYLOAD_BYTES} bytes of UTF-8"
            )
        with lock:
            return original(backend, arn, name or str(uuid.uuid4()), data, trace)

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


def start_by_version_or_alias_fails(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``StartExecution`` with a version ARN (``...:stateMachine:name:3``) fails with a 500
    (moto's version model lacks what an execution needs), and with an alias ARN
    (``...:name:live``) with ``StateMachineDoesNotExist``. AWS runs that version (for an
    alias, the version its routing picks by weight). Patched: the execution runs the
    version's definition and role (its ARN is the state machine's, as on AWS)."""
    original: Any = StepFunctionsParserBackend.start_execution

    def start_execution(
        backend: Any, arn: str, name: Any = None, data: Any = None, trace: Any = None
    ) -> Any:
        parts = arn.split(":")
        if len(parts) != 8:
            return original(backend, arn, name, data, trace)
        source = backend.describe_state_machine(":".join(parts[:7]))
        qualifier = parts[7]
        missing = StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        if not qualifier.isdigit():
            if qualifier not in source.aliases:
                raise missing
            routes = source.aliases[qualifier].routing_configuration
            weights = [int(r.get("weight", 100)) for r in routes]
            route = random.choices(routes, weights)[0]  # noqa: S311 - traffic shifting, not crypto
            qualifier = str(route["stateMachineVersionArn"]).rsplit(":", 1)[1]
        version = source.versions.get(int(qualifier))
        if version is None:
            raise missing
        with _swap_lock:
            saved = source.definition, source.roleArn
            source.definition, source.roleArn = version.definition, version.roleArn
            try:
                return original(backend, source.arn, name, data, trace)
            finally:
                source.definition, source.roleArn = saved

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


_NAME_REFUSED = frozenset(' <>{}[]?*"#%\\^|~`$&,;:/')


def execution_name_refusal(name: str) -> str | None:
    """Why AWS refuses ``name`` for an execution (None: it does not). API reference,
    StartExecution ``name``: 1 to 80 characters; no whitespace, brackets ``< > { } [ ]``,
    wildcards ``? *``, special characters ``" # % \\ ^ | ~ ` $ & , ; : /`` or control
    characters (U+0000-001F, U+007F-009F)."""
    for char in name:
        if char in _NAME_REFUSED or char.isspace() or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return f"Invalid Name: '{name}'"
    return None


def execution_names_not_validated(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``StartExecution`` accepts any name (moto's check is skipped for executions that
    really run). AWS (API reference, StartExecution ``name``) answers ``InvalidName`` for
    one with a character it refuses (:func:`execution_name_refusal`) and a
    ``ValidationException`` for one outside its 1 to 80 characters (the service model's
    length constraint)."""
    original: Any = StepFunctionsParserBackend.start_execution

    def start_execution(
        backend: Any, arn: str, name: Any = None, data: Any = None, trace: Any = None
    ) -> Any:
        if name is not None:
            if not 1 <= len(name) <= 80:
                raise SfnValidationException(
                    "1 validation error detected: Value at 'name' failed to satisfy "
                    "constraint: Member must have length between 1 and 80"
                )
            refusal = execution_name_refusal(name)
            if refusal:
                raise InvalidName(refusal)
        return original(backend, arn, name, data, trace)

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


_swap_lock = threading.Lock()
_SFN_TO_BOTO = {"sfn": "stepfunctions", "states": "stepfunctions"}
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+|\d+")


@functools.lru_cache(maxsize=64)
def aws_sdk_error_prefix(service_name: str) -> str:
    """Step Functions' prefix for aws-sdk integration errors: the botocore service id in
    PascalCase words (``Secrets Manager`` -> ``SecretsManager``, ``DynamoDB`` ->
    ``DynamoDb``, ``SFN`` -> ``Sfn``), as the AWS SDK for Java 2.x names its clients."""
    lowered = service_name.lower()
    try:
        model = botocore.session.get_session().get_service_model(_SFN_TO_BOTO.get(lowered, lowered))
    except BotoCoreError:  # unknown service: keep the name as written in the resource ARN
        return service_name
    return "".join(w[0].upper() + w[1:].lower() for w in _WORD.findall(str(model.service_id)))


def aws_sdk_errors_lower_case(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """aws-sdk integration errors are named after the lower-case SDK name
    (``secretsmanager.ResourceNotFoundException``); AWS uses the Java client's name
    (``SecretsManager.*``, ``DynamoDb.*``, ``Sfn.*``), so ``ErrorEquals`` written for AWS
    would never match. (Optimized integrations keep their names, e.g. ``DynamoDB.*``.)"""
    task = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    patches.set(task, "_normalise_service_error_name", staticmethod(aws_sdk_error_prefix))


def payload_size(data: Any) -> int:
    """Bytes of a payload as Step Functions counts them (UTF-8 of its JSON text)."""
    text = data if isinstance(data, str) or data is None else to_json_str(data)
    return len((text or "").encode("utf-8"))


def step_functions_quotas_not_enforced(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
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
      (:func:`distributed_map_children_not_executions`), so its own count.
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


def map_iteration_states_errors_become_runtime(
    patches: Patches, endpoint: LocalAwsEndpoint
) -> None:
    """An inline Map iteration failing with a ``States.*`` error (``States.Timeout``,
    ``States.DataLimitExceeded``...) makes moto's Map fail with ``States.Runtime`` ("Custom
    Error Names MUST NOT begin with the prefix 'States.'"): the error is rebuilt as a
    custom name, which refuses that prefix. AWS fails the Map with the iteration's error."""

    def error_name(error_name: str) -> Any:
        with contextlib.suppress(ValueError):
            if str(error_name).startswith("States."):
                return StatesErrorName.from_name(str(error_name))
        return CustomErrorName(error_name=error_name)

    patches.set(iteration_worker, "CustomErrorName", error_name)


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


def distributed_map_children_not_executions(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
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


def map_run_tolerates_any_failure(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
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


# == Secrets Manager, S3 =====================================================================


def secret_default_version_stale(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``GetSecretValue`` without a stage reads ``default_version_id``, which
    ``UpdateSecretVersionStage`` does not move with AWSCURRENT (and ``RotateSecret`` points
    at the new version whatever the rotation did); AWS returns AWSCURRENT. ``RotateSecret``
    also checks "a previous rotation isn't complete" the wrong way round (it refuses when
    AWSPENDING sits on AWSCURRENT, and silently moves a leftover AWSPENDING otherwise); AWS
    refuses when a version other than the requested token is AWSPENDING only."""
    original_rotate: Any = SecretsManagerBackend.rotate_secret
    original_stage: Any = SecretsManagerBackend.update_secret_version_stage

    def follow_current(secret: Any) -> None:
        for version_id, version in secret.versions.items():
            if "AWSCURRENT" in version["version_stages"]:
                secret.default_version_id = version_id

    def rotate_secret(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("client_request_token") or (args[0] if args else None)
        known = backend._is_valid_identifier(secret_id)
        for version_id, version in backend.secrets[secret_id].versions.items() if known else []:
            stages = version["version_stages"]
            if "AWSPENDING" in stages and "AWSCURRENT" not in stages and version_id != token:
                raise InvalidRequestException(
                    "A previous rotation isn't complete. That rotation will be reattempted."
                )
        result = original_rotate(backend, secret_id, *args, **kwargs)
        if known:
            follow_current(backend.secrets[secret_id])
        return result

    def update_secret_version_stage(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        result = original_stage(backend, secret_id, *args, **kwargs)
        follow_current(backend.secrets[secret_id])
        return result

    patches.set(SecretsManagerBackend, "rotate_secret", rotate_secret)
    patches.set(SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage)


def secret_version_value_overwritten(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``PutSecretValue`` with the ``ClientRequestToken`` of an existing ``AWSPENDING``
    version and another value overwrites that version (moto refuses it for other
    versions only), and with the same value re-adds it. AWS (API reference,
    PutSecretValue ``ClientRequestToken``): the same value is ignored (idempotent),
    another value fails with ``ResourceExistsException`` ("you can't modify a secret
    version"), whatever the version's stages. A version without a value, which
    ``RotateSecret`` creates for its token, takes one: that is a rotation's createSecret
    step (AWS's rotation templates call PutSecretValue with the token)."""
    original: Any = SecretsManagerBackend.put_secret_value

    def put_secret_value(backend: Any, secret_id: str, **kwargs: Any) -> Any:
        token = kwargs.get("client_request_token")
        if token and backend._is_valid_identifier(secret_id):
            secret = backend.secrets[secret_id]
            version = secret.versions.get(token)
            held = (version or {}).get("secret_string"), (version or {}).get("secret_binary")
            if version is not None and held != (None, None):
                given = (kwargs.get("secret_string"), kwargs.get("secret_binary"))
                if (version.get("secret_string"), version.get("secret_binary")) != given:
                    raise ResourceExistsException(
                        f"You can't use ClientRequestToken {token} because that value is "
                        f"already in use for a version of secret {secret.arn}."
                    )
                return secret.to_short_dict(include_version_stages=True, version_id=token)
        return original(backend, secret_id, **kwargs)

    patches.set(SecretsManagerBackend, "put_secret_value", put_secret_value)


def unlabelled_versions_listed(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``DescribeSecret``'s ``VersionIdsToStages`` (and ``ListSecrets``'
    ``SecretVersionsToStages``) list every version, an unlabelled one with ``[]``. AWS
    (API reference, DescribeSecret ``VersionIdsToStages``): "a list of the versions of
    the secret that have staging labels attached"; a version without one is deprecated
    and not listed."""

    def version_ids_to_stages(secret: Any) -> dict[str, Any]:
        return {k: v["version_stages"] for k, v in secret.versions.items() if v["version_stages"]}

    patches.set(FakeSecret, "_form_version_ids_to_stages", version_ids_to_stages)


def _caller(endpoint: LocalAwsEndpoint) -> tuple[str, bool]:
    """(``aws:PrincipalArn``, ``aws:SecureTransport``) of the request being served."""
    context = current()
    principal = context.principal if context else endpoint.principals.operator
    return principal.arn, context.secure_transport if context else True


def bucket_policy_conditions_deny(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto evaluates a bucket policy on object requests without any request context, so
    every statement with a ``Condition`` denies (the usual ``DenyPlainHttp`` on
    ``aws:SecureTransport: false`` denies every request; even a conditional Allow does).
    AWS evaluates the conditions against the request (S3 user guide, "Bucket policy
    examples"; IAM "Policy evaluation logic": an explicit Deny in the bucket policy
    wins over any identity policy). Patched: the whole policy is evaluated
    (:func:`access.evaluate`) with the caller's ``aws:PrincipalArn`` (a function's role,
    the operator...) and ``aws:SecureTransport`` (:mod:`portal_local.aws.access`); a HEAD
    is ``s3:GetObject``, as on AWS."""

    def get_permission(bucket: Any, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        principal, secure = _caller(endpoint)
        action = "s3:GetObject" if action == "s3:HeadObject" else action
        statements = statements_of(bucket.policy.decode())
        verdict = evaluate(statements, action, resource, request_context(principal, secure))
        return {"Deny": PermissionResult.DENIED, "Allow": PermissionResult.PERMITTED}.get(
            verdict, PermissionResult.NEUTRAL
        )

    patches.set(FakeBucket, "get_permission", get_permission)


def event_bus_policy_not_enforced(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto stores an event bus's resource policy but never evaluates it: ``PutEvents``
    puts any event. AWS evaluates it for each entry (EventBridge user guide,
    "Permissions for event buses" and "Using IAM policy conditions": ``events:source``,
    ``events:detail-type``, ``aws:PrincipalArn``); an explicit Deny refuses the request
    with ``AccessDeniedException``. Patched: each entry's bus policy is evaluated with the
    caller's principal and the entry's source and detail type."""
    original: Any = EventsBackend.put_events

    def put_events(backend: Any, events: list[dict[str, Any]]) -> Any:
        principal, secure = _caller(endpoint)
        for entry in events:
            name = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
            bus = backend.event_buses.get(name)
            if bus is None or not bus.policy:
                continue
            context = request_context(
                principal,
                secure,
                **{
                    "events:source": entry.get("Source"),
                    "events:detail-type": entry.get("DetailType"),
                },
            )
            if evaluate(statements_of(bus.policy), "events:PutEvents", bus.arn, context) == "Deny":
                raise JsonRESTError(
                    "AccessDeniedException",
                    f"User: {principal} is not authorized to perform: events:PutEvents on "
                    f"resource: {bus.arn} with an explicit deny in a resource-based policy",
                )
        return original(backend, events)

    patches.set(EventsBackend, "put_events", put_events)


def function_role_policies_not_enforced(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto authorizes every request (unless ``INITIAL_NO_AUTH_ACTION_COUNT`` is set, and
    then only for access keys its own IAM and STS issued): a function's call runs
    whatever its role allows. AWS evaluates the caller's identity policies and, for
    Secrets Manager, the secret's resource policy (IAM user guide, "Policy evaluation
    logic": an explicit Deny in either refuses; within one account an Allow in either
    suffices; otherwise the implicit deny), and answers ``AccessDeniedException``.
    Patched: each authorization a function's request needs
    (:meth:`access.CallRecorder.authorizations`, KMS use included) is evaluated with
    :func:`access.evaluate` against the role's inline and managed policies as moto's IAM
    holds them, and the secret's policy; a refused request is answered as AWS answers it
    and not run. Not modelled: KMS key policies (the functions' keys are the stack's,
    whose policies delegate to IAM), permission boundaries, SCPs and session policies."""

    def authorize(context: RequestContext, needed: list[tuple[str, str]]) -> Refusal | None:
        principal = context.principal.arn
        try:
            statements = _role_statements(endpoint.account_id, principal)
        except Exception:  # noqa: BLE001 - no such role: nothing allows the call
            statements = []
        request = request_context(principal, context.secure_transport)
        for action, resource in needed:
            identity = evaluate(statements, action, resource, request)
            resource_policy = _secret_policy(endpoint, action, resource)
            on_resource = evaluate(resource_policy, action, resource, request)
            refused = f"User: {principal} is not authorized to perform: {action} on resource: "
            if "Deny" in (identity, on_resource):
                return Refusal(action, resource, f"{refused}{resource} with an explicit deny")
            if "Allow" not in (identity, on_resource):
                return Refusal(
                    action,
                    resource,
                    f"{refused}{resource} because no identity-based policy allows the "
                    f"{action} action",
                )
        return None

    patches.set(endpoint.recorder, "authorize", authorize)


def _role_statements(account_id: str, role_arn: str) -> list[dict[str, Any]]:
    role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    documents: list[Any] = list(role.policies.values())
    for policy in role.managed_policies.values():
        documents += [
            v.document for v in policy.versions if v.version_id == policy.default_version_id
        ]
    return [s for document in documents for s in statements_of(document)]


def _secret_policy(endpoint: LocalAwsEndpoint, action: str, resource: str) -> list[dict[str, Any]]:
    if not action.lower().startswith("secretsmanager:"):
        return []
    backend = secretsmanager_backends[endpoint.account_id][endpoint.region]
    secret = backend.secrets.get(resource) if backend._is_valid_identifier(resource) else None
    policy = getattr(secret, "policy", None)  # a replica has none of its own
    return statements_of(policy) if policy else []


# == CloudFormation ==========================================================================


class _ResourceFailed(Exception):
    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


def stack_failure_is_a_500(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A resource that fails makes moto's ``CreateStack`` answer HTTP 500 (the exception
    escapes), with no resource events and no stack to describe. AWS records
    ``CREATE_FAILED`` with the reason for the resource, rolls back and ends in
    ``ROLLBACK_COMPLETE``. Patched: each resource gets its ``CREATE_COMPLETE`` or
    ``CREATE_FAILED`` event; a failure rolls back to ``ROLLBACK_COMPLETE``, no outputs."""
    original_create: Any = cfn_parsing.parse_and_create_resource
    original_resources: Any = cfn_models.Stack.create_resources

    def create(logical_id: str, resource_json: Any, resources: Any, **kwargs: Any) -> Any:
        backend = cfn_models.cloudformation_backends[kwargs["account_id"]][kwargs["region_name"]]
        stack = backend.stacks.get(resources.stack_id)
        kind = str(resource_json.get("Type"))

        def event(status: str, reason: str | None, physical: str = "") -> None:
            if stack is not None:
                stack.events.append(
                    cfn_models.Event(
                        stack.stack_id, stack.name, logical_id, physical, kind, status, reason, None
                    )
                )

        try:
            resource = original_create(logical_id, resource_json, resources, **kwargs)
        except _ResourceFailed:
            raise
        except Exception as exc:
            event("CREATE_FAILED", f"{type(exc).__name__}: {exc}")
            raise _ResourceFailed(logical_id) from exc
        if resource is not None and not isinstance(resource, NotDeployed):
            event("CREATE_COMPLETE", None, str(getattr(resource, "physical_resource_id", "")))
        return resource

    def create_resources(stack: Any) -> None:
        try:
            original_resources(stack)
        except _ResourceFailed as failed:
            reason = f"The following resource(s) failed to create: [{failed.logical_id}]. "
            stack._add_stack_event("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            with contextlib.suppress(Exception):
                stack.resource_map.delete()
            stack.resource_map._resource_json_map = {}
            stack.output_map._output_json_map = {}
            stack.status = "ROLLBACK_COMPLETE"
            stack._add_stack_event("ROLLBACK_COMPLETE")

    patches.set(cfn_parsing, "parse_and_create_resource", create)
    patches.set(cfn_models.Stack, "create_resources", create_resources)


def conditional_resources_listed_empty(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``ListStackResources`` / ``DescribeStackResources`` list each resource whose
    Condition is false as an empty entry; AWS lists only the resources it created."""

    def stack_resources(stack: Any) -> list[Any]:
        return [r for r in stack.resource_map.values() if r is not None]

    patches.set(cfn_models.Stack, "stack_resources", property(stack_resources))


def _is_list(kind: str) -> bool:
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def list_parameter_defaults_not_split(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A ``CommaDelimitedList`` (or ``List<...>``) parameter left at its ``Default`` stays
    one string in moto (only given values are split), so ``!Select [1, !Ref Colors]``
    picks a character. AWS splits the default too."""
    original: Any = cfn_parsing.ResourceMap.load_parameters

    def load_parameters(resources: Any) -> None:
        original(resources)
        for name, spec in (resources._template.get("Parameters") or {}).items():
            value = resources.resolved_parameters.get(name)
            if isinstance(value, str) and _is_list(str(spec.get("Type", ""))):
                resources.resolved_parameters[name] = value.split(",")
                resources._parsed_resources[name] = resources.resolved_parameters[name]

    patches.set(cfn_parsing.ResourceMap, "load_parameters", load_parameters)


def no_value_kept_in_lists(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``!If [Cond, {...}, !Ref AWS::NoValue]`` inside a list (a policy's Statement list)
    leaves a ``None`` item in moto; AWS removes the item."""
    original: Any = cfn_parsing.clean_json

    def clean_json(value: Any, resources: Any) -> Any:
        result = original(value, resources)
        if isinstance(value, list) and isinstance(result, list):
            return [item for item in result if item is not None]
        return result

    patches.set(cfn_parsing, "clean_json", clean_json)


def role_policies_mangled(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``AWS::IAM::Role``: moto's CloudFormation drops ``ManagedPolicyArns`` (where SAM puts
    AWSLambdaBasicExecutionRole...) and stores each inline policy as Python's ``repr`` of
    the dict (``GetRolePolicy`` then answers text that is not JSON). AWS attaches the
    managed policies and stores JSON. Patched once the role is made."""
    original: Any = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, /, name: str, cfn: Any, account: str, region: str, **kwargs: Any) -> Any:
        role = original(cls, name, cfn, account, region, **kwargs)
        props = cfn.get("Properties", {})
        for policy in props.get("Policies") or []:
            role.put_policy(policy["PolicyName"], _json(policy["PolicyDocument"]))
        for arn in props.get("ManagedPolicyArns") or []:
            iam_backends[account][get_partition(region)].attach_role_policy(arn, role.name)
        return role

    patches.set(Role, "create_from_cloudformation_json", classmethod(create))


def parameters_not_validated(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto accepts any parameter value (unknown names; values outside ``AllowedValues``,
    ``AllowedPattern``, ``MinValue``/``MaxValue``, ``MinLength``/``MaxLength``) and ignores
    the template's ``Rules``. AWS refuses such a ``CreateStack`` with a ``ValidationError``
    before creating anything. Patched: the same checks (:func:`parameter_refusal`,
    :func:`rules_refusal`)."""
    original: Any = cfn_models.CloudFormationBackend.create_stack

    def create_stack(backend: Any, name: str, template: str, parameters: Any, **kwargs: Any) -> Any:
        document = cfn_models.Stack.parse_template(template)
        refusal = parameter_refusal(document, parameters) or rules_refusal(document, parameters)
        if refusal:
            raise ValidationError(name, message=refusal)
        return original(backend, name, template, parameters, **kwargs)

    patches.set(cfn_models.CloudFormationBackend, "create_stack", create_stack)


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as CloudFormation resolves them: given, else default; lists split."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        raw = given.get(name, spec.get("Default"))
        if raw is not None:
            raw = ",".join(map(str, raw)) if isinstance(raw, list) else _text(raw)
            listed = _is_list(str(spec.get("Type", "String")))
            values[name] = [v.strip() for v in raw.split(",")] if listed else raw
    return values


def parameter_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """Why CloudFormation would refuse these parameter values (None: it would not)."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        return f"Parameters: {unknown} do not exist in the template"
    values = parameter_values(template, given)
    for name, spec in declared.items():
        if name not in values:
            return f"Parameters: [{name}] must have values"
        for value in values[name] if isinstance(values[name], list) else [values[name]]:
            problem = _constraint_problem(spec, value)
            if problem:
                return f"Parameter '{name}' {spec.get('ConstraintDescription') or problem}"
    return None


def _constraint_problem(spec: Mapping[str, Any], value: str) -> str | None:
    allowed, pattern = spec.get("AllowedValues"), spec.get("AllowedPattern")
    if allowed is not None and value not in [_text(a) for a in allowed]:
        return f"must be one of AllowedValues {allowed}"
    if pattern and not re.fullmatch(str(pattern), value):
        return f"failed to satisfy constraint: Malformed input-Parameter must match {pattern}"
    if not int(spec.get("MinLength", 0)) <= len(value) <= int(spec.get("MaxLength", len(value))):
        return f"must contain {spec.get('MinLength', 0)} to {spec.get('MaxLength')} characters"
    if str(spec.get("Type")) == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if not float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number)):
            return f"must be a number from {spec.get('MinValue')} to {spec.get('MaxValue')}"
    return None


def rules_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """The first failing assertion of the template's ``Rules`` (None: all hold).

    A rule applies when its ``RuleCondition`` holds (or it has none); each of its
    ``Assertions`` must then hold. The functions CloudFormation allows there are
    evaluated: ``Fn::And/Or/Not/Equals/Contains/EachMemberEquals/EachMemberIn/FindInMap``
    and ``Ref``; any other function is refused, as CloudFormation refuses it, except that
    ``Fn::RefAll``/``Fn::ValueOf``/``Fn::ValueOfAll`` (AWS-specific parameter types read
    from the account) are refused as not evaluated locally.
    """
    values = parameter_values(template, given)
    try:
        for name, rule in (template.get("Rules") or {}).items():
            if "RuleCondition" in rule and not _rule(rule["RuleCondition"], values, template):
                continue
            for assertion in rule.get("Assertions") or []:
                if not _rule(assertion["Assert"], values, template):
                    why = assertion.get("AssertDescription", "")
                    return f"Template error: Rule {name} failed: {why}"
    except ValueError as exc:
        return f"Template error: {exc}"
    return None


def _rule(expr: Any, values: Mapping[str, Any], template: Mapping[str, Any]) -> Any:
    if isinstance(expr, list):
        return [_rule(e, values, template) for e in expr]
    if not isinstance(expr, dict) or len(expr) != 1:
        return expr
    key, arg = next(iter(expr.items()))
    ev = functools.partial(_rule, values=values, template=template)

    def texts(e: Any) -> list[str]:
        return [_text(v) for v in ev(e)]

    operators: dict[str, Callable[[], Any]] = {
        "Ref": lambda: values.get(arg, arg),
        "Fn::Equals": lambda: _text(ev(arg[0])) == _text(ev(arg[1])),
        "Fn::Not": lambda: not ev(arg[0]),
        "Fn::And": lambda: all(ev(a) for a in arg),
        "Fn::Or": lambda: any(ev(a) for a in arg),
        "Fn::Contains": lambda: _text(ev(arg[1])) in texts(arg[0]),
        "Fn::EachMemberEquals": lambda: all(v == _text(ev(arg[1])) for v in texts(arg[0])),
        "Fn::EachMemberIn": lambda: set(texts(arg[0])) <= set(texts(arg[1])),
        "Fn::FindInMap": lambda: template["Mappings"][ev(arg[0])][ev(arg[1])][ev(arg[2])],
    }
    if key not in operators:
        raise ValueError(f"{key} in Rules is not evaluated by the local endpoint")
    return operators[key]()


# -- resources moto's CloudFormation cannot create: created through the endpoint's API ------


class ApiResource:
    """A stack resource made with boto3 calls to the endpoint (duck-types moto's
    ``CloudFormationModel`` as far as moto's ``ResourceMap`` uses it)."""

    cfn_type = ""
    endpoint: LocalAwsEndpoint

    def __init__(self, ref: str, attributes: Mapping[str, Any]) -> None:
        self.physical_resource_id = ref
        self.attributes = dict(attributes)

    @classmethod
    def create_from_cloudformation_json(
        cls, name: str, cfn: Mapping[str, Any], account: str, region: str, **kwargs: Any
    ) -> ApiResource:
        props = {k: v for k, v in (cfn.get("Properties") or {}).items() if v is not None}
        return cls(*API_CREATED[cls.cfn_type](cls.endpoint, name, props))

    @classmethod
    def has_cfn_attr(cls, attribute: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute: str) -> Any:
        if attribute not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute]

    def is_created(self) -> bool:
        return True

    def delete(self, account: str, region: str) -> None:
        """Rollback leaves it (a failed local deployment goes with its endpoint)."""


class NotDeployed(ApiResource):
    """Placeholder for a type neither moto nor :data:`API_CREATED` can create: ``Ref`` and
    ``GetAtt`` give placeholder values (moto would fail the stack on a ``GetAtt`` to it);
    the deployment lists it in ``Stack.skipped``."""

    @classmethod
    def create_from_cloudformation_json(
        cls, name: str, cfn: Mapping[str, Any], account: str, region: str, **kwargs: Any
    ) -> ApiResource:
        return cls(name, {})

    def get_cfn_attribute(self, attribute: str) -> Any:
        return f"arn:aws:local:::not-deployed/{self.physical_resource_id}/{attribute}"


Creator = Callable[["LocalAwsEndpoint", str, dict[str, Any]], tuple[str, Mapping[str, Any]]]


def _lambda_function(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation drops Layers, Architectures, TracingConfig, KmsKeyArn,
    LoggingConfig, DeadLetterConfig and Tags. Layers of other accounts (public layers) do
    not exist in moto, which refuses them: left out, with a note (``endpoint.notes``)."""
    code = dict(props["Code"])
    if "ZipFile" in code:
        code["ZipFile"] = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])
    variables = (props.get("Environment") or {}).get("Variables") or {}
    layers = props.get("Layers") or []
    kwargs: dict[str, Any] = {
        **_pick(props, "Runtime", "Handler", "Description", "Architectures", "TracingConfig"),
        **_pick(props, "LoggingConfig", "DeadLetterConfig", "EphemeralStorage", "VpcConfig"),
        **{k: int(v) for k, v in _pick(props, "Timeout", "MemorySize").items()},
        **({"KMSKeyArn": props["KmsKeyArn"]} if "KmsKeyArn" in props else {}),
        "FunctionName": str(props.get("FunctionName") or name),
        "Role": props["Role"],
        "Code": code,
        "Environment": {"Variables": {str(k): _text(v) for k, v in variables.items()}},
        "Tags": _tags(props.get("Tags")),
        "Layers": [arn for arn in layers if f":{ep.account_id}:layer:" in arn],
    }
    for arn in sorted(set(layers) - set(kwargs["Layers"])):
        ep.notes.append(
            f"{kwargs['FunctionName']}: layer {arn} belongs to another account (a public layer) "
            "and is left out: moto refuses it; the local interpreter provides its packages"
        )
    lam = ep.client("lambda")
    arn = lam.create_function(**kwargs)["FunctionArn"]
    if "ReservedConcurrentExecutions" in props:
        reserved = int(props["ReservedConcurrentExecutions"])
        lam.put_function_concurrency(FunctionName=arn, ReservedConcurrentExecutions=reserved)
    return kwargs["FunctionName"], {"Arn": arn}


def _lambda_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::Version`` gives moto's model object (500)."""
    version = ep.client("lambda").publish_version(**_pick(props, "FunctionName", "Description"))
    return version["FunctionArn"], {"Version": version["Version"]}


def _lambda_alias(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig")
    arn = ep.client("lambda").create_alias(**_pick(props, *keys))["AliasArn"]
    return arn, {"AliasArn": arn}


def _event_invoke_config(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds")
    kwargs = _pick(props, *keys, "DestinationConfig")
    ep.client("lambda").put_function_event_invoke_config(**kwargs)
    return name, {}


def _layer_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::LayerVersion`` gives moto's model object (500), and
    ``CompatibleArchitectures`` are dropped."""
    keys = ("Content", "Description", "CompatibleRuntimes", "CompatibleArchitectures")
    kwargs = {"LayerName": props.get("LayerName", name), **_pick(props, *keys, "LicenseInfo")}
    return ep.client("lambda").publish_layer_version(**kwargs)["LayerVersionArn"], {}


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    return [_lower_keys(v) for v in value] if isinstance(value, list) else value


def _state_machine(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation ignores ``DefinitionSubstitutions`` and ``Definition``, drops
    logging and tracing, and (with ``execute_state_machine``) creates the state machine in
    a backend the Step Functions API does not read: it can be neither described nor run."""
    definition = _json(props.get("Definition", props.get("DefinitionString", "")))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", _text(value))
    machine = str(props.get("StateMachineName") or name)[:80]
    arn = ep.client("stepfunctions").create_state_machine(
        name=machine,
        definition=definition,
        roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"),
        tags=[{"key": k, "value": v} for k, v in _tags(props.get("Tags")).items()],
        **_lower_keys(_pick(props, "LoggingConfiguration", "TracingConfiguration")),
    )["stateMachineArn"]
    revision = str(uuid.uuid5(uuid.NAMESPACE_URL, arn + definition))
    return arn, {
        "Arn": arn,
        "Name": machine,
        "StateMachineName": machine,
        "StateMachineRevisionId": revision,
    }


def _state_machine_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto has no ``PublishStateMachineVersion`` API: published on the backend's model."""
    arn = str(props["StateMachineArn"])
    parts = arn.split(":")
    machine = stepfunctions_parser_backends[parts[4]][parts[3]].describe_state_machine(arn)
    machine.publish(props.get("Description"))
    version: Any = machine.latest_version
    return version.arn, {"Arn": version.arn}


def _state_machine_alias(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    preference = props.get("DeploymentPreference") or {}
    routing = props.get("RoutingConfiguration") or [
        {"StateMachineVersionArn": preference.get("StateMachineVersionArn"), "Weight": 100}
    ]
    arn = ep.client("stepfunctions").create_state_machine_alias(
        name=str(props.get("Name") or name),
        description=props.get("Description", ""),
        routingConfiguration=_lower_keys(routing),
    )["stateMachineAliasArn"]
    return arn, {"Arn": arn}


def _event_bus(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Events::EventBus`` gives moto's model object (500)."""
    events, bus = ep.client("events"), str(props.get("Name") or name)
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    arn = events.create_event_bus(Name=bus, Tags=tags)["EventBusArn"]
    if "Policy" in props:
        events.put_permission(EventBusName=bus, Policy=_json(props["Policy"]))
    return bus, {"Arn": arn, "Name": bus, "Policy": _json(props.get("Policy", ""))}


def _event_bus_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    events, bus = ep.client("events"), str(props.get("EventBusName", "default"))
    if "Statement" in props:
        current = events.describe_event_bus(Name=bus).get("Policy")
        document: Any = json.loads(current or '{"Version": "2012-10-17", "Statement": []}')
        document["Statement"].append({"Sid": props["StatementId"], **props["Statement"]})
        events.put_permission(EventBusName=bus, Policy=json.dumps(document))
    else:
        keys = ("Action", "Principal", "StatementId", "Condition")
        events.put_permission(EventBusName=bus, **_pick(props, *keys))
    return str(props["StatementId"]), {}


def _topic_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    policy = _json(props["PolicyDocument"])
    for topic in props["Topics"]:
        ep.client("sns").set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=policy
        )
    return name, {}


def _subscription(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
    attributes = {
        k: _json(v) if isinstance(v, dict) else _text(v) for k, v in _pick(props, *keys).items()
    }
    arn = ep.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props.get("Endpoint", ""),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn, {"Arn": arn}


def _queue_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    for url in props["Queues"]:
        policy = {"Policy": _json(props["PolicyDocument"])}
        ep.client("sqs").set_queue_attributes(QueueUrl=url, Attributes=policy)
    return name, {}


def _bucket_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    ep.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=_json(props["PolicyDocument"]))
    return name, {}


def _alarm(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    alarm = str(props.pop("AlarmName", name))
    ep.client("cloudwatch").put_metric_alarm(AlarmName=alarm, **props)
    return alarm, {"Arn": f"arn:aws:cloudwatch:{ep.region}:{ep.account_id}:alarm:{alarm}"}


def _rotation_schedule(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    immediately = _text(props.get("RotateImmediatelyOnUpdate", True)).lower() == "true"
    arn = ep.client("secretsmanager").rotate_secret(
        **_pick(props, "SecretId", "RotationLambdaARN"),
        RotationRules=props.get("RotationRules", {}),
        RotateImmediately=immediately,
    )["ARN"]
    return arn, {}


def _kms_key(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation fails an ``AWS::KMS::Key`` without ``KeyPolicy`` (KeyError);
    AWS gives it the default key policy (the account's root may use it)."""
    kms = ep.client("kms")
    kwargs = _pick(props, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in props:
        kwargs["Policy"] = _json(props["KeyPolicy"])
    tags = [{"TagKey": k, "TagValue": v} for k, v in _tags(props.get("Tags")).items()]
    key = kms.create_key(Tags=tags, **kwargs)["KeyMetadata"]
    if _text(props.get("EnableKeyRotation", False)).lower() == "true":
        kms.enable_key_rotation(KeyId=key["KeyId"])
    if _text(props.get("Enabled", True)).lower() == "false":
        kms.disable_key(KeyId=key["KeyId"])
    return key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}


def _ssm_parameter(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation fails an ``AWS::SSM::Parameter`` without ``Name``; AWS
    generates one."""
    kwargs = {
        k: str(v)
        for k, v in _pick(props, "Description", "AllowedPattern", "Tier", "DataType").items()
    }
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    parameter, kind = str(props.get("Name") or name), str(props.get("Type", "String"))
    value = _text(props["Value"])
    ep.client("ssm").put_parameter(Name=parameter, Value=value, Type=kind, Tags=tags, **kwargs)
    return parameter, {"Type": kind, "Value": value}


def _secret(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    sm, generate = ep.client("secretsmanager"), props.get("GenerateSecretString")
    kwargs = {k: str(v) for k, v in _pick(props, "Description", "KmsKeyId", "SecretString").items()}
    if generate:
        keys = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation")
        password = sm.get_random_password(**_pick(generate, *keys, "IncludeSpace"))
        value = password["RandomPassword"]
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            value = json.dumps({**document, generate["GenerateStringKey"]: value})
        kwargs["SecretString"] = value
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    arn = sm.create_secret(Name=str(props.get("Name") or name), Tags=tags, **kwargs)["ARN"]
    return arn, {"Id": arn}


def _schedule(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    schedule = str(props.pop("Name", name))[:64]
    arn = ep.client("scheduler").create_schedule(Name=schedule, **props)["ScheduleArn"]
    return schedule, {"Arn": arn}


API_CREATED: dict[str, Creator] = {
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Version": _lambda_version,
    "AWS::Lambda::Alias": _lambda_alias,
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Lambda::LayerVersion": _layer_version,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::StepFunctions::StateMachineVersion": _state_machine_version,
    "AWS::StepFunctions::StateMachineAlias": _state_machine_alias,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::EventBusPolicy": _event_bus_policy,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::SecretsManager::RotationSchedule": _rotation_schedule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::KMS::Key": _kms_key,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::SecretsManager::Secret": _secret,
}
"""Resource types moto's CloudFormation lacks (no model) or gets wrong (the creator's
docstring says how), each created through the endpoint's API from its properties."""


def not_deployable(resource_type: str) -> str | None:
    """Why the local endpoint cannot create ``resource_type`` (None: it can)."""
    if resource_type in API_CREATED or resource_type in cfn_parsing.get_model_map():
        return None
    return "moto has no CloudFormation support for this type and the endpoint does not create it"


def cfn_types_missing_or_broken(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto's CloudFormation lacks many types, and skips them: a ``GetAtt`` to one then
    fails the stack with a 500. Types in :data:`API_CREATED` are created through the
    endpoint's API instead; any other missing type gets a :class:`NotDeployed`
    placeholder and is listed in the deployment's ``Stack.skipped``."""
    original: Any = cfn_parsing.resource_class_from_type
    classes = {
        t: type(t, (ApiResource,), {"cfn_type": t, "endpoint": endpoint}) for t in API_CREATED
    }

    def resource_class_from_type(resource_type: str) -> Any:
        found = classes.get(resource_type) or original(resource_type)
        return (
            NotDeployed if found is None and resource_type not in cfn_parsing.NULL_MODELS else found
        )

    patches.set(cfn_parsing, "resource_class_from_type", resource_class_from_type)


def server_bound_here(host: str, port: int, principals: Principals | None = None) -> Any:
    """moto's ``ThreadedMotoServer`` binds in its own thread, where werkzeug answers a taken
    port with ``sys.exit(1)``: the thread dies and ``start()`` waits forever. The same WSGI
    app on a threaded werkzeug server bound in the calling thread makes it an ``OSError``.
    With ``principals``, each request is served in its context (access.with_request_context).
    """
    app: Any = DomainDispatcherApplication(create_backend_app)
    if principals is not None:
        app = with_request_context(app, principals)
    try:
        return make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    except SystemExit as exc:  # werkzeug printed the reason (address in use...) to stderr
        raise OSError(f"cannot listen on {host}:{port}") from exc


WORKAROUNDS: tuple[Workaround, ...] = (
    lambda_runs_no_code,
    invoke_ignores_qualifier,
    lambda_service_errors_unnamed,
    interpreter_calls_port_5000,
    unnamed_execution_is_named_none,
    start_by_version_or_alias_fails,
    execution_names_not_validated,
    aws_sdk_errors_lower_case,
    step_functions_quotas_not_enforced,
    map_iteration_states_errors_become_runtime,
    distributed_map_children_not_executions,
    map_run_tolerates_any_failure,
    secret_default_version_stale,
    secret_version_value_overwritten,
    unlabelled_versions_listed,
    bucket_policy_conditions_deny,
    event_bus_policy_not_enforced,
    function_role_policies_not_enforced,
    stack_failure_is_a_500,
    conditional_resources_listed_empty,
    list_parameter_defaults_not_split,
    no_value_kept_in_lists,
    role_policies_mangled,
    parameters_not_validated,
    cfn_types_missing_or_broken,
)


def install(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """Install every workaround (``patches.undo()`` removes them)."""
    for workaround in WORKAROUNDS:
        workaround(patches, endpoint)
