"""Fast tests of the workflow steps, triggers and handlers, on the fakes in tests/fakes.

Each test arranges a ``FakeWorld`` (secrets, work store, ledger, portals), builds the
per-portal state the state machine would pass, calls one step, and asserts the state
left behind (stages, objects, locks, the portal's calls) as well as the result.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from portal_automation.workflow.state import PortalState

from tests.fakes.services import FakeWorld

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
FAST_TIMING = {
    "recheckSeconds": 0,
    "pollIntervalSeconds": 1,
    "pollWindowSeconds": 2,
    "healthPollSeconds": 0.01,
    "maxRestartSeconds": 60,
    "settleSeconds": 5,
}


# The runs PlanExecution would have recorded: ``item()`` records each one here, and the
# ``world`` fixture's ledger reads from it (a new registry for every test).
_RUNS: dict[str, dict[str, Any]] = {}


@pytest.fixture
def world() -> FakeWorld:
    global _RUNS  # noqa: PLW0603 - one registry per test, shared by item() and the ledger
    _RUNS = {}
    fake = FakeWorld()
    fake.ledger.runs = _RUNS
    return fake


def item(
    arn: str,
    action: str = "rotate-shared-key",
    *,
    run_id: str = "run-1",
    version_id: str | None = None,
    security_config: dict[str, Any] | None = None,
    proxy_hosts_mode: str | None = None,
    dry_run: bool = False,
    **timing: Any,
) -> dict[str, Any]:
    """One Map item, as PlanExecution makes it (and the run it records in the ledger)."""
    entry: dict[str, Any] = {
        "secretArn": arn,
        "action": action,
        "dryRun": dry_run,
        "timing": {**FAST_TIMING, **timing},
        "runId": run_id,
        "versionId": version_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}|{arn}")),
    }
    _RUNS[run_id] = {
        "runId": run_id,
        "action": action,
        "dryRun": dry_run,
        "securityConfig": security_config,
        "proxyHostsMode": proxy_hosts_mode,
    }
    return entry


def state(entry: dict[str, Any], **parts: Any) -> PortalState:
    """The per-portal state after the named steps (``preflight=..., change=...``)."""
    return PortalState.model_validate({"item": entry, **parts})


def preflight_part(
    key_mode: str | None = "supplied",
    *,
    next_step: str = "change",
    outcome: str = "planned",
    started_at: float | None = None,
    version: str = "11.3",
) -> dict[str, Any]:
    part: dict[str, Any] = {
        "portal": "gis.example.com/portal",
        "version": version,
        "next": next_step,
        "outcome": outcome,
        "startedAt": time.time() if started_at is None else started_at,
    }
    if key_mode:
        part["keyMode"] = key_mode
    return part


def change_part(
    outcome: str = "accepted", *, ago: float = 0.0, phase: str = "change", attempts: int = 1
) -> dict[str, Any]:
    part: dict[str, Any] = {
        "phase": phase,
        "outcome": outcome,
        "attempts": attempts,
        "recheckSeconds": 0,
    }
    if outcome != "unknown" or ago:
        part["changedAt"] = time.time() - ago
    return part


class FakeClock:
    """Wall-clock seconds that move only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps = 0
        self.on_sleep: dict[int, Callable[[], None]] = {}  # after the Nth sleep, do this

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        action = self.on_sleep.get(self.sleeps)
        if action is not None:
            action()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def load_event(name: str) -> dict[str, Any]:
    """A sample from events/, exactly as users run it."""
    return dict(json.loads((EVENTS / name).read_text()))


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "4f5a2b7e-0000-4000-8000-000000000000"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def load_handler(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Import ``functions/<name>/app.py`` afresh with the given environment variables."""

    def load(name: str, **env: str) -> ModuleType:
        for key, value in env.items():
            monkeypatch.setenv(f"PORTAL_AUTOMATION_{key.upper()}", value)
        module_name = f"handler_{name}_{uuid.uuid4().hex[:8]}"
        spec = importlib.util.spec_from_file_location(module_name, FUNCTIONS / name / "app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, module_name, module)
        spec.loader.exec_module(module)
        return module

    return load
