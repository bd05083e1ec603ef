"""follow reads a bounded number of child histories per poll, the least recently read
first, and every child to its end at the last poll; every API it calls stays within a
share of the account's quota (issue 19 item 6)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from portal_automation.cli.follow import CHILD_READS_PER_POLL, _Follower, follow_execution
from portal_automation.cli.pacing import QUOTAS, SHARE

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


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RunningFleet(FleetHistories):
    """The same fleet, running for ``until`` seconds of a fake clock; every call is
    recorded with its time."""

    def __init__(self, time: FakeTime, until: float) -> None:
        super().__init__()
        self.time, self.until = time, until
        self.calls: list[tuple[str, float]] = []

    def _call(self, api: str) -> None:
        self.calls.append((api, self.time.now))
        self.status = "SUCCEEDED" if self.time.now >= self.until else "RUNNING"

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self._call("GetExecutionHistory")
        return super().get_execution_history(**kwargs)

    def list_map_runs(self, **kwargs: Any) -> dict[str, Any]:
        self._call("ListMapRuns")
        return super().list_map_runs(**kwargs)

    def list_executions(self, **kwargs: Any) -> dict[str, Any]:
        self._call("ListExecutions")
        return super().list_executions(**kwargs)

    def describe_execution(self, **_: Any) -> dict[str, Any]:
        self._call("DescribeExecution")
        return {"status": self.status}


def test_follow_keeps_each_api_within_its_share_of_the_account_quota() -> None:
    """Step Functions refills ListExecutions at 2 calls a second for the whole account:
    following one run polled it at that rate. Over a 10-minute run, each API stays
    within a fifth of its bucket and refill rate (docs/AWS_FACTS.md)."""
    time, seconds = FakeTime(), 600.0
    sfn = RunningFleet(time, until=seconds)

    result = follow_execution(
        sfn, PARENT, out=io.StringIO(), clock=time.clock, sleep=time.sleep, timeout_seconds=3600
    )

    assert result.status == "SUCCEEDED"
    for api, (size, refill) in QUOTAS.items():
        times = [t for name, t in sfn.calls if name == api]
        allowed = SHARE * (size + refill * time.now)
        assert len(times) <= allowed, (api, len(times), allowed)
    listings = [t for name, t in sfn.calls if name == "ListExecutions"]
    assert len(listings) / seconds <= SHARE * QUOTAS["ListExecutions"][1] * 1.1
    assert time.now - seconds < 5  # the end is still seen within a few seconds
