"""The DynamoDB run ledger as ``RunLedger`` sees it: locks that expire, attempt counts."""

from __future__ import annotations

import time
from collections.abc import Callable

from portal_automation.aws.run_ledger import LedgerUnavailable, PortalBusy


class FakeLedger:
    """``LedgerPort``."""

    def __init__(self, lock_ttl_seconds: int = 3600, clock: Callable[[], float] = time.time):
        self._ttl = lock_ttl_seconds
        self._clock = clock
        self.locks: dict[str, tuple[str, float]] = {}  # secret ARN -> (owner, expires at)
        self.attempts: dict[tuple[str, str], int] = {}
        self.outages = 0

    def acquire(self, secret_arn: str, run_id: str) -> None:
        self._check(f"lock for {secret_arn}")
        now = self._clock()
        held = self.locks.get(secret_arn)
        if held is not None and held[0] != run_id and held[1] >= now:
            raise PortalBusy(
                f"another run ({held[0]}) is changing the portal of {secret_arn}; this run "
                "changes nothing. Retry after it finishes"
            )
        self.locks[secret_arn] = (run_id, now + self._ttl)

    def release(self, secret_arn: str, run_id: str) -> None:
        self._check(f"unlock {secret_arn}")
        held = self.locks.get(secret_arn)
        if held is not None and held[0] == run_id:
            del self.locks[secret_arn]

    def holder(self, secret_arn: str) -> str | None:
        held = self.locks.get(secret_arn)
        return held[0] if held else None

    def record_attempt(self, secret_arn: str, run_id: str) -> int:
        self._check("record attempt")
        key = (secret_arn, run_id)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return self.attempts[key]

    def _check(self, what: str) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise LedgerUnavailable(f"{what}: ProvisionedThroughputExceededException")
