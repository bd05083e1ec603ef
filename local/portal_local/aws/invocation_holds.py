"""Hold a function's invocations before its code runs, until a test releases them.

A test that must stop a run in a given state, or start a second run while the first is
in one, holds the invocation of that state's function at the Lambda service: the
execution then sits in that Task state for as long as the test needs, whatever the
machine's load, and the test knows the state was reached. On AWS the invocation that
Step Functions made runs when it is released, even if the execution was stopped
meanwhile (Lambda does not stop with the execution), and so does it here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(eq=False)
class InvocationHold:
    """Holds the invocations of ``function`` whose payload contains ``matching``."""

    function: str
    matching: str = ""
    times: int = 1
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_reached(self, timeout: float) -> bool:
        """Whether an invocation reached the hold within ``timeout`` seconds."""
        return self.reached.wait(timeout)

    def release(self) -> None:
        self.released.set()


class InvocationHolds:
    """Every hold of one endpoint (``LocalAwsEndpoint.invocation_holds``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: list[InvocationHold] = []
        self._stopping = threading.Event()

    def hold(self, function: str, *, matching: str = "", times: int = 1) -> InvocationHold:
        """Hold the next ``times`` invocations of ``function`` (its name) whose payload
        contains ``matching``."""
        held = InvocationHold(function, matching, times)
        with self._lock:
            self._holds.append(held)
        return held

    def wait(self, function: str, payload: str) -> None:
        """Called before an invocation runs: wait while a hold takes it."""
        with self._lock:
            held = next(
                (
                    h
                    for h in self._holds
                    if h.function == function and h.matching in payload and h.times > 0
                ),
                None,
            )
            if held is not None:
                held.times -= 1
        if held is None:
            return
        held.reached.set()
        while not held.released.wait(0.1) and not self._stopping.is_set():
            pass

    def release_all(self) -> None:
        """Let every held invocation go (the endpoint stops, or a test ends)."""
        with self._lock:
            holds, self._holds = self._holds, []
        for held in holds:
            held.release()

    def stop(self) -> None:
        self._stopping.set()
        self.release_all()
