"""How fast ``follow`` may call each Step Functions API: a share of the account's quota.

Step Functions throttles its read APIs per account and region with token buckets
(docs/AWS_FACTS.md, "Step Functions API quotas": the smaller figures, of the regions
other than us-east-1, us-west-2 and eu-west-1). Everything else in the account (the
console, other operators, the state machine's own Distributed Map) draws from the same
buckets, so ``follow`` keeps to ``SHARE`` of each: a bucket of its own, ``SHARE`` of the
size, refilled at ``SHARE`` of the rate. A call waits for its token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

# API -> (bucket size, refill per second)
QUOTAS: Final = {
    "DescribeExecution": (250, 10.0),
    "GetExecutionHistory": (400, 20.0),
    "ListExecutions": (100, 2.0),
    "ListMapRuns": (100, 1.0),
}
SHARE: Final = 0.2


@dataclass
class _Bucket:
    size: float
    refill: float
    tokens: float
    at: float


@dataclass
class Pacer:
    """``wait(api)`` before each call: sleeps until ``api`` has a token, then takes it."""

    clock: Callable[[], float]
    sleep: Callable[[float], None]
    share: float = SHARE
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def wait(self, api: str) -> None:
        bucket = self._filled(api)
        if bucket.tokens < 1:
            delay = (1 - bucket.tokens) / bucket.refill
            self.sleep(delay)
            bucket.tokens, bucket.at = 1.0, bucket.at + delay
        bucket.tokens -= 1

    def available(self, api: str) -> bool:
        """Whether a call of ``api`` would not wait (for calls that can be left out)."""
        return self._filled(api).tokens >= 1

    def _filled(self, api: str) -> _Bucket:
        now = self.clock()
        if api not in self._buckets:
            size, refill = QUOTAS[api]
            self._buckets[api] = _Bucket(
                size * self.share, refill * self.share, size * self.share, now
            )
        bucket = self._buckets[api]
        bucket.tokens = min(bucket.size, bucket.tokens + (now - bucket.at) * bucket.refill)
        bucket.at = now
        return bucket


class PacedStepFunctions:
    """The Step Functions client calls ``follow`` makes, each after its token."""

    _APIS: Final = {
        "describe_execution": "DescribeExecution",
        "get_execution_history": "GetExecutionHistory",
        "list_executions": "ListExecutions",
        "list_map_runs": "ListMapRuns",
    }

    def __init__(self, sfn: Any, pacer: Pacer) -> None:
        self._sfn, self.pacer = sfn, pacer

    def __getattr__(self, method: str) -> Callable[..., Any]:
        api = self._APIS[method]  # KeyError: a call follow is not paced for

        def paced(**kwargs: Any) -> Any:
            self.pacer.wait(api)
            return getattr(self._sfn, method)(**kwargs)

        return paced
