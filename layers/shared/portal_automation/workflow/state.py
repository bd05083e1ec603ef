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

from ..domain.kinds import TargetKind, kind_named
from ..domain.version import PortalVersion
from .models import PortalItem


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Change(_Result):
    name: str
    current: Any = None
    desired: Any = None


class MachineRef(_Result):
    """A machine of an HA portal (not secret). Its name, never its URL: the state holds
    nothing the portal could steer a request with. A machine reached directly is reached
    at the adminURL the credentials secret pins, found by ``pin`` (a digest of it)."""

    name: str
    role: str = ""
    pin: str | None = None


class PreflightResult(_Result):
    # What the credentials secret names (domain/kinds.py): a portal, or a server site.
    kind: Literal["portal", "server"] = "portal"
    portal: str
    version: str
    build: str = ""
    next: Literal["change", "done"]
    outcome: Literal["planned", "no-change", "dry-run"]
    changes: list[Change] = []
    key_mode: Annotated[
        Literal["supplied", "generated", "server"] | None, Field(alias="keyMode")
    ] = None
    started_at: Annotated[float, Field(alias="startedAt")]
    # HA portals: every machine, waited for and verified directly; not checked when the
    # credentials secret pins none, or opts out ("checkMachines": false), or the machines
    # could not be listed (``unchecked`` says which). Empty: one machine.
    machines: list[MachineRef] = []
    machines_checked: Annotated[bool, Field(alias="machinesChecked")] = True
    unchecked: Literal["not-pinned", "opted-out", "not-listed"] | None = None
    # Every lock key this portal's branch holds besides its secret's (the portal's own).
    locks: list[str] = []
    # What Verify does once the change is proven (workflow/post_change), by step name.
    post_change: Annotated[list[str], Field(alias="postChange")] = []
    # What the summary says about the portal's version and the plan (never a secret).
    notes: list[str] = []


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
    # What a post-change step found wrong without undoing the change ({name, message}).
    warnings: list[dict[str, str]] = []


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

    def known_version(self) -> PortalVersion | None:
        """The portal's version, once Preflight has read it."""
        return PortalVersion.parse(self.preflight.version) if self.preflight else None

    def known_kind(self) -> TargetKind | None:
        """What the secret names, once Preflight has read it."""
        return kind_named(self.preflight.kind) if self.preflight else None
