"""Runs Lambda handlers the way Lambda execution environments do, on this machine.

Every function version gets a pool of warm worker processes (``_lambda_worker.py``), each
one a stand-in for a Lambda execution environment:

* the environment is the function's ``Environment.Variables`` plus the variables the
  Lambda service sets (``AWS_LAMBDA_FUNCTION_NAME``, ``_HANDLER``, ``AWS_REGION``...) and
  the local AWS endpoint (``AWS_ENDPOINT_URL`` and fake credentials); nothing of this
  process's environment leaks in except ``PATH`` and what ``extra_env`` names;
* ``sys.path`` is the function's code directory, then each layer directory (the project's
  editable install is hidden from the handler, so a missing layer fails like on AWS);
* the handler module is imported once per worker (cold start), then reused (warm);
* one invocation at a time per worker; concurrent invocations of the same function get
  more workers, up to ``max_workers_per_function``; beyond that an invocation waits for a
  free worker for at most ``throttle_wait`` seconds, then fails with
  :class:`TooManyRequests` (Lambda's throttling error);
* the function's ``Timeout`` is enforced: past it the worker is killed and the invocation
  fails with ``Sandbox.Timedout`` / ``Task timed out after N.NN seconds``;
* a handler exception is a function error (``FunctionError: Unhandled``) whose payload is
  ``{"errorMessage", "errorType": <exception class name>, "requestId", "stackTrace"}``,
  like the Lambda Python runtime's, so Step Functions ``ErrorEquals`` match class names;
* standard output/error of every worker go to ``run_dir/logs/<function>/worker-N.log``
  with Lambda's ``START``/``END``/``REPORT`` lines.

Nothing in here knows about moto: :mod:`portal_local.aws.moto_endpoint` turns moto's
function model into a :class:`~portal_local.aws.lambda_code.FunctionSpec` and calls
:meth:`LambdaRuntime.invoke`. One worker process and its pipes:
:mod:`portal_local.aws.lambda_process`; packages and specs: :mod:`portal_local.aws.lambda_code`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal_local.aws.lambda_code import FunctionSpec, layer_import_paths
from portal_local.aws.lambda_process import (
    WORKER_SCRIPT,
    WorkerGone,
    WorkerProcess,
    WorkerTimeout,
    exit_status,
)

DEFAULT_MAX_WORKERS = 10
_INIT_TIMEOUT_S = 10.0
_TAIL_BYTES = 4096


class TooManyRequests(Exception):
    """Every worker of the function stayed busy for ``throttle_wait`` seconds."""


class RuntimeStopped(Exception):
    """The runtime is stopping or stopped; no new invocation is accepted."""


@dataclass
class InvokeResult:
    payload: bytes
    function_error: str | None
    request_id: str
    executed_version: str
    log_tail: str = ""

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


@dataclass
class InvocationRecord:
    """One invocation, for benchmarks (GB-seconds) and tests."""

    function_name: str
    request_id: str
    started_at: float
    duration_ms: float
    memory_mb: int
    max_memory_used_mb: int
    cold_start: bool
    error_type: str | None

    @property
    def billed_ms(self) -> int:
        return max(1, int(self.duration_ms + 0.999))

    @property
    def gb_seconds(self) -> float:
        return self.billed_ms / 1000 * self.memory_mb / 1024


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


@dataclass
class _Pool:
    spec: FunctionSpec
    cap: int
    idle: list[WorkerProcess] = field(default_factory=list)
    busy: set[WorkerProcess] = field(default_factory=set)
    size: int = 0
    retired: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)


class LambdaRuntime:
    """Pools of warm worker processes, one pool per function."""

    def __init__(
        self,
        run_dir: Path,
        aws_env: Mapping[str, str],
        *,
        extra_env: Mapping[str, str] | None = None,
        max_workers_per_function: int = DEFAULT_MAX_WORKERS,
        throttle_wait: float = 60.0,
        python: str = sys.executable,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.logs_dir = self.run_dir / "logs"
        self.code_dir = self.run_dir / "code"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._aws_env = dict(aws_env)
        self._extra_env = dict(extra_env or {})
        self._cap = max(1, max_workers_per_function)
        self._throttle_wait = throttle_wait
        self._python = python
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, str], _Pool] = {}  # (name, version): each has its own
        self._retired: list[_Pool] = []
        self._worker_counter: dict[str, int] = {}
        self._records: list[InvocationRecord] = []
        self._async_threads: set[threading.Thread] = set()
        self._stopped = False

    # -- invoking ---------------------------------------------------------------------

    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes | str | None,
        *,
        invoked_arn: str | None = None,
        client_context: Any = None,
    ) -> InvokeResult:
        """Run one invocation (RequestResponse) and return its payload or function error."""
        request_id = str(uuid.uuid4())
        raw = payload.decode("utf-8") if isinstance(payload, bytes) else (payload or "")
        pool = self._pool_for(spec)
        started_wall = time.time()
        try:
            worker = self._acquire(pool)
        except _InitFailed as exc:
            return self._failure(
                spec,
                request_id=request_id,
                error_type=exc.error_type,
                message=str(exc),
                started_wall=started_wall,
                cold=True,
            )
        healthy = False
        log_start = _file_size(worker.log_path)
        try:
            cold = worker.cold
            worker.cold = False
            deadline = time.monotonic() + spec.timeout_s
            request = {
                "id": request_id,
                "request_id": request_id,
                "payload": raw,
                "deadline_ms": int((time.time() + spec.timeout_s) * 1000),
                "invoked_function_arn": invoked_arn or spec.arn,
                "client_context": client_context,
            }
            try:
                message = worker.call(request, deadline)
            except WorkerTimeout:
                worker.kill()
                self._log_timeout(worker, request_id, spec, started_wall)
                result = self._failure(
                    spec,
                    request_id=request_id,
                    error_type="Sandbox.Timedout",
                    message=f"RequestId: {request_id} Error: Task timed out after "
                    f"{spec.timeout_s:.2f} seconds",
                    started_wall=started_wall,
                    cold=cold,
                )
            except WorkerGone as gone:
                worker.kill()
                status = exit_status(gone.returncode)
                result = self._failure(
                    spec,
                    request_id=request_id,
                    error_type="Runtime.ExitError",
                    message=f"RequestId: {request_id} Error: Runtime exited with error: {status}",
                    started_wall=started_wall,
                    cold=cold,
                )
            else:
                healthy = True
                result = self._from_message(
                    spec, request_id, message, started_wall=started_wall, cold=cold
                )
        finally:
            self._release(pool, worker, healthy)
        result.log_tail = _read_from(worker.log_path, log_start)
        return result

    def invoke_async(self, spec: FunctionSpec, payload: bytes | str | None) -> str:
        """InvocationType=Event: queue the invocation, return at once (errors are logged)."""
        if self._stopped:
            raise RuntimeStopped("the Lambda runtime is stopped")

        def run() -> None:
            with contextlib.suppress(RuntimeStopped, TooManyRequests):
                self.invoke(spec, payload)
            with self._lock:
                self._async_threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=f"lambda-event-{spec.name}", daemon=True)
        with self._lock:
            self._async_threads.add(thread)
        thread.start()
        return str(uuid.uuid4())

    def _from_message(
        self,
        spec: FunctionSpec,
        request_id: str,
        message: Mapping[str, Any],
        *,
        started_wall: float,
        cold: bool,
    ) -> InvokeResult:
        error_type = None
        if message.get("type") == "result":
            payload = str(message.get("payload", "null")).encode()
            function_error = None
        else:
            error = message.get("error") or {}
            error_type = str(error.get("errorType", "Exception"))
            payload = json.dumps(error).encode()
            function_error = "Unhandled"
        self._record(
            spec,
            request_id=request_id,
            started=started_wall,
            duration_ms=float(message.get("duration_ms", (time.time() - started_wall) * 1000)),
            max_memory=int(message.get("max_memory_mb", 0)),
            cold=cold,
            error_type=error_type,
        )
        return InvokeResult(payload, function_error, request_id, spec.version)

    def _failure(
        self,
        spec: FunctionSpec,
        *,
        request_id: str,
        error_type: str,
        message: str,
        started_wall: float,
        cold: bool,
    ) -> InvokeResult:
        duration = (time.time() - started_wall) * 1000
        self._record(
            spec,
            request_id=request_id,
            started=started_wall,
            duration_ms=duration,
            max_memory=0,
            cold=cold,
            error_type=error_type,
        )
        return InvokeResult(
            _error_payload(error_type, message), "Unhandled", request_id, spec.version
        )

    def _record(
        self,
        spec: FunctionSpec,
        *,
        request_id: str,
        started: float,
        duration_ms: float,
        max_memory: int,
        cold: bool,
        error_type: str | None,
    ) -> None:
        record = InvocationRecord(
            spec.name,
            request_id,
            started,
            duration_ms,
            spec.memory_mb,
            max_memory,
            cold,
            error_type,
        )
        with self._lock:
            self._records.append(record)

    @staticmethod
    def _log_timeout(
        worker: WorkerProcess, request_id: str, spec: FunctionSpec, started: float
    ) -> None:
        duration = (time.time() - started) * 1000
        with open(worker.log_path, "a", encoding="utf-8") as log:
            log.write(
                f"{_utc_stamp()} {request_id} Task timed out after {spec.timeout_s:.2f} seconds\n"
                f"END RequestId: {request_id}\n"
                f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                f"Billed Duration: {int(duration + 0.999)} ms\tMemory Size: {spec.memory_mb} MB\t"
                f"Status: timeout\n"
            )

    # -- pools ------------------------------------------------------------------------

    def _pool_for(self, spec: FunctionSpec) -> _Pool:
        with self._lock:
            if self._stopped:
                raise RuntimeStopped("the Lambda runtime is stopped")
            pool = self._pools.get((spec.name, spec.version))
            if pool is not None and pool.spec == spec:
                return pool
            if pool is not None:
                # The function's code or configuration changed: new execution environments.
                self._retire(pool)
            pool = _Pool(spec, self._cap)
            self._pools[spec.name, spec.version] = pool
            return pool

    def _retire(self, pool: _Pool) -> None:
        with pool.cond:
            pool.retired = True
            idle, pool.idle = pool.idle, []
            pool.size -= len(idle)
            pool.cond.notify_all()
        self._retired.append(pool)
        for worker in idle:
            worker.close()

    def _acquire(self, pool: _Pool) -> WorkerProcess:
        deadline = time.monotonic() + self._throttle_wait
        with pool.cond:
            while True:
                if self._stopped:
                    raise RuntimeStopped("the Lambda runtime is stopped")
                while pool.idle:
                    worker = pool.idle.pop()
                    if worker.alive():
                        pool.busy.add(worker)
                        return worker
                    pool.size -= 1
                    worker.kill()
                if pool.size < pool.cap:
                    pool.size += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TooManyRequests(
                        f"Rate Exceeded: every execution environment of {pool.spec.name} "
                        f"stayed busy for {self._throttle_wait:.0f} seconds"
                    )
                pool.cond.wait(remaining)
        try:
            worker = self._spawn(pool.spec)
        except BaseException:
            with pool.cond:
                pool.size -= 1
                pool.cond.notify()
            raise
        with pool.cond:
            pool.busy.add(worker)
        return worker

    def _release(self, pool: _Pool, worker: WorkerProcess, healthy: bool) -> None:
        with pool.cond:
            pool.busy.discard(worker)
            keep = healthy and worker.alive() and not pool.retired and not self._stopped
            if keep:
                pool.idle.append(worker)
            else:
                pool.size -= 1
            pool.cond.notify()
        if not keep:
            worker.close()

    def _spawn(self, spec: FunctionSpec) -> WorkerProcess:
        with self._lock:
            number = self._worker_counter.get(spec.name, 0) + 1
            self._worker_counter[spec.name] = number
        stream = f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"
        log_path = self.logs_dir / _safe_name(spec.name) / f"worker-{number:03d}.log"
        worker = WorkerProcess(spec, self._worker_env(spec, stream), log_path, self._python)
        try:
            message = worker.wait_ready(_INIT_TIMEOUT_S + 5.0)
        except (WorkerTimeout, WorkerGone) as exc:
            worker.kill()
            raise _InitFailed(
                "Runtime.Unknown" if isinstance(exc, WorkerGone) else "Sandbox.Timedout",
                f"Init of {spec.name} failed: {exc or 'timed out'}",
            ) from exc
        if message.get("type") != "ready":
            worker.close()
            error = message.get("error") or {}
            raise _InitFailed(
                str(error.get("errorType", "Runtime.Unknown")),
                str(error.get("errorMessage", "init failed")),
            )
        return worker

    def _worker_env(self, spec: FunctionSpec, log_stream: str) -> dict[str, str]:
        env: dict[str, str] = {
            "PATH": os.environ.get("PATH", os.defpath),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
        for name in ("SYSTEMROOT", "COVERAGE_PROCESS_START"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(self._extra_env)
        env.update(dict(spec.environment))
        region = self._aws_env.get("AWS_DEFAULT_REGION", "us-east-1")
        layer_paths = [str(p) for d in spec.layer_dirs for p in layer_import_paths(Path(d))]
        env.update(
            {
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "LAMBDA_RUNTIME_DIR": str(WORKER_SCRIPT.parent),
                "_HANDLER": spec.handler,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "PORTAL_LOCAL_LAYER_PATHS": os.pathsep.join(layer_paths),
            }
        )
        env.update(self._aws_env)
        if spec.access_key_id:
            env["AWS_ACCESS_KEY_ID"] = spec.access_key_id
        return env

    # -- observing --------------------------------------------------------------------

    def function_logs(self) -> dict[str, str]:
        """Every function's log so far: ``{function name: all its workers' output}``."""
        logs: dict[str, str] = {}
        for (function, _), text in self.worker_logs().items():
            logs[function] = logs.get(function, "") + text
        return logs

    def worker_logs(self) -> dict[tuple[str, str], str]:
        """Each worker's log so far: ``{(function name, log file name): its output}``
        (each file only grows)."""
        logs: dict[tuple[str, str], str] = {}
        if not self.logs_dir.is_dir():
            return logs
        for function_dir in sorted(self.logs_dir.iterdir()):
            if function_dir.is_dir():
                for path in sorted(function_dir.glob("worker-*.log")):
                    text = path.read_text(encoding="utf-8", errors="replace")
                    logs[function_dir.name, path.name] = text
        return logs

    def invocations(self) -> list[InvocationRecord]:
        with self._lock:
            return list(self._records)

    def worker_pids(self, function_name: str) -> list[int]:
        with self._lock:
            pools = [pool for (name, _), pool in self._pools.items() if name == function_name]
        pids: list[int] = []
        for pool in pools:
            with pool.cond:
                pids.extend(w.pid for w in [*pool.idle, *pool.busy])
        return sorted(pids)

    # -- stopping ---------------------------------------------------------------------

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every worker (busy ones are killed); bounded by ``timeout_s`` plus kill time."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            pools = [*self._pools.values(), *self._retired]
            threads = list(self._async_threads)
        idle: list[WorkerProcess] = []
        busy: list[WorkerProcess] = []
        for pool in pools:
            with pool.cond:
                idle.extend(pool.idle)
                busy.extend(pool.busy)
                pool.idle = []
                pool.cond.notify_all()
        workers = idle + busy
        # Idle workers exit at end of input; busy ones are in a handler: killed at once
        # (their invocations fail with Runtime.ExitError, as when Lambda stops a sandbox).
        closers = [threading.Thread(target=w.close, daemon=True) for w in idle]
        closers += [threading.Thread(target=w.kill, daemon=True) for w in busy]
        for closer in closers:
            closer.start()
        end = time.monotonic() + timeout_s
        for closer in closers:
            closer.join(max(end - time.monotonic(), 0.1))
        for worker in workers:
            if worker.alive():
                worker.kill()
        for thread in threads:
            thread.join(max(end - time.monotonic(), 0.1))


class _InitFailed(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def tail_base64(text: str, limit: int = _TAIL_BYTES) -> str:
    """``x-amz-log-result``: the last 4 KB of the invocation's log, base64."""
    return base64.b64encode(text.encode("utf-8")[-limit:]).decode("ascii")
