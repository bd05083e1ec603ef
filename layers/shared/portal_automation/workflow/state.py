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


class MachineRef(_Result):
    """A machine of an HA portal, reached directly at its adminURL (not secret)."""

    name: str
    admin_url: Annotated[str, Field(alias="adminUrl")]
    role: str = ""


class PreflightResult(_Result):
    portal: str
    version: str
    build: str = ""
    next: Literal["change", "done"]
    outcome: Literal["planned", "no-change", "dry-run"]
    changes: list[Change] = []
    key_mode: Annotated[Literal["supplied", "generated"] | None, Field(alias="keyMode")] = None
    started_at: Annotated[float, Field(alias="startedAt")]
    # HA portals: every machine, waited for and verified directly; not checked when the
    # credentials secret opts out ("checkMachines": false). Empty: one machine.
    machines: list[MachineRef] = []
    machines_checked: Annotated[bool, Field(alias="machinesChecked")] = True
    # What Verify does once the change is proven (workflow/post_change), by step name.
    post_change: Annotated[list[str], Field(alias="postChange")] = []
    # Every lock key the branch holds besides its secret's (workflow/locks.py renews and
    # releases them with it).
    locks: list[str] = []


class ChangeResult(_Result):
    phase: Literal["change", "rollback"] = "change"
    outcome: Literal["accepted", "already-applied", "unknown"]
    attempts: int = 1
    # None when the change task ended without an answer (ASL ChangeOutcomeUnknown).
    changed_at: Annotated[float | None, Field(alias="changedAt")] = None
    recheck_seconds: Annotated[int, Field(alias="recheckSeconds")]
    # Config changes: the documents posted (None: unknown, so any of them may have been).
    posted: list[Literal["userDefaultSettings", "securityConfig"]] | None = None


class MachineHealth(_Result):
    """What the health checks since the change saw of one machine."""

    name: str
    ready: bool = False
    went_down: Annotated[bool, Field(alias="wentDown")] = False
    # When it answered again after going down (its restart's end, as seen).
    healthy_at: Annotated[float | None, Field(alias="healthyAt")] = None


class PollResult(_Result):
    ready: bool
    origin: float = 0.0
    polls: int
    elapsed_seconds: Annotated[float, Field(alias="elapsedSeconds")]
    went_down: Annotated[bool, Field(alias="wentDown")] = False
    healthy_at: Annotated[float | None, Field(alias="healthyAt")] = None
    wait_seconds: Annotated[int, Field(alias="waitSeconds")] = 0
    machines: list[MachineHealth] = []  # HA portals only


class VerifyResult(_Result):
    outcome: Literal["verified", "restart-pending", "not-applied", "mismatch", "rolled-back"]
    checks: dict[str, Any] = {}
    verified_at: Annotated[float | None, Field(alias="verifiedAt")] = None
    mismatched: list[str] = []
    # HA portals: the checks of each machine (name -> checks); "oldTokenRejected": false
    # means that machine still runs the process from before the change.
    machines: dict[str, dict[str, Any]] = {}


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
