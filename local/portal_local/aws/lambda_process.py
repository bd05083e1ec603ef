"""One Lambda worker process (``_lambda_worker.py``) and its two pipes, seen from the
runtime: started, asked for one invocation at a time, closed or killed."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal_local.aws.lambda_code import FunctionSpec

WORKER_SCRIPT = Path(__file__).with_name("_lambda_worker.py")
STOP_GRACE_S = 2.0


class WorkerGone(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"worker exited ({returncode})")
        self.returncode = returncode


class WorkerTimeout(Exception):
    pass


class WorkerProcess:
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
                    raise WorkerTimeout
                written = os.write(self._req_w, view[: 1 << 16])
                view = view[written:]
        except OSError as exc:  # broken pipe: the worker is gone
            raise WorkerGone(self._reap()) from exc
        return self._read_message(deadline)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout
            readable, _, _ = select.select([self._resp_r], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._resp_r, 1 << 16)
            if not chunk:
                raise WorkerGone(self._reap())
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def _reap(self) -> int | None:
        try:
            return self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_GRACE_S)
        self._close_fds()

    def close(self) -> None:
        """Ask the worker to exit (end of input), then kill it if it does not."""
        if self._closed:
            return
        self._close_request_pipe()  # the worker reads end of input
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_GRACE_S)
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


_SIGNAL_NAMES = {9: "killed", 15: "terminated", 11: "segmentation fault", 6: "aborted"}


def exit_status(returncode: int | None) -> str:
    """How Lambda words a runtime's exit: ``exit status 1``, ``signal: killed``."""
    if returncode is None:
        return "unknown"
    if returncode < 0:
        return f"signal: {_SIGNAL_NAMES.get(-returncode, str(-returncode))}"
    return f"exit status {returncode}"
