"""The per-portal state that flows through the Map iteration, one key per step.

The Map's ItemSelector puts the item under ``item``; each Task writes its result under
its own key (ResultPath), and Catch writes ``error``. Every step reads this whole
object and returns only its own part. All of it is visible in execution history, so
all of it is free of secrets by construction: ARNs, versions, counters, timestamps,
names and values of managed (non-secret) security properties.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import PortalItem


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Change(_Result):
    name: str
    current: Any = None
    desired: Any = None


class PreflightResult(_Result):
    portal: str
    version: str
    build: str = ""
    next: Literal["change", "done"]
    outcome: Literal["planned", "no-change", "dry-run"]
    changes: list[Change] = []
    key_mode: Annotated[Literal["supplied", "generated"] | None, Field(alias="keyMode")] = None
    started_at: Annotated[float, Field(alias="startedAt")]


class ChangeResult(_Result):
    phase: Literal["change", "rollback"] = "change"
    outcome: Literal["accepted", "already-applied", "unknown"]
    attempts: int = 1
    # None when the change task ended without an answer (ASL ChangeOutcomeUnknown).
    changed_at: Annotated[float | None, Field(alias="changedAt")] = None
    recheck_seconds: Annotated[int, Field(alias="recheckSeconds")]


class PollResult(_Result):
    ready: bool
    origin: float = 0.0
    polls: int
    elapsed_seconds: Annotated[float, Field(alias="elapsedSeconds")]
    went_down: Annotated[bool, Field(alias="wentDown")] = False
    healthy_at: Annotated[float | None, Field(alias="healthyAt")] = None
    wait_seconds: Annotated[int, Field(alias="waitSeconds")] = 0


class VerifyResult(_Result):
    outcome: Literal["verified", "restart-pending", "not-applied", "mismatch", "rolled-back"]
    checks: dict[str, Any] = {}
    verified_at: Annotated[float | None, Field(alias="verifiedAt")] = None
    mismatched: list[str] = []


class CaughtError(_Result):
    error: Annotated[str, Field(alias="Error")] = "States.Unknown"
    cause: Annotated[str, Field(alias="Cause")] = ""


class PortalState(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    item: PortalItem
    preflight: PreflightResult | None = None
    change: ChangeResult | None = None
    poll: PollResult | None = None
    verify: VerifyResult | None = None
    error: CaughtError | None = None


def out(result: BaseModel) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)
