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
function model into a :class:`FunctionSpec` and calls :meth:`LambdaRuntime.invoke`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER_SCRIPT = Path(__file__).with_name("_lambda_worker.py")
CODE_MANIFEST = "portal-local-code.json"
"""Name of the file, inside a function or layer zip, that points at a source directory."""

DEFAULT_MAX_WORKERS = 10
_INIT_TIMEOUT_S = 10.0
_STOP_GRACE_S = 2.0
_TAIL_BYTES = 4096


class TooManyRequests(Exception):
    """Every worker of the function stayed busy for ``throttle_wait`` seconds."""


class RuntimeStopped(Exception):
    """The runtime is stopping or stopped; no new invocation is accepted."""


@dataclass(frozen=True)
class FunctionSpec:
    """What a worker needs to run a function; two equal specs share warm workers."""

    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    timeout_s: float = 3.0
    memory_mb: int = 128
    runtime: str = "python3.11"
    version: str = "$LATEST"
    access_key_id: str = ""
    """The key the workers sign with (the function's own: its role's credentials)."""

    @staticmethod
    def env(variables: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
        """Normalise ``Environment.Variables`` to the hashable form used by the spec."""
        return tuple(sorted((str(k), str(v)) for k, v in (variables or {}).items()))


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


def code_zip(source_dir: Path) -> bytes:
    """A small deployment package that points at ``source_dir`` instead of copying it.

    moto requires a zip for every function and layer version; the runtime reads the
    manifest back from the package and runs the code in place.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CODE_MANIFEST, json.dumps({"source_dir": str(source_dir.resolve())}))
    return buffer.getvalue()


def code_dir_from_zip(data: bytes, extract_root: Path) -> Path:
    """The directory to run a package from: its manifest's source dir, or the unpacked zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if CODE_MANIFEST in archive.namelist():
            manifest = json.loads(archive.read(CODE_MANIFEST))
            return Path(manifest["source_dir"])
        target = extract_root / hashlib.sha256(data).hexdigest()[:16]
        if not target.exists():
            partial = target.with_name(target.name + ".partial")
            archive.extractall(partial)
            with contextlib.suppress(OSError):
                partial.rename(target)
        return target


def layer_import_paths(layer_dir: Path) -> list[Path]:
    """Import paths a layer adds: ``python/`` (and its site-packages) if present, else itself."""
    paths = []
    python_dir = layer_dir / "python"
    if python_dir.is_dir():
        paths.append(python_dir)
        paths.extend(sorted(python_dir.glob("lib/python3*/site-packages")))
    paths.append(layer_dir)
    return paths


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class _WorkerGone(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"worker exited ({returncode})")
        self.returncode = returncode


class _WorkerTimeout(Exception):
    pass


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], log_path: Path, python: str):
        self.spec = spec
        self.log_path = log_path
        self.cold = True
        self._buffer = b""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(log_path, "ab") as log:
                self.process = subprocess.Popen(  # noqa: S603 - our own worker script
                    [python, "-I", "-u", str(WORKER_SCRIPT), str(req_r), str(resp_w)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=str(spec.code_dir),
                    env=dict(env),
                    pass_fds=(req_r, resp_w),
                    close_fds=True,
                    start_new_session=True,
                )
        except BaseException:
            for fd in (req_r, req_w, resp_r, resp_w):
                os.close(fd)
            raise
        os.close(req_r)
        os.close(resp_w)
        self._req_w = req_w
        self._resp_r = resp_r
        self._closed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return not self._closed and self.process.poll() is None

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        return self._read_message(time.monotonic() + timeout_s)

    def call(self, request: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        data = (json.dumps(request, separators=(",", ":")) + "\n").encode()
        try:
            view = memoryview(data)
            while view:
                _, writable, _ = select.select(
                    [], [self._req_w], [], max(deadline - time.monotonic(), 0)
                )
                if not writable:
                    raise _WorkerTimeout
                written = os.write(self._req_w, view[: 1 << 16])
                view = view[written:]
        except OSError as exc:  # broken pipe: the worker is gone
            raise _WorkerGone(self._reap()) from exc
        return self._read_message(deadline)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerTimeout
            readable, _, _ = select.select([self._resp_r], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._resp_r, 1 << 16)
            if not chunk:
                raise _WorkerGone(self._reap())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def _reap(self) -> int | None:
        try:
            return self.process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=_STOP_GRACE_S)
        self._close_fds()

    def close(self) -> None:
        """Ask the worker to exit (end of input), then kill it if it does not."""
        if self._closed:
            return
        self._close_request_pipe()  # the worker reads end of input
        try:
            self.process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=_STOP_GRACE_S)
        self._close_fds()

    def _close_request_pipe(self) -> None:
        # Each descriptor is closed once: once closed, its number can belong to any socket
        # another thread opens (the endpoint's own connections), which a second close
        # would cut.
        fd, self._req_w = self._req_w, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _close_fds(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_request_pipe()
        with contextlib.suppress(OSError):
            os.close(self._resp_r)


@dataclass
class _Pool:
    spec: FunctionSpec
    cap: int
    idle: list[_Worker] = field(default_factory=list)
    busy: set[_Worker] = field(default_factory=set)
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
            except _WorkerTimeout:
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
            except _WorkerGone as gone:
                worker.kill()
                status = _exit_status(gone.returncode)
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
    def _log_timeout(worker: _Worker, request_id: str, spec: FunctionSpec, started: float) -> None:
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

    def _acquire(self, pool: _Pool) -> _Worker:
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

    def _release(self, pool: _Pool, worker: _Worker, healthy: bool) -> None:
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

    def _spawn(self, spec: FunctionSpec) -> _Worker:
        with self._lock:
            number = self._worker_counter.get(spec.name, 0) + 1
            self._worker_counter[spec.name] = number
        stream = f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"
        log_path = self.logs_dir / _safe_name(spec.name) / f"worker-{number:03d}.log"
        worker = _Worker(spec, self._worker_env(spec, stream), log_path, self._python)
        try:
            message = worker.wait_ready(_INIT_TIMEOUT_S + 5.0)
        except (_WorkerTimeout, _WorkerGone) as exc:
            worker.kill()
            raise _InitFailed(
                "Runtime.Unknown" if isinstance(exc, _WorkerGone) else "Sandbox.Timedout",
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
        idle: list[_Worker] = []
        busy: list[_Worker] = []
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


_SIGNAL_NAMES = {9: "killed", 15: "terminated", 11: "segmentation fault", 6: "aborted"}


def _exit_status(returncode: int | None) -> str:
    """How Lambda words a runtime's exit: ``exit status 1``, ``signal: killed``."""
    if returncode is None:
        return "unknown"
    if returncode < 0:
        return f"signal: {_SIGNAL_NAMES.get(-returncode, str(-returncode))}"
    return f"exit status {returncode}"


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
