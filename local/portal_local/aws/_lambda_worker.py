"""One warm Lambda execution environment: imports a handler once, then serves invocations.

Started by :mod:`portal_local.aws.lambda_runtime` as ``python -I -u _lambda_worker.py
REQ_FD RESP_FD`` with the function's code directory as working directory and a clean
environment. It deliberately imports nothing from the project (it must not leak the
project's packages into the handler's import path) and only the standard library.

Protocol: JSON lines. The parent writes one request per line on ``REQ_FD``; the worker
answers on ``RESP_FD``: first ``{"type": "ready", "init_ms": ...}`` or ``{"type":
"init_error", "error": {...}}``, then one ``{"type": "result", "id", "payload"}`` or
``{"type": "error", "id", "error"}`` per request. Standard output and standard error are
the function's log (the parent points them at a log file). End of input on ``REQ_FD``
means shut down.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

_LAMBDA_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


class _RequestIdFilter(logging.Filter):
    """Adds the current request id to every record, as the Lambda Python runtime does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _RequestIdFilter.request_id
        return True


class LambdaContext:
    """The ``context`` argument, with the attributes of the Lambda Python runtime's."""

    def __init__(
        self,
        request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        client_context: Any = None,
    ) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = client_context
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"function_name={self.function_name},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


def _error(error_type: str, message: str, request_id: str = "", tb: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id:
        error["requestId"] = request_id
    frames = traceback.extract_tb(tb) if tb else []
    # Like the Lambda runtime, the trace starts in the function's code, not in the runtime.
    frames = [f for f in frames if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    error["stackTrace"] = traceback.format_list(frames)
    return error


def _log_error(error: dict[str, Any], exc: BaseException | None = None) -> None:
    """Write the error to the function log the way the Lambda Python runtime does."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if exc is not None:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error.get("stackTrace", []))
    sys.stdout.write("\n".join(lines) + "\n")


def _isolate_import_path(task_root: str, layer_paths: list[str]) -> None:
    """sys.path = [task root, layer dirs..., the interpreter's own library dirs].

    Editable installs of the project register a meta path finder that would make every
    project package importable from anywhere; a Lambda function only sees its code and
    its layers, so those finders are removed.
    """
    sys.meta_path[:] = [
        finder
        for finder in sys.meta_path
        if not type(finder).__module__.startswith("__editable__")
        and not getattr(finder, "__module__", "").startswith("__editable__")
    ]
    sys.path_hooks[:] = [
        hook for hook in sys.path_hooks if "__editable__" not in getattr(hook, "__module__", "")
    ]
    rest = [p for p in sys.path if p and "__editable__" not in p]
    sys.path[:] = [task_root, *layer_paths, *[p for p in rest if p not in layer_paths]]
    importlib.invalidate_caches()


def _send(resp: Any, message: dict[str, Any]) -> None:
    resp.write(json.dumps(message, separators=(",", ":")) + "\n")
    resp.flush()


def _load_handler(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise _InitError(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise _InitError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    try:
        return getattr(module, function_name)
    except AttributeError as exc:
        raise _InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from exc


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _install_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(_LAMBDA_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _trace_id() -> str:
    epoch = f"{int(time.time()):08x}"
    return f"Root=1-{epoch}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=0"


def _invoke(handler: Any, request: dict[str, Any], memory_mb: str) -> dict[str, Any]:
    request_id = str(request["request_id"])
    _RequestIdFilter.request_id = request_id
    os.environ["_X_AMZN_TRACE_ID"] = _trace_id()
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    sys.stdout.write(f"START RequestId: {request_id} Version: {version}\n")
    started = time.monotonic()
    context = LambdaContext(
        request_id,
        int(request["deadline_ms"]),
        str(request["invoked_function_arn"]),
        request.get("client_context"),
    )
    response: dict[str, Any]
    try:
        raw = request.get("payload") or ""
        event = json.loads(raw) if raw.strip() else {}
        result = handler(event, context)
        try:
            payload = json.dumps(result)
        except (TypeError, ValueError) as exc:
            error = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)
            _log_error(error)
            response = {"type": "error", "id": request["id"], "error": error}
        else:
            response = {"type": "result", "id": request["id"], "payload": payload}
    except Exception as exc:  # noqa: BLE001 - any handler exception is a function error
        error = _error(type(exc).__name__, str(exc), request_id, exc.__traceback__)
        _log_error(error, exc)
        response = {"type": "error", "id": request["id"], "error": error}
    duration_ms = (time.monotonic() - started) * 1000
    response["duration_ms"] = duration_ms
    response["max_memory_mb"] = _max_memory_mb()
    sys.stdout.write(f"END RequestId: {request_id}\n")
    sys.stdout.write(
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, int(duration_ms + 0.999))} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {response['max_memory_mb']} MB\t\n"
    )
    sys.stdout.flush()
    return response


def _max_memory_mb() -> int:
    """Peak resident memory of this worker (VmHWM: getrusage counts the parent before exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def main(argv: list[str]) -> int:
    req_fd, resp_fd = int(argv[1]), int(argv[2])
    requests = os.fdopen(req_fd, "r", encoding="utf-8")
    resp = os.fdopen(resp_fd, "w", encoding="utf-8")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    layers = [p for p in os.environ.get("PORTAL_LOCAL_LAYER_PATHS", "").split(os.pathsep) if p]
    os.environ.pop("PORTAL_LOCAL_LAYER_PATHS", None)
    memory_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    _isolate_import_path(task_root, layers)
    _install_logging()

    started = time.monotonic()
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        error = _error(exc.error_type, str(exc))
        _log_error(error)
        _send(resp, {"type": "init_error", "error": error})
        return 1
    except Exception as exc:  # noqa: BLE001 - an exception raised by the module at import
        error = _error(type(exc).__name__, str(exc), tb=exc.__traceback__)
        _log_error(error, exc)
        _send(resp, {"type": "init_error", "error": error})
        return 1
    _send(resp, {"type": "ready", "init_ms": (time.monotonic() - started) * 1000})

    for line in requests:
        if not line.strip():
            continue
        _send(resp, _invoke(handler, json.loads(line), memory_mb))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
