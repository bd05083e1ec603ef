"""What the emulator saw: one record per request, names only, never a value."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

MAX_RECORDS = 100_000


@dataclass(frozen=True)
class RequestRecord:
    time: float  # epoch seconds when the request arrived
    context: str | None  # None: no portal matched (unknown path)
    method: str
    path: str  # without the query string
    query_keys: tuple[str, ...]
    body_keys: tuple[str, ...]
    header_names: tuple[str, ...]  # lower-case
    status: int | None  # None: the connection was reset without an answer
    # The machine that answered (None: no machine did: an unknown path, or the load
    # balancer of a portal whose machines are all down).
    machine: str | None = None
    # True: sent to a machine's own adminURL; False: to the portal's URL (for a portal
    # of two machines, its load balancer).
    direct: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Thread-safe, bounded (the oldest records go first)."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        self._lock = threading.Condition()
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._in_flight = 0

    def arrived(self) -> None:
        """A request arrived; ``finished`` once it is answered (or reset)."""
        with self._lock:
            self._in_flight += 1

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def wait_until_answered(self, timeout: float) -> bool:
        """Until every request that arrived has been answered (a held or delayed one
        included); False if some are still in flight after ``timeout`` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    def records(
        self, context: str | None = None, machine: str | None = None
    ) -> list[RequestRecord]:
        """Every record, or those of one portal context and/or one machine (by name)."""
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (context is None or r.context == context)
            and (machine is None or r.machine == machine)
        ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
