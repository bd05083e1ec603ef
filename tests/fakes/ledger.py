"""The DynamoDB run ledger as ``RunLedger`` sees it: locks that expire, attempt counts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from portal_automation.errors import LedgerUnavailable, LockLost, PortalBusy


class FakeLedger:
    """``LedgerPort``."""

    def __init__(self, lock_ttl_seconds: int = 3600, clock: Callable[[], float] = time.time):
        self._ttl = lock_ttl_seconds
        self._clock = clock
        self.locks: dict[str, tuple[str, float]] = {}  # key -> (owner, expires at)
        self.stages: dict[str, str] = {}  # key -> the step that last renewed its lock
        self.held: dict[str, set[tuple[str, str]]] = {}  # run -> (key, owner) of its locks
        self.attempts: dict[tuple[str, str], int] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, dict[str, Any]]] = {}  # run -> secret -> report
        self.last: dict[str, dict[str, Any]] = {}
        self.outages = 0

    def acquire(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> None:
        self._check(f"lock for {secret_arn}")
        owner = owner or run_id
        self.held.setdefault(run_id, set()).add((secret_arn, owner))
        now = self._clock()
        held = self.locks.get(secret_arn)
        if held is not None and held[0] != owner and held[1] >= now:
            raise PortalBusy(
                f"another run ({held[0]}) is changing the portal of {secret_arn}; this run "
                "changes nothing. Retry after it finishes"
            )
        self.locks[secret_arn] = (owner, now + self._ttl)
        self.stages.pop(secret_arn, None)

    def renew(self, secret_arn: str, run_id: str, stage: str, *, owner: str | None = None) -> None:
        self._check(f"renew lock for {secret_arn}")
        owner = owner or run_id
        held = self.locks.get(secret_arn)
        if held is None or held[0] != owner:
            holder = held[0] if held else None
            raise LockLost(
                f"the lock on {secret_arn} is no longer this run's ("
                + (f"run {holder} holds it" if holder else "released or expired")
                + "); this run changes nothing more on that portal"
            )
        self.locks[secret_arn] = (owner, self._clock() + self._ttl)
        self.stages[secret_arn] = stage

    def release(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> bool:
        self._check(f"unlock {secret_arn}")
        owner = owner or run_id
        self.held.get(run_id, set()).discard((secret_arn, owner))
        held = self.locks.get(secret_arn)
        if held is not None and held[0] == owner:
            del self.locks[secret_arn]
            return True
        return False

    def holder(self, secret_arn: str) -> str | None:
        held = self.locks.get(secret_arn)
        return held[0] if held else None

    def expires_at(self, secret_arn: str) -> float | None:
        held = self.locks.get(secret_arn)
        return held[1] if held else None

    def held_locks(self, run_id: str) -> list[tuple[str, str]]:
        self._check(f"locks of run {run_id}")
        return sorted(self.held.get(run_id, set()))

    def lock_stage(self, secret_arn: str, run_id: str) -> str | None:
        self._check("ledger read")
        if self.holder(secret_arn) != run_id:
            return None
        return self.stages.get(secret_arn, "Preflight")

    def record_attempt(self, secret_arn: str, run_id: str) -> int:
        self._check("record attempt")
        key = (secret_arn, run_id)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        return self.attempts[key]

    def put_run(self, run_id: str, run: dict[str, Any]) -> None:
        self._check("ledger write of run")
        self.runs[run_id] = json.loads(json.dumps(run))

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        self._check("ledger read")
        run = self.runs.get(run_id)
        return json.loads(json.dumps(run)) if run is not None else None

    def put_result(self, run_id: str, secret_arn: str, report: dict[str, Any]) -> None:
        self._check("ledger write of result")
        self.reports.setdefault(run_id, {})[secret_arn] = json.loads(json.dumps(report))

    def results(self, run_id: str) -> Iterator[dict[str, Any]]:
        self._check(f"results of run {run_id}")
        for arn in sorted(self.reports.get(run_id, {})):  # DynamoDB: sort key order
            yield self.reports[run_id][arn]

    def result_of(self, run_id: str, secret_arn: str) -> dict[str, Any] | None:
        self._check("ledger read")
        report = self.reports.get(run_id, {}).get(secret_arn)
        return json.loads(json.dumps(report)) if report is not None else None

    def put_last_outcome(self, secret_arn: str, outcome: dict[str, Any]) -> None:
        self._check("ledger write of last")
        self.last[secret_arn] = json.loads(json.dumps(outcome))

    def last_outcomes(self, secret_arns: list[str]) -> dict[str, dict[str, Any]]:
        self._check("last outcomes")
        return {arn: self.last[arn] for arn in secret_arns if arn in self.last}

    def _check(self, what: str) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise LedgerUnavailable(f"{what}: ProvisionedThroughputExceededException")
