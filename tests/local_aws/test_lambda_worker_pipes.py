"""A Lambda worker's pipes are closed once each: a descriptor number freed by the first
close is reused at once by whatever the endpoint opens next (its own HTTP connections)."""

from __future__ import annotations

import contextlib
import os

from portal_local.aws.lambda_process import WorkerProcess


def test_closing_a_worker_leaves_a_descriptor_reused_meanwhile_open() -> None:
    worker = WorkerProcess.__new__(WorkerProcess)  # the pipes only: no worker process
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    worker._req_w, worker._resp_r, worker._closed = req_w, resp_r, False
    other_r, other_w = os.pipe()  # what another thread opens while the worker exits

    class ExitingWorker:
        def wait(self, timeout: float | None = None) -> int:
            os.dup2(other_r, req_w)  # the freed number, taken by the other descriptor
            return 0

        def kill(self) -> None:
            raise AssertionError("the worker exited on end of input")

    worker.process = ExitingWorker()  # type: ignore[assignment]
    try:
        worker.close()

        os.fstat(req_w)  # still open: it belongs to the other descriptor now
        os.write(other_w, b"x")
        assert os.read(req_w, 1) == b"x"
        assert not worker.alive()
    finally:
        for fd in (req_r, resp_w, other_r, other_w, req_w):
            with contextlib.suppress(OSError):
                os.close(fd)
