"""follow reads a bounded number of child histories per poll (GetExecutionHistory's rate
on AWS), the least recently read first, and every child to its end at the last poll."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from portal_automation.cli.follow import CHILD_READS_PER_POLL, _Follower

PARENT = "arn:aws:states:us-east-1:123456789012:execution:sm:run"
CHILDREN = [f"arn:aws:states:us-east-1:123456789012:execution:sm/map:child-{i}" for i in range(7)]


class FleetHistories:
    """A parent whose map run has seven children, each with a one-event history."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.status = "RUNNING"

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.reads.append(kwargs["executionArn"])
        if kwargs["executionArn"] == PARENT:
            return {"events": [{"id": 1, "type": "MapRunStarted", "timestamp": datetime.now(UTC)}]}
        return {"events": [{"id": 1, "type": "ExecutionStarted", "timestamp": datetime.now(UTC)}]}

    def list_map_runs(self, **_: Any) -> dict[str, Any]:
        return {"mapRuns": [{"mapRunArn": "map-run"}]}

    def list_executions(self, **_: Any) -> dict[str, Any]:
        start = datetime(2026, 12, 1, tzinfo=UTC)
        return {
            "executions": [
                {"executionArn": arn, "status": self.status, "startDate": start} for arn in CHILDREN
            ]
        }


def child_reads(sfn: FleetHistories) -> list[str]:
    reads = [arn for arn in sfn.reads if arn != PARENT]
    sfn.reads.clear()
    return reads


def test_each_poll_reads_a_few_children_in_turn_and_the_last_poll_reads_them_all() -> None:
    sfn = FleetHistories()
    follower = _Follower(sfn, PARENT, io.StringIO(), clock=lambda: 0.0)

    rounds = [child_reads(sfn) for _ in range(4) if follower.poll() is None]

    assert all(len(reads) == CHILD_READS_PER_POLL for reads in rounds)
    assert [arn for reads in rounds for arn in reads][:7] == CHILDREN  # every child in turn
    sfn.status = "SUCCEEDED"
    follower.poll(final=True)
    assert sorted(child_reads(sfn)) == sorted(CHILDREN)  # each read to its end
    follower.poll(final=True)
    assert child_reads(sfn) == []  # a finished child is never read again
