"""A local AWS endpoint: moto in server mode whose Lambda runs the project's real handlers.

:class:`LocalAwsEndpoint` starts moto's server (pinned: moto[server]==5.2.5) in a thread
of this process on 127.0.0.1, configured by
:data:`~portal_local.aws.moto_workarounds.base.MOTO_CONFIG` so that Step Functions executions
really run (moto's ASL interpreter, ported from LocalStack) and Lambda uses the "simple"
backend, whose ``invoke`` runs the deployed handler in a warm worker process
(:mod:`portal_local.aws.lambda_runtime`). Everything that changes moto's behaviour lives
in :mod:`portal_local.aws.moto_workarounds` (installed on start, undone on stop).

Where functions' code comes from: the deployment package moto stores for the function
(and for each of its layer versions). :mod:`portal_local.aws.deploy` uploads a tiny zip
whose manifest points at the source directory (``CodeUri`` / ``ContentUri``), so code
runs in place; any other zip is unpacked under ``run_dir/code`` and run from there.
Handler, environment variables, timeout, memory size and layers are read from moto's
function model (of the version or alias invoked) at every invocation, so a changed
configuration gets fresh workers. Every version of a function runs the same working-tree
code: a version pins the configuration, not the code.

Lifecycle: the server is bound in the caller's thread, so a taken port is an ``OSError``
(:func:`~portal_local.aws.moto_workarounds.server.server_bound_here`). moto keeps its state in
module globals: one endpoint per process; the state is reset when an endpoint starts
and when it stops (``stop`` also stops running executions and kills every worker), and
moto's ``default_user_config`` is restored.

Known and not patched (the workflow must not depend on them):

* ``RotateSecret`` invokes the rotation function synchronously for the four steps and
  ignores a function error; with ``RotateImmediately`` (the default) moto then moves
  ``AWSCURRENT`` to the new version whatever the function did.
* EventBridge rules, schedules and Scheduler schedules are stored but never fire, except
  for Step Functions status changes (:mod:`.moto_workarounds.status_events`).
* ``GetLayerVersionByArn`` is not implemented.
* As on AWS, a Task's ``TaskSucceeded`` history event holds the raw API response, before
  ``ResultSelector``: an aws-sdk ``secretsmanager:getSecretValue`` Task puts the secret
  value in the execution history.
* Lambda reserved concurrency, aliases' routing weights, ``LoggingConfig``, event invoke
  configs (retries, destinations) and DLQs of asynchronous invocations are stored, not
  applied; throttling happens only when every one of ``max_workers_per_function``
  workers stayed busy for ``throttle_wait`` seconds.
* Identity policies are not enforced: every call is allowed (each function's calls are
  recorded, :mod:`portal_local.aws.access`, to be checked against its role).
* ``Choice`` rules whose ``Variable`` path is missing from the input fall through to
  ``Default`` (AWS fails the execution with ``States.Runtime``): guard with ``IsPresent``.
* ``QueryLanguage: JSONata`` and ``Assign`` fail with ``States.Runtime``;
  ``arn:aws:states:::states:startExecution.sync`` fails too.
* A Task's ``TimeoutSeconds`` ends the state with ``States.Timeout`` but the Lambda
  invocation goes on in the background until the function's own timeout.
* If another test uses ``moto.mock_aws`` in the same process while an endpoint runs,
  the interpreter's calls go to the in-memory mock instead of over HTTP (same state).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from portal_local.aws.access import (
    CallRecorder,
    Principal,
    Principals,
    access_key_id,
    install_recorder,
)
from portal_local.aws.invocation_holds import InvocationHolds
from portal_local.aws.lambda_code import FunctionSpec, code_dir_from_zip
from portal_local.aws.lambda_runtime import (
    InvocationRecord,
    InvokeResult,
    LambdaRuntime,
    RuntimeStopped,
    TooManyRequests,
    tail_base64,
)

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
FAKE_ACCESS_KEY_ID = "testing"  # moto accepts any credentials
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105
OPERATOR_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/portal-local-operator"
"""Who the tests, the CLI and any caller that is not a function are (see access)."""

# quiet=True: no access-log line per AWS call, and no ERROR line from the interpreter for
# every error a Retry/Catch handles (the execution history has them all).
_QUIET_LOGGERS = {"werkzeug": logging.WARNING, "moto.stepfunctions.parser": logging.CRITICAL}

_active_lock = threading.Lock()
_active: LocalAwsEndpoint | None = None


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key in (name, name.lower()):
        with contextlib.suppress(Exception):
            value = headers.get(key)
            if value is not None:
                return str(value)
    return None


class LocalAwsEndpoint:
    """moto server on 127.0.0.1 with real Lambda handlers; started on construction.

    ``run_dir`` holds the function logs (``run_dir/logs``) and unpacked packages.
    ``function_env`` is added to every function's environment (for instance
    ``REQUESTS_CA_BUNDLE`` for a local HTTPS portal); the function's own variables win.
    ``port=0`` picks a free port (read it back from ``.port`` / ``.url``).
    """

    def __init__(
        self,
        port: int = 0,
        run_dir: Path | str = Path(".local-run/aws"),
        *,
        host: str = "127.0.0.1",
        function_env: Mapping[str, str] | None = None,
        max_workers_per_function: int = 10,
        throttle_wait: float = 60.0,
        quiet: bool = True,
        operator_arn: str = OPERATOR_ARN,
    ) -> None:
        self.region = REGION
        self.account_id = ACCOUNT_ID
        self.run_dir = Path(run_dir).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._host = host
        self._requested_port = port
        self._function_env = dict(function_env or {})
        self._max_workers = max_workers_per_function
        self._throttle_wait = throttle_wait
        self._patches: Any = None
        self._session = boto3.session.Session()
        self._session_lock = threading.Lock()
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self._saved_config: dict[str, Any] = {}
        self._stopped = False
        self._injected_errors: dict[str, list[tuple[str, int]]] = {}
        self._injected_lock = threading.Lock()
        self._quiet = quiet
        self._saved_log_levels: dict[str, int] = {}
        self.port = 0
        self.url = ""
        self.notes: list[str] = []
        """What the deployments left out or changed locally, and why (see deploy.Stack)."""
        self.map_run_children: Any = None
        """Every Distributed Map child execution (distributed_map.MapRunChildren)."""
        self.operator_arn = operator_arn
        self.principals = Principals(operator_arn)
        """Access key id -> function and role, or the operator (access.Principals)."""
        self.recorder = CallRecorder(self.region, self.account_id)
        """Every AWS call each function made (access.CallRecorder)."""
        self.runtime: LambdaRuntime
        self.invocation_holds = InvocationHolds()
        """Invocations a test holds before they run (invocation_holds)."""
        self._start()

    # -- lifecycle --------------------------------------------------------------------

    def _start(self) -> None:
        global _active  # noqa: PLW0603 - moto's state is per process
        with _active_lock:
            if _active is not None:
                raise RuntimeError(
                    f"a LocalAwsEndpoint is already running at {_active.url}; "
                    "moto keeps global state, stop it first"
                )
            _active = self
        try:
            self._start_server()
        except BaseException:
            self._teardown()
            raise

    def _start_server(self) -> None:
        from moto.core.config import default_user_config  # noqa: PLC0415

        from portal_local.aws import moto_workarounds  # noqa: PLC0415 - loads moto

        for key, value in moto_workarounds.MOTO_CONFIG.items():
            self._saved_config[key] = default_user_config.get(key)
            default_user_config[key] = dict(value)  # type: ignore[literal-required]
        _reset_moto()
        if self._quiet:
            for name, level in _QUIET_LOGGERS.items():
                logger = logging.getLogger(name)
                self._saved_log_levels[name] = logger.level
                logger.setLevel(level)
        self._server = moto_workarounds.server_bound_here(
            self._host, self._requested_port, self.principals
        )
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, name="local-aws-endpoint", daemon=True
        )
        self._server_thread.start()
        self.port = int(self._server.server_address[1])
        self.url = f"http://{self._host}:{self.port}"
        self.runtime = LambdaRuntime(
            self.run_dir,
            self.aws_environment(),
            extra_env=self._function_env,
            max_workers_per_function=self._max_workers,
            throttle_wait=self._throttle_wait,
        )
        self._patches = moto_workarounds.Patches()
        moto_workarounds.install(self._patches, self)
        install_recorder(self._patches, self.recorder)

    def stop(self) -> None:
        """Stop executions, workers and the server; restore moto. Idempotent, bounded."""
        if self._stopped:
            return
        self._stopped = True
        self._teardown()

    def _teardown(self) -> None:
        global _active  # noqa: PLW0603
        self.invocation_holds.stop()
        _stop_running_executions()
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.stop()
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._shutdown_server()
        if self._patches is not None:
            self._patches.undo()
        with contextlib.suppress(Exception):
            _reset_moto()
        if self._saved_config:
            from moto.core.config import default_user_config  # noqa: PLC0415

            for key, value in self._saved_config.items():
                if value is None:
                    default_user_config.pop(key, None)  # type: ignore[misc]
                else:
                    default_user_config[key] = value  # type: ignore[literal-required]
        for name, level in self._saved_log_levels.items():
            logging.getLogger(name).setLevel(level)
        with _active_lock:
            if _active is self:
                _active = None

    def _shutdown_server(self) -> None:
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        stopper.join(5.0)
        with contextlib.suppress(Exception):
            self._server.server_close()
        if self._server_thread is not None:
            self._server_thread.join(5.0)

    def __enter__(self) -> LocalAwsEndpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- using it ---------------------------------------------------------------------

    def aws_environment(self) -> dict[str, str]:
        """The variables that point an AWS SDK or the AWS CLI at this endpoint."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    @property
    def packages_dir(self) -> Path:
        """Where deployments keep the code each package holds (one copy per content)."""
        return self.run_dir / "packages"

    def client(self, service_name: str, *, principal_arn: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for this endpoint (us-east-1). It signs as the operator
        (``operator_arn``), or as ``principal_arn`` when given."""
        key = FAKE_ACCESS_KEY_ID
        if principal_arn is not None:
            key = access_key_id(principal_arn).replace("ASIA", "AKIA", 1)
            self.principals.register(key, Principal(principal_arn))
        # read_timeout above Lambda's 900 s maximum: a synchronous invoke must not be
        # retried (and so run twice) because the SDK gave up waiting after its default 60 s.
        kwargs.setdefault(
            "config",
            Config(read_timeout=910, connect_timeout=10, retries={"max_attempts": 2}),
        )
        with self._session_lock:  # creating clients from one session is not thread-safe
            return self._session.client(
                service_name,  # type: ignore[call-overload]
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id=key,
                aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
                aws_session_token="testing",  # noqa: S106
                **kwargs,
            )

    def inject_lambda_service_error(
        self, function_name: str, code: str = "TooManyRequestsException", status: int = 429
    ) -> None:
        """Make the next invocation of ``function_name`` fail in the Lambda service, before
        any code runs (throttling, service errors), as AWS sometimes does."""
        with self._injected_lock:
            self._injected_errors.setdefault(function_name, []).append((code, status))

    def function_logs(self) -> dict[str, str]:
        """``{function name: everything its workers wrote}`` (START/END/REPORT included)."""
        return self.runtime.function_logs()

    def worker_logs(self) -> dict[tuple[str, str], str]:
        """``{(function name, worker log file): what that worker wrote}``."""
        return self.runtime.worker_logs()

    def aws_calls(self) -> list[Any]:
        """Every authorization the functions' AWS calls needed so far (access.Call)."""
        return self.recorder.calls()

    def invocations(self) -> list[InvocationRecord]:
        """Every Lambda invocation so far (duration, memory, cold start, error type)."""
        return self.runtime.invocations()

    def invoke_moto_function(  # noqa: PLR0917 - called by the moto_workarounds patch
        self,
        backend: Any,
        fn: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes | None:
        """Run ``fn`` (moto's function, version or alias model) in the warm workers."""
        from moto.awslambda.exceptions import LambdaClientError  # noqa: PLC0415

        spec = self._spec_for(backend, fn)
        with self._injected_lock:
            queued = self._injected_errors.get(spec.name)
            injected = queued.pop(0) if queued else None
        if injected is not None:
            error = LambdaClientError(injected[0], "injected Lambda service error")
            error.code = injected[1]
            raise error
        payload = body.decode("utf-8") if isinstance(body, bytes) else (body or "")
        if payload.strip():
            try:
                json.loads(payload)
            except ValueError as exc:
                raise LambdaClientError(
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: {exc}",
                ) from exc
        self.invocation_holds.wait(spec.name, payload)
        invoked_arn = _invoked_arn(spec.arn, function_name, qualifier)
        invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
        response_headers["x-amz-executed-version"] = spec.version
        try:
            if invocation_type == "DryRun":
                return b""
            if invocation_type == "Event":
                self.runtime.invoke_async(spec, payload)
                return b""
            result: InvokeResult = self.runtime.invoke(
                spec,
                payload,
                invoked_arn=invoked_arn,
                client_context=_header(headers, "X-Amz-Client-Context"),
            )
        except TooManyRequests as exc:
            error = LambdaClientError("TooManyRequestsException", str(exc))
            error.code = 429
            raise error from exc
        except RuntimeStopped as exc:
            error = LambdaClientError("ServiceException", str(exc))
            error.code = 503
            raise error from exc
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        response_headers["x-amz-log-result"] = tail_base64(result.log_tail)
        response_headers["Content-Length"] = str(len(result.payload))
        return result.payload

    def _spec_for(self, backend: Any, fn: Any) -> FunctionSpec:
        code_dir = code_dir_from_zip(fn.code_bytes, self.runtime.code_dir)
        layer_dirs = []
        for layer in fn.layers or []:
            layer_version = backend.layers_versions_by_arn(layer["Arn"])
            if layer_version is not None and layer_version.code_bytes:
                layer_dirs.append(
                    code_dir_from_zip(layer_version.code_bytes, self.runtime.code_dir)
                )
        version = str(fn.version)
        key = access_key_id(fn.function_name)
        self.principals.register(key, Principal(str(fn.role), fn.function_name))
        return FunctionSpec(
            name=fn.function_name,
            arn=f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}",
            handler=str(fn.handler),
            code_dir=code_dir,
            layer_dirs=tuple(layer_dirs),
            environment=FunctionSpec.env(fn.environment_vars),
            timeout_s=float(fn.timeout or 3),
            memory_mb=int(fn.memory_size or 128),
            runtime=str(fn.run_time or "python3.11"),
            version=version if version.isdigit() else "$LATEST",
            access_key_id=key,
        )


def _invoked_arn(function_arn: str, function_name: str, qualifier: str | None) -> str:
    if function_name.startswith("arn:"):
        parts = function_name.split(":")
        if len(parts) == 8:
            return function_name
    elif ":" in function_name:
        return f"{function_arn}:{function_name.split(':', 1)[1]}"
    return f"{function_arn}:{qualifier}" if qualifier else function_arn


def _reset_moto() -> None:
    from moto.moto_api._internal.models import moto_api_backend  # noqa: PLC0415

    moto_api_backend.reset()


def _stop_running_executions() -> None:
    """Stop every RUNNING Step Functions execution (their threads would outlive the server)."""
    try:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends  # noqa: PLC0415
    except ImportError:
        return
    for account in list(stepfunctions_parser_backends.values()):
        for backend in list(account.values()):
            for execution in backend._get_executions():
                if getattr(execution, "exec_status", None) == "RUNNING":
                    with contextlib.suppress(Exception):
                        execution.stop(
                            dt.datetime.now(dt.UTC), "LocalEndpointStopped", "endpoint stopped"
                        )


def match_event_pattern(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge pattern semantics (moto's implementation), for testing rule patterns
    against sample events: moto stores rules but never fires them."""
    from moto.events.models import EventPattern  # noqa: PLC0415

    message: Any = dict(event)
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(message))
