"""Every moto 5.2.5 workaround of the local AWS endpoint, and Step Functions' hard quotas.

The endpoint (:mod:`portal_local.aws.moto_endpoint`) installs everything listed in
:data:`WORKAROUNDS` when it starts and undoes it when it stops. Each entry is a function
whose docstring says what moto gets wrong and what AWS does; each has a test in
``tests/local_aws/test_moto_workarounds.py`` that shows the raw moto behaviour, so that
it fails (and tells us to delete the workaround) once a moto upgrade fixes it.

Why moto's own CloudFormation: the local deployment is what a user's ``sam deploy``
does, the SAM transform (aws-sam-translator) followed by ``CreateStack``; moto's
CloudFormation engine (intrinsics, conditions, dependency order, outputs) is maintained
upstream, so this module only fills its gaps, resource type by resource type
(:data:`API_CREATED`), instead of keeping a CloudFormation engine of our own.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from portal_local.aws.moto_endpoint import LocalAwsEndpoint

MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
    # SAM attaches AWS managed policies (AWSLambdaBasicExecutionRole...) to its roles.
    "iam": {"load_aws_managed_policies": True},
}

# -- Step Functions hard quotas (https://docs.aws.amazon.com/step-functions/latest/dg/
#    service-quotas.html): neither is adjustable, moto enforces neither. -------------------
MAX_PAYLOAD_BYTES = 256 * 1024
"""Execution input, and each state's input and output: 256 KiB (UTF-8 bytes)."""
MAX_HISTORY_EVENTS = 25_000
"""Events in one execution's history (a Distributed Map child has its own history)."""


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


# == Lambda =================================================================================


def lambda_runs_no_code(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto's Lambda runs code only in Docker: its "simple" backend (``use_docker: false``)
    answers ``Invoke`` with the request body, and the internal ``LambdaFunction.invoke``
    (SNS subscriptions, event source mappings, ``InvokeAsync``) always calls Docker. AWS
    runs the handler. Both are replaced by the endpoint's warm worker processes; the
    function (and the version or alias the name or qualifier names) is resolved by moto.
    """
    from moto.awslambda.models import LambdaFunction  # noqa: PLC0415
    from moto.awslambda.utils import get_backend  # noqa: PLC0415
    from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: PLC0415

    def simple_invoke(  # noqa: PLR0917 - moto's signature (called with keywords too)
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes | None:
        fn = backend.get_function(function_name, qualifier)
        return endpoint.invoke_moto_function(
            backend, fn, function_name, qualifier, body, headers, response_headers
        )

    def function_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        backend = get_backend(fn.account_id, fn.region)
        result = endpoint.invoke_moto_function(
            backend, fn, fn.function_name, None, body, request_headers, response_headers
        )
        return result or b""

    patches.set(LambdaSimpleBackend, "invoke", simple_invoke)
    patches.set(LambdaFunction, "invoke", function_invoke)


def lambda_service_errors_unnamed(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A Task whose Resource is a plain function ARN reports every Lambda *service* error
    (throttling, service exception: the function never ran) as ``Exception``; AWS names
    them ``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``..., which is
    what the workflow's Retry blocks match."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (  # noqa: PLC0415
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (  # noqa: PLC0415
        state_task_lambda,
    )

    task = state_task_lambda.StateTaskLambda
    original = task._from_error

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


# == Step Functions =========================================================================


def interpreter_calls_port_5000(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """The ASL interpreter reaches AWS with ``boto_client_for``, hard-coded to
    ``http://localhost:<MOTO_PORT or 5000>``: on any other port every Task calls the wrong
    server. Patched to this endpoint's port (AWS: the service's regional endpoint)."""
    from moto.stepfunctions.parser.asl.utils import boto_client  # noqa: PLC0415

    port = str(endpoint.port)
    patches.set(boto_client, "moto_server_port", lambda: port)


def unnamed_execution_is_named_none(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``StartExecution`` without ``name`` creates an execution named ``"None"``, so a
    second unnamed start fails with ``ExecutionAlreadyExists``; AWS generates a UUID.
    Starts are also serialised: AWS checks a name atomically, moto does not. The
    execution input quota (:data:`MAX_PAYLOAD_BYTES`) is checked here, see
    :func:`step_functions_quotas_not_enforced`."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend  # noqa: PLC0415

    original = StepFunctionsParserBackend.start_execution
    lock = threading.Lock()

    def start_execution(
        backend: Any, arn: str, name: Any = None, data: Any = None, trace: Any = None
    ) -> Any:
        _check_execution_input(data)
        with lock:
            return original(backend, arn, name or str(uuid.uuid4()), data, trace)

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


def map_iteration_states_errors_become_runtime(
    patches: Patches, endpoint: LocalAwsEndpoint
) -> None:
    """An inline Map iteration that fails with a ``States.*`` error (``States.Timeout``,
    ``States.DataLimitExceeded``...) makes moto's Map fail with ``States.Runtime``
    ("Custom Error Names MUST NOT begin with the prefix 'States.'"): the iteration's
    error name is rebuilt as a custom name, which refuses that prefix. AWS fails the Map
    with the iteration's error, so a Catch on the Map sees the real name."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (  # noqa: PLC0415
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (  # noqa: PLC0415
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (  # noqa: PLC0415
        iteration_worker,
    )

    def error_name(error_name: str) -> Any:
        if str(error_name).startswith("States."):
            with contextlib.suppress(ValueError):
                return StatesErrorName.from_name(str(error_name))
        return CustomErrorName(error_name=error_name)

    patches.set(iteration_worker, "CustomErrorName", error_name)


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
    words = _WORD.findall(str(model.service_id))
    return "".join(word[0].upper() + word[1:].lower() for word in words)


def aws_sdk_errors_lower_case(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """aws-sdk integration errors are named after the lower-case SDK name
    (``secretsmanager.ResourceNotFoundException``); AWS uses the service's Java client
    name (``SecretsManager.ResourceNotFoundException``, ``DynamoDb.*``, ``Sfn.*``), so
    ``ErrorEquals`` written for AWS would never match. (Optimized integrations keep their
    own names, e.g. ``DynamoDB.ConditionalCheckFailedException``.)"""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: PLC0415
        state_task_service_aws_sdk as aws_sdk,
    )

    patches.set(
        aws_sdk.StateTaskServiceAwsSdk,
        "_normalise_service_error_name",
        staticmethod(aws_sdk_error_prefix),
    )


# -- quotas ---------------------------------------------------------------------------------


def payload_size(text: str | None) -> int:
    return len((text or "").encode("utf-8"))


def step_functions_quotas_not_enforced(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto's interpreter enforces the payload quota only in part, and no history quota.

    AWS (Step Functions service quotas; "Handling errors": error names):

    * StartExecution refuses an input over :data:`MAX_PAYLOAD_BYTES` with
      ``InvalidExecutionInput`` (moto: no check);
    * a state's input, a Task's result, or a state's output (after ResultSelector,
      ResultPath, OutputPath) over the quota fails with ``States.DataLimitExceeded``
      (moto: output and Task results only, and refuses exactly 256 KiB);
    * ``States.ALL`` in a Retry or Catch does not match ``States.DataLimitExceeded``
      ("a terminal error that can't be caught by the States.ALL error type") nor
      ``States.Runtime``, which "isn't retriable, and will always cause the execution to
      fail" (moto: ``States.ALL`` matches every error);
    * an execution whose history reaches :data:`MAX_HISTORY_EVENTS` fails (moto: no
      limit). Modelled as ``States.Runtime`` raised when the next state is entered.
      Counted per execution: a Distributed Map child is its own execution on AWS; moto
      runs all of a map run's children on one shared, discarded event log, so each child
      gets its own log here (their events still never reach the parent's history, and
      moto lists no child executions: ``ListExecutions(mapRunArn=...)`` fails).
    """
    from moto.stepfunctions.parser.api import (  # noqa: PLC0415
        HistoryEventType,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name import (  # noqa: PLC0415
        error_equals_decl,
        states_error_name,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (  # noqa: PLC0415
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (  # noqa: PLC0415
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state import state  # noqa: PLC0415
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (  # noqa: PLC0415
        itemprocessor,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (  # noqa: PLC0415
        state_task_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: PLC0415
        state_task_service,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager  # noqa: PLC0415
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str  # noqa: PLC0415

    def within_quota(value: Any) -> bool:
        text = value if isinstance(value, str) else to_json_str(value)
        return payload_size(text) <= MAX_PAYLOAD_BYTES

    for module in (state, state_task_lambda, state_task_service):
        patches.set(module, "is_within_size_quota", within_quota)

    terminal = {
        StatesErrorNameType.StatesStatesDataLimitExceeded,
        StatesErrorNameType.StatesRuntime,
    }
    original_equals = error_equals_decl.ErrorEqualsDecl._eval_body

    def error_equals(decl: Any, env: Any) -> None:
        error = env.stack[-1] if env.stack else None
        typ = getattr(error, "typ", None)
        if isinstance(error, states_error_name.StatesErrorName) and typ in terminal:
            env.stack.pop()
            explicit = error in decl.error_names and typ != StatesErrorNameType.StatesRuntime
            env.stack.append(explicit)
            return
        original_equals(decl, env)

    patches.set(error_equals_decl.ErrorEqualsDecl, "_eval_body", error_equals)

    original_input = state.CommonStateField._eval_state_input
    original_body = state.CommonStateField._eval_body

    def eval_state_input(field: Any, env: Any) -> None:
        original_input(field, env)
        field._verify_size_quota(env=env, value=env.states.get_input())

    def eval_body(field: Any, env: Any) -> None:
        if len(env.event_manager._history_event_list) >= MAX_HISTORY_EVENTS:
            error = StatesErrorNameType.StatesRuntime
            cause = (
                f"The execution reached the maximum number of history events "
                f"({MAX_HISTORY_EVENTS})."
            )
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=states_error_name.StatesErrorName(typ=error),
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=cast(
                        Any,
                        {"executionFailedEventDetails": {"error": error.to_name(), "cause": cause}},
                    ),
                )
            )
        original_body(field, env)

    patches.set(state.CommonStateField, "_eval_state_input", eval_state_input)
    patches.set(state.CommonStateField, "_eval_body", eval_body)

    distributed = importlib.import_module(
        f"{itemprocessor.__name__}.distributed_item_processor_worker"
    )
    original_job = distributed.DistributedItemProcessorWorker._eval_job

    def eval_job(worker: Any, env: Any, job: Any) -> None:
        env.event_manager = EventManager()  # the child execution's own history
        original_job(worker, env, job)

    patches.set(distributed.DistributedItemProcessorWorker, "_eval_job", eval_job)


def _check_execution_input(data: str | None) -> None:
    """AWS refuses StartExecution with ``InvalidExecutionInput`` (HTTP 400) when the input
    passes the payload quota."""
    from moto.stepfunctions.exceptions import InvalidExecutionInput  # noqa: PLC0415

    size = payload_size(data)
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidExecutionInput(
            f"The input exceeds the maximum size of {MAX_PAYLOAD_BYTES} bytes ({size} bytes)"
        )


# == Secrets Manager ========================================================================


def secret_default_version_stale(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``GetSecretValue`` without a stage reads ``default_version_id``, which
    ``UpdateSecretVersionStage`` does not move with AWSCURRENT (and ``RotateSecret``
    points at the new version whatever the rotation did). AWS returns AWSCURRENT.
    ``RotateSecret`` also checks "a previous rotation isn't complete" the wrong way round
    (it refuses when AWSPENDING sits on AWSCURRENT and silently moves a leftover
    AWSPENDING otherwise); AWS refuses when another version than the requested token
    is AWSPENDING without being AWSCURRENT."""
    from moto.secretsmanager.exceptions import InvalidRequestException  # noqa: PLC0415
    from moto.secretsmanager.models import SecretsManagerBackend  # noqa: PLC0415

    original_rotate = SecretsManagerBackend.rotate_secret
    original_stage = SecretsManagerBackend.update_secret_version_stage

    def follow_current(secret: Any) -> None:
        for version_id, version in secret.versions.items():
            if "AWSCURRENT" in version["version_stages"]:
                secret.default_version_id = version_id

    def rotate_secret(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("client_request_token") or (args[0] if args else None)
        if backend._is_valid_identifier(secret_id):
            for version_id, version in backend.secrets[secret_id].versions.items():
                stages = version["version_stages"]
                if "AWSPENDING" in stages and "AWSCURRENT" not in stages and version_id != token:
                    raise InvalidRequestException(
                        "A previous rotation isn't complete. That rotation will be reattempted."
                    )
        result = original_rotate(backend, secret_id, *args, **kwargs)
        if backend._is_valid_identifier(secret_id):
            follow_current(backend.secrets[secret_id])
        return result

    def update_secret_version_stage(backend: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        result = original_stage(backend, secret_id, *args, **kwargs)
        follow_current(backend.secrets[secret_id])
        return result

    patches.set(SecretsManagerBackend, "rotate_secret", rotate_secret)
    patches.set(SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage)


# == S3 =====================================================================================


def bucket_policy_conditions_deny(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto evaluates a bucket policy on object requests without any request context, so
    every statement with a ``Condition`` denies (the usual ``DenyPlainHttp`` on
    ``aws:SecureTransport: false`` denies every request, even an ``Allow`` with a
    condition does). AWS evaluates the condition. Statements with a Condition are left
    out of moto's evaluation (the stored policy is the one the template gave): locally
    they neither allow nor deny."""
    from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: PLC0415
    from moto.s3.models import FakeBucket  # noqa: PLC0415

    def get_permission(bucket: Any, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(bucket.policy.decode())
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else statements
        kept = [s for s in statements if "Condition" not in s]
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(
            action, resource
        )

    patches.set(FakeBucket, "get_permission", get_permission)


# == CloudFormation =========================================================================


class _ResourceFailed(Exception):
    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


def _stack_event(  # noqa: PLR0917 - the fields of moto's Event
    stack: Any, logical_id: str, resource_type: str, status: str, reason: str | None, physical: str
) -> None:
    from moto.cloudformation.models import Event  # noqa: PLC0415

    stack.events.append(
        Event(stack.stack_id, stack.name, logical_id, physical, resource_type, status, reason, None)
    )


def stack_failure_is_a_500(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A resource that fails to create makes moto's ``CreateStack`` answer HTTP 500 (the
    exception escapes), with no resource events and no stack left to describe. AWS
    answers ``CreateStack``, records ``CREATE_FAILED`` with the reason for the resource,
    rolls back and ends in ``ROLLBACK_COMPLETE``. Patched: each resource gets
    ``CREATE_COMPLETE`` / ``CREATE_FAILED`` events, a failure rolls back, and the stack
    ends in ``ROLLBACK_COMPLETE`` with no outputs.
    """
    from moto.cloudformation import models, parsing  # noqa: PLC0415

    original_create = parsing.parse_and_create_resource
    original_resources = models.Stack.create_resources

    def create(logical_id: str, resource_json: Any, resources: Any, **kwargs: Any) -> Any:
        account, region = kwargs["account_id"], kwargs["region_name"]
        stack = models.cloudformation_backends[account][region].stacks.get(resources.stack_id)
        resource_type = str(resource_json.get("Type"))
        try:
            resource = original_create(logical_id, resource_json, resources, **kwargs)
        except _ResourceFailed:
            raise
        except Exception as exc:
            if stack is not None:
                reason = f"{type(exc).__name__}: {exc}"
                _stack_event(stack, logical_id, resource_type, "CREATE_FAILED", reason, "")
            raise _ResourceFailed(logical_id) from exc
        if resource is not None and stack is not None and not isinstance(resource, NotDeployed):
            physical = str(getattr(resource, "physical_resource_id", "") or "")
            _stack_event(stack, logical_id, resource_type, "CREATE_COMPLETE", None, physical)
        return resource

    def create_resources(stack: Any) -> None:
        try:
            original_resources(stack)
        except _ResourceFailed as failed:
            stack._add_stack_event(
                "ROLLBACK_IN_PROGRESS",
                f"The following resource(s) failed to create: [{failed.logical_id}]. "
                "Rollback requested by user.",
            )
            with contextlib.suppress(Exception):
                stack.resource_map.delete()
            stack.resource_map._resource_json_map = {}
            stack.output_map._output_json_map = {}
            stack.status = "ROLLBACK_COMPLETE"
            stack._add_stack_event("ROLLBACK_COMPLETE")

    patches.set(parsing, "parse_and_create_resource", create)
    patches.set(models.Stack, "create_resources", create_resources)


def conditional_resources_listed_empty(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``ListStackResources`` / ``DescribeStackResources`` list every resource whose
    Condition is false as an empty entry; AWS lists only the resources it created."""
    from moto.cloudformation import models  # noqa: PLC0415

    def stack_resources(stack: Any) -> list[Any]:
        return [r for r in stack.resource_map.values() if r is not None]

    patches.set(models.Stack, "stack_resources", property(stack_resources))


def list_parameter_defaults_not_split(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """A ``CommaDelimitedList`` (or ``List<...>``) parameter left at its ``Default`` stays
    one string in moto (only given values are split), so ``!Select [1, !Ref Colors]``
    picks a character. AWS splits the default too."""
    from moto.cloudformation import parsing  # noqa: PLC0415

    original = parsing.ResourceMap.load_parameters

    def load_parameters(resources: Any) -> None:
        original(resources)
        for name, spec in (resources._template.get("Parameters") or {}).items():
            kind, value = str(spec.get("Type", "")), resources.resolved_parameters.get(name)
            if isinstance(value, str) and (
                kind == "CommaDelimitedList" or kind.startswith("List<")
            ):
                resources.resolved_parameters[name] = value.split(",")
                resources._parsed_resources[name] = resources.resolved_parameters[name]

    patches.set(parsing.ResourceMap, "load_parameters", load_parameters)


def no_value_kept_in_lists(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``!If [Cond, {...}, !Ref AWS::NoValue]`` inside a list (a policy's Statement list)
    leaves a ``None`` item in moto; AWS removes the item."""
    from moto.cloudformation import parsing  # noqa: PLC0415

    original = parsing.clean_json

    def clean_json(value: Any, resources: Any) -> Any:
        result = original(value, resources)
        if isinstance(value, list) and isinstance(result, list):
            return [item for item in result if item is not None]
        return result

    patches.set(parsing, "clean_json", clean_json)


def role_policies_mangled(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """``AWS::IAM::Role``: moto's CloudFormation drops ``ManagedPolicyArns`` (SAM puts
    AWSLambdaBasicExecutionRole... there) and stores each inline policy document as
    Python's ``repr`` of the dict (``GetRolePolicy`` then answers text that is not JSON).
    AWS attaches the managed policies and stores JSON. Patched after the role is made."""
    from moto.iam.models import Role, iam_backends  # noqa: PLC0415
    from moto.utilities.utils import get_partition  # noqa: PLC0415

    original = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, /, name: str, cfn: Any, account: str, region: str, **kwargs: Any) -> Any:
        role = original(cls, name, cfn, account, region, **kwargs)
        props = cfn.get("Properties", {})
        for policy in props.get("Policies") or []:
            role.put_policy(policy["PolicyName"], _json(policy["PolicyDocument"]))
        backend = iam_backends[account][get_partition(region)]
        for arn in props.get("ManagedPolicyArns") or []:
            backend.attach_role_policy(arn, role.name)
        return role

    patches.set(Role, "create_from_cloudformation_json", classmethod(create))


def parameters_not_validated(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """moto accepts any parameter value: unknown names, values outside
    ``AllowedValues``, not matching ``AllowedPattern``, outside ``MinValue``/``MaxValue``
    or ``MinLength``/``MaxLength``; and it ignores the template's ``Rules``. AWS refuses
    such a ``CreateStack`` with a ``ValidationError`` before creating anything. Patched:
    the same checks, and the Rules' assertions (see :func:`rules_refusal`)."""
    from moto.cloudformation import models  # noqa: PLC0415
    from moto.cloudformation.exceptions import ValidationError  # noqa: PLC0415

    original = models.CloudFormationBackend.create_stack

    def create_stack(backend: Any, name: str, template: str, parameters: Any, **kwargs: Any) -> Any:
        document = models.Stack.parse_template(template)
        refusal = parameter_refusal(document, parameters) or rules_refusal(document, parameters)
        if refusal:
            raise ValidationError(name, message=refusal)
        return original(backend, name, template, parameters, **kwargs)

    patches.set(models.CloudFormationBackend, "create_stack", create_stack)


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as CloudFormation resolves them: given, else default; lists split."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        raw = given.get(name, spec.get("Default"))
        if raw is None:
            continue
        raw = ",".join(map(str, raw)) if isinstance(raw, list) else _text(raw)
        kind = str(spec.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [v.strip() for v in raw.split(",")] if is_list else raw
    return values


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def parameter_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
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
                message = spec.get("ConstraintDescription") or problem
                return f"Parameter '{name}' {message}"
    return None


def _constraint_problem(spec: Mapping[str, Any], value: str) -> str | None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [_text(a) for a in allowed]:
        return f"must be one of AllowedValues {allowed}"
    pattern = spec.get("AllowedPattern")
    if pattern and not re.fullmatch(str(pattern), value):
        return (
            f"failed to satisfy constraint: Malformed input-Parameter must match pattern {pattern}"
        )
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"must contain at least {spec['MinLength']} characters"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"must contain at most {spec['MaxLength']} characters"
    if str(spec.get("Type")) == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"must be a number not less than {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"must be a number not greater than {spec['MaxValue']}"
    return None


def rules_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """The first failing assertion of the template's ``Rules``, as AWS words it.

    A rule applies when its ``RuleCondition`` holds (or it has none); each of its
    ``Assertions`` must then hold. Rule functions: ``Fn::And/Or/Not/Equals/Contains/
    EachMemberEquals/EachMemberIn``, ``Ref`` to parameters and ``Condition`` names.
    ``Fn::RefAll``/``Fn::ValueOf``/``Fn::ValueOfAll`` (which read AWS-specific parameter
    types from the account) are refused as not evaluated locally.
    """
    values = parameter_values(template, given)
    for name, rule in (template.get("Rules") or {}).items():
        if "RuleCondition" in rule and not _rule_value(rule["RuleCondition"], values, template):
            continue
        for assertion in rule.get("Assertions") or []:
            if not _rule_value(assertion["Assert"], values, template):
                description = assertion.get("AssertDescription", "")
                return f"Template error: Rule {name} failed: {description}".rstrip(": ")
    return None


def _rule_value(expr: Any, values: Mapping[str, Any], template: Mapping[str, Any]) -> Any:
    if not isinstance(expr, dict) or len(expr) != 1:
        return [_rule_value(e, values, template) for e in expr] if isinstance(expr, list) else expr
    key, arg = next(iter(expr.items()))

    def ev(e: Any) -> Any:
        return _rule_value(e, values, template)

    if key == "Ref":
        return values.get(arg, arg)
    if key == "Condition":
        return _rule_value(template["Conditions"][arg], values, template)
    operators: dict[str, Callable[[], Any]] = {
        "Fn::Equals": lambda: _text(ev(arg[0])) == _text(ev(arg[1])),
        "Fn::Not": lambda: not ev(arg[0]),
        "Fn::And": lambda: all(ev(a) for a in arg),
        "Fn::Or": lambda: any(ev(a) for a in arg),
        "Fn::Contains": lambda: _text(ev(arg[1])) in [_text(v) for v in ev(arg[0])],
        "Fn::EachMemberEquals": lambda: all(_text(v) == _text(ev(arg[1])) for v in ev(arg[0])),
        "Fn::EachMemberIn": lambda: all(
            _text(v) in [_text(w) for w in ev(arg[1])] for v in ev(arg[0])
        ),
        "Fn::Join": lambda: str(arg[0]).join(_text(v) for v in ev(arg[1])),
    }
    if key not in operators:
        raise ValueError(f"{key} is not evaluated by the local endpoint")
    return operators[key]()


# -- resources moto's CloudFormation cannot create, created through the endpoint's API ---


class ApiResource:
    """A stack resource created with boto3 calls to the endpoint (duck-types moto's
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
        ref, attributes = API_CREATED[cls.cfn_type](cls.endpoint, name, props)
        return cls(ref, attributes)

    @classmethod
    def has_cfn_attr(cls, attribute: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException  # noqa: PLC0415

        if attribute not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute]

    def is_created(self) -> bool:
        return True

    def delete(self, account: str, region: str) -> None:
        """Rollback leaves it (a failed local deployment is thrown away with its endpoint)."""


Creator = Callable[["LocalAwsEndpoint", str, dict[str, Any]], tuple[str, Mapping[str, Any]]]


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): _text(v) for k, v in tags.items()}
    return {str(t["Key"]): _text(t["Value"]) for t in tags or []}


def _lambda_function(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation drops Layers, Architectures, TracingConfig, KmsKeyArn,
    LoggingConfig, DeadLetterConfig and Tags of ``AWS::Lambda::Function``. Layers of other
    accounts (public layers) do not exist in moto, which refuses them: left out, with a
    note in :attr:`LocalAwsEndpoint.notes`."""
    code = dict(props["Code"])
    if "ZipFile" in code:
        from moto.awslambda.models import LambdaFunction  # noqa: PLC0415

        code["ZipFile"] = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])
    variables = (props.get("Environment") or {}).get("Variables") or {}
    kwargs: dict[str, Any] = {
        "FunctionName": str(props.get("FunctionName") or name),
        "Role": props["Role"],
        "Code": code,
        "Environment": {"Variables": {str(k): _text(v) for k, v in variables.items()}},
        "Tags": _tags(props.get("Tags")),
    }
    for key in ("Timeout", "MemorySize"):
        if key in props:
            kwargs[key] = int(props[key])
    local = f":{ep.account_id}:layer:"
    kwargs["Layers"] = [arn for arn in props.get("Layers") or [] if local in arn]
    for arn in sorted(set(props.get("Layers") or []) - set(kwargs["Layers"])):
        ep.notes.append(
            f"{kwargs['FunctionName']}: layer {arn} belongs to another account (a public layer) "
            "and is left out: moto refuses it; the local interpreter provides its packages"
        )
    for key in (
        "Runtime",
        "Handler",
        "Description",
        "Architectures",
        "TracingConfig",
        "LoggingConfig",
        "DeadLetterConfig",
        "EphemeralStorage",
        "VpcConfig",
        "PackageType",
    ):
        if key in props:
            kwargs[key] = props[key]
    if "KmsKeyArn" in props:
        kwargs["KMSKeyArn"] = props["KmsKeyArn"]
    lam = ep.client("lambda")
    arn = lam.create_function(**kwargs)["FunctionArn"]
    if "ReservedConcurrentExecutions" in props:
        lam.put_function_concurrency(
            FunctionName=arn,
            ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
        )
    return kwargs["FunctionName"], {"Arn": arn}


def _lambda_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::Version`` returns moto's model object (500)."""
    kwargs = {"FunctionName": props["FunctionName"], "Description": props.get("Description", "")}
    version = ep.client("lambda").publish_version(**kwargs)
    return version["FunctionArn"], {"Version": version["Version"]}


def _lambda_alias(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    kwargs = {
        k: props[k]
        for k in ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig")
        if k in props
    }
    arn = ep.client("lambda").create_alias(**kwargs)["AliasArn"]
    return arn, {"AliasArn": arn}


def _event_invoke_config(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    keys = (
        "FunctionName",
        "Qualifier",
        "MaximumRetryAttempts",
        "MaximumEventAgeInSeconds",
        "DestinationConfig",
    )
    ep.client("lambda").put_function_event_invoke_config(
        **{k: props[k] for k in keys if k in props}
    )
    return name, {}


def _layer_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::LayerVersion`` returns moto's model object (500), and
    ``CompatibleArchitectures`` are dropped."""
    keys = (
        "Content",
        "Description",
        "CompatibleRuntimes",
        "CompatibleArchitectures",
        "LicenseInfo",
    )
    kwargs = {k: props[k] for k in keys if k in props}
    arn = ep.client("lambda").publish_layer_version(
        LayerName=props.get("LayerName", name), **kwargs
    )
    return arn["LayerVersionArn"], {}


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    return [_lower_keys(v) for v in value] if isinstance(value, list) else value


def _state_machine(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation ignores ``DefinitionSubstitutions`` and ``Definition``, drops
    logging and tracing, and (with ``execute_state_machine``) creates the state machine
    in a backend the Step Functions API does not read, so it cannot be described or run.
    """
    definition = _json(props.get("Definition", props.get("DefinitionString", "")))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", _text(value))
    kwargs: dict[str, Any] = {
        "name": str(props.get("StateMachineName") or name)[:80],
        "definition": definition,
        "roleArn": props["RoleArn"],
        "type": props.get("StateMachineType", "STANDARD"),
        "tags": [{"key": k, "value": v} for k, v in _tags(props.get("Tags")).items()],
    }
    for key in ("LoggingConfiguration", "TracingConfiguration"):
        if key in props:
            kwargs[key[:1].lower() + key[1:]] = _lower_keys(props[key])
    arn = ep.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
    revision = str(uuid.uuid5(uuid.NAMESPACE_URL, arn + definition))
    attributes = {"Name": kwargs["name"], "StateMachineName": kwargs["name"]}
    return arn, {"Arn": arn, "StateMachineRevisionId": revision, **attributes}


def _state_machine_version(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto has no ``PublishStateMachineVersion`` API: published on the backend's model."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends  # noqa: PLC0415

    arn = str(props["StateMachineArn"])
    parts = arn.split(":")
    machine = stepfunctions_parser_backends[parts[4]][parts[3]].describe_state_machine(arn)
    machine.publish(props.get("Description"))
    version: Any = machine.latest_version
    return version.arn, {"Arn": version.arn}


def _state_machine_alias(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    routing = props.get("RoutingConfiguration") or [
        {
            "StateMachineVersionArn": props["DeploymentPreference"]["StateMachineVersionArn"],
            "Weight": 100,
        }
    ]
    arn = ep.client("stepfunctions").create_state_machine_alias(
        name=str(props.get("Name") or name),
        description=props.get("Description", ""),
        routingConfiguration=_lower_keys(routing),
    )["stateMachineAliasArn"]
    return arn, {"Arn": arn}


def _event_bus(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Events::EventBus`` returns moto's model object (500)."""
    events = ep.client("events")
    bus = str(props.get("Name") or name)
    arn = events.create_event_bus(
        Name=bus, Tags=[{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    )["EventBusArn"]
    if "Policy" in props:
        events.put_permission(EventBusName=bus, Policy=_json(props["Policy"]))
    return bus, {"Arn": arn, "Name": bus, "Policy": _json(props.get("Policy", ""))}


def _event_bus_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    events = ep.client("events")
    bus = str(props.get("EventBusName", "default"))
    if "Statement" in props:
        current = events.describe_event_bus(Name=bus).get("Policy")
        document: Any = (
            json.loads(current) if current else {"Version": "2012-10-17", "Statement": []}
        )
        document["Statement"].append({"Sid": props["StatementId"], **props["Statement"]})
        events.put_permission(EventBusName=bus, Policy=json.dumps(document))
    else:
        keys = ("Action", "Principal", "StatementId", "Condition")
        events.put_permission(EventBusName=bus, **{k: props[k] for k in keys if k in props})
    return str(props["StatementId"]), {}


def _topic_policy(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    for topic in props["Topics"]:
        ep.client("sns").set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=_json(props["PolicyDocument"])
        )
    return name, {}


def _subscription(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    attributes = {
        k: _json(props[k]) if isinstance(props[k], dict) else _text(props[k])
        for k in (
            "RawMessageDelivery",
            "FilterPolicy",
            "FilterPolicyScope",
            "RedrivePolicy",
            "DeliveryPolicy",
        )
        if k in props
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
    kwargs: dict[str, Any] = {
        "SecretId": props["SecretId"],
        "RotationRules": props.get("RotationRules", {}),
        "RotateImmediately": str(props.get("RotateImmediatelyOnUpdate", True)).lower() == "true",
    }
    if "RotationLambdaARN" in props:
        kwargs["RotationLambdaARN"] = props["RotationLambdaARN"]
    arn = ep.client("secretsmanager").rotate_secret(**kwargs)["ARN"]
    return arn, {}


def _kms_key(ep: LocalAwsEndpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation fails an ``AWS::KMS::Key`` without ``KeyPolicy`` (KeyError);
    AWS gives it the default key policy (the account's root may use it)."""
    kms = ep.client("kms")
    keys = ("Description", "KeyUsage", "KeySpec", "MultiRegion")
    kwargs: dict[str, Any] = {k: props[k] for k in keys if k in props}
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
    keys = ("Description", "AllowedPattern", "Tier", "DataType")
    kwargs = {k: str(props[k]) for k in keys if k in props}
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    parameter = str(props.get("Name") or name)
    kind, value = str(props.get("Type", "String")), _text(props["Value"])
    ep.client("ssm").put_parameter(Name=parameter, Value=value, Type=kind, Tags=tags, **kwargs)
    return parameter, {"Type": kind, "Value": value}


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
}
"""Resource types moto's CloudFormation lacks (``None`` in its model map) or gets wrong
(the creator's docstring says how); each is created through the endpoint's API."""


class NotDeployed(ApiResource):
    """Placeholder for a type neither moto nor :data:`API_CREATED` can create: ``Ref`` and
    ``GetAtt`` give placeholder values (moto would fail the stack on a ``GetAtt``); the
    deployment lists the resource in ``Stack.skipped``."""

    @classmethod
    def create_from_cloudformation_json(
        cls, name: str, cfn: Mapping[str, Any], account: str, region: str, **kwargs: Any
    ) -> ApiResource:
        return cls(name, {})

    def get_cfn_attribute(self, attribute: str) -> Any:
        return f"arn:aws:local:::not-deployed/{self.physical_resource_id}/{attribute}"


def not_deployable(resource_type: str) -> str | None:
    """Why the local endpoint cannot create ``resource_type`` (None: it can)."""
    from moto.cloudformation import parsing  # noqa: PLC0415

    if resource_type in API_CREATED or resource_type in parsing.get_model_map():
        return None
    return "moto has no CloudFormation support for this type and the endpoint does not create it"


def cfn_types_missing_or_broken(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    """Resource types in :data:`API_CREATED` are created through the endpoint's API;
    other types moto lacks get a :class:`NotDeployed` placeholder (moto skips them and
    then fails any ``GetAtt`` to them with a 500)."""
    from moto.cloudformation import parsing  # noqa: PLC0415

    original = parsing.resource_class_from_type
    classes = {
        cfn_type: type(cfn_type, (ApiResource,), {"cfn_type": cfn_type, "endpoint": endpoint})
        for cfn_type in API_CREATED
    }

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in classes:
            return classes[resource_type]
        found = original(resource_type)
        if found is None and resource_type not in parsing.NULL_MODELS:
            return NotDeployed
        return found

    patches.set(parsing, "resource_class_from_type", resource_class_from_type)


WORKAROUNDS: tuple[Workaround, ...] = (
    lambda_runs_no_code,
    lambda_service_errors_unnamed,
    interpreter_calls_port_5000,
    unnamed_execution_is_named_none,
    aws_sdk_errors_lower_case,
    step_functions_quotas_not_enforced,
    map_iteration_states_errors_become_runtime,
    secret_default_version_stale,
    bucket_policy_conditions_deny,
    stack_failure_is_a_500,
    conditional_resources_listed_empty,
    list_parameter_defaults_not_split,
    no_value_kept_in_lists,
    role_policies_mangled,
    parameters_not_validated,
    cfn_types_missing_or_broken,
)


def install(patches: Patches, endpoint: LocalAwsEndpoint) -> None:
    for workaround in WORKAROUNDS:
        workaround(patches, endpoint)


__all__ = ["MAX_HISTORY_EVENTS", "MAX_PAYLOAD_BYTES", "WORKAROUNDS", "copy"]
