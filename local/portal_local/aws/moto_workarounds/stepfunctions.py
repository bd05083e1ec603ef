"""Step Functions: starting executions (names, versions, aliases), the interpreter's calls
and its error names."""

from __future__ import annotations

import contextlib
import functools
import random
import re
import threading
import uuid
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError
from moto.stepfunctions.exceptions import (
    InvalidExecutionInput,
    InvalidName,
    StateMachineDoesNotExist,
)
from moto.stepfunctions.exceptions import ValidationException as SfnValidationException
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
)
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround
from portal_local.aws.moto_workarounds.stepfunctions_quotas import MAX_PAYLOAD_BYTES, payload_size


def interpreter_calls_port_5000(patches: Patches, endpoint: Endpoint) -> None:
    """The ASL interpreter reaches AWS with ``boto_client_for``, hard-coded to
    ``http://localhost:<MOTO_PORT or 5000>``: on any other port every Task calls the wrong
    server. Patched to this endpoint's port (AWS: the service's regional endpoint)."""
    port = str(endpoint.port)
    patches.set(boto_client, "moto_server_port", lambda: port)


def unnamed_execution_is_named_none(patches: Patches, endpoint: Endpoint) -> None:
    """``StartExecution`` without ``name`` creates an execution named ``"None"``, so a second
    unnamed start fails with ``ExecutionAlreadyExists``; AWS generates a UUID. Starts are
    serialised too (AWS checks a name atomically, moto does not), and the input quota is
    checked here (see
    :func:`.stepfunctions_quotas.step_functions_quotas_not_enforced`)."""
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


def start_by_version_or_alias_fails(patches: Patches, endpoint: Endpoint) -> None:
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


def execution_names_not_validated(patches: Patches, endpoint: Endpoint) -> None:
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


def aws_sdk_errors_lower_case(patches: Patches, endpoint: Endpoint) -> None:
    """aws-sdk integration errors are named after the lower-case SDK name
    (``secretsmanager.ResourceNotFoundException``); AWS uses the Java client's name
    (``SecretsManager.*``, ``DynamoDb.*``, ``Sfn.*``), so ``ErrorEquals`` written for AWS
    would never match. (Optimized integrations keep their names, e.g. ``DynamoDB.*``.)"""
    task = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    patches.set(task, "_normalise_service_error_name", staticmethod(aws_sdk_error_prefix))


def map_iteration_states_errors_become_runtime(patches: Patches, endpoint: Endpoint) -> None:
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


WORKAROUNDS: tuple[Workaround, ...] = (
    interpreter_calls_port_5000,
    unnamed_execution_is_named_none,
    start_by_version_or_alias_fails,
    execution_names_not_validated,
    aws_sdk_errors_lower_case,
    map_iteration_states_errors_become_runtime,
)
