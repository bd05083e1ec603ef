"""The fleet at a glance, on fakes: each secret's key age, last run and drift, and the
daily function's metrics."""

from __future__ import annotations

import json
import sys
import time
from types import SimpleNamespace
from typing import Any

import pytest
from portal_automation import fleet_status as fleet_status_module
from portal_automation.fleet_status import DAY, KEY_AGE_LOG_MESSAGE, fleet_status, key_ages
from portal_automation.observability import logger

from tests.fakes.ledger import FakeLedger
from tests.fakes.secrets import FakeSecrets

from .conftest import FakeLambdaContext

PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/"
NOW = time.time()  # the handler's clock is pinned to it (test_the_daily_function_...)
VALUE = {"url": "https://g.example.com/p", "username": "u", "password": "pw-123456"}


def outcome(**fields: Any) -> dict[str, Any]:
    return {"runId": "run-1", "action": "rotate-shared-key", "dryRun": False, **fields}


@pytest.fixture
def fleet() -> tuple[FakeSecrets, FakeLedger, dict[str, str]]:
    secrets, ledger = FakeSecrets(), FakeLedger()
    arns = {
        name: secrets.create(f"portal-admin/{name}", VALUE, team="gis")
        for name in ("rotated", "failed", "drifted", "legacy", "unknown")
    }
    arns["elsewhere"] = secrets.create("other/portal", VALUE)
    ledger.put_last_outcome(
        arns["rotated"],
        outcome(status="verified", at=NOW - DAY, keyChangedAt=NOW - 10 * DAY, label="prod"),
    )
    ledger.put_last_outcome(
        arns["failed"],
        outcome(status="failed", error="PortalRequestRejected", keyChangedAt=NOW - 100 * DAY),
    )
    ledger.put_last_outcome(
        arns["drifted"],
        outcome(
            action="apply-security-config",
            dryRun=True,
            status="dry-run",
            keyChangedAt=NOW - 5 * DAY,
            drift={"at": NOW - DAY, "changes": ["allowedProxyHosts"]},
        ),
    )
    legacy = secrets._find(arns["legacy"])
    legacy.rotation_enabled, legacy.last_rotated = True, NOW - 30 * DAY
    legacy.next_rotation = NOW + 60 * DAY
    ledger.put_last_outcome(arns["elsewhere"], outcome(status="verified"))
    return secrets, ledger, arns


def test_each_managed_secret_shows_its_key_age_last_run_and_drift(
    fleet: tuple[FakeSecrets, FakeLedger, dict[str, str]],
) -> None:
    secrets, ledger, _arns = fleet

    statuses = {s.name.split("/")[1]: s for s in fleet_status(secrets, ledger, PREFIX, now=NOW)}

    assert set(statuses) == {"rotated", "failed", "drifted", "legacy", "unknown"}
    rotated = statuses["rotated"]
    assert (rotated.key_age_days, rotated.key_age_source, rotated.label) == (10.0, "run", "prod")
    assert rotated.last_run == {
        "runId": "run-1",
        "action": "rotate-shared-key",
        "dryRun": False,
        "status": "verified",
        "at": NOW - DAY,
    }
    assert statuses["failed"].last_run["error"] == "PortalRequestRejected"  # type: ignore[index]
    assert statuses["drifted"].drift == {"at": NOW - DAY, "changes": ["allowedProxyHosts"]}
    legacy = statuses["legacy"]
    assert (legacy.key_age_days, legacy.key_age_source) == (30.0, "secrets-manager")
    assert (legacy.rotation_enabled, legacy.next_rotation) == (True, NOW + 60 * DAY)
    assert legacy.last_run is None
    unknown = statuses["unknown"]
    assert (unknown.key_age_days, unknown.key_age_source, unknown.last_run) == (None, None, None)
    assert json.loads(json.dumps(rotated.as_json()))["keyAgeDays"] == 10.0


def test_keys_over_the_maximum_include_those_of_unknown_age(
    fleet: tuple[FakeSecrets, FakeLedger, dict[str, str]],
) -> None:
    secrets, ledger, arns = fleet

    ages = key_ages(fleet_status(secrets, ledger, PREFIX, now=NOW), max_age_days=90)

    assert ages.portals == 5
    assert ages.oldest_days == 100.0
    assert sorted(ages.over) == sorted([arns["failed"], arns["unknown"]])


def test_a_tag_narrows_the_fleet(fleet: tuple[FakeSecrets, FakeLedger, dict[str, str]]) -> None:
    secrets, ledger, _arns = fleet
    secrets.create("portal-admin/untagged", VALUE)

    names = [s.name for s in fleet_status(secrets, ledger, PREFIX, tags={"team": "gis"})]

    assert "portal-admin/untagged" not in names
    assert len(names) == 5


@pytest.fixture
def daily(
    load_handler: Any,
    fleet: tuple[FakeSecrets, FakeLedger, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """The daily fleet status handler on the fleet's fakes."""
    secrets, ledger, _arns = fleet
    # The handler reads the clock: pinned, the ages are the fixture's whenever this runs
    # (NOW is read when the module is imported, which can be minutes earlier).
    monkeypatch.setattr(fleet_status_module, "time", SimpleNamespace(time=lambda: NOW))
    app = load_handler(
        "fleet_status", secret_arn_prefix=PREFIX, runs_table="runs", max_key_age_days="20"
    )
    app.SECRETS, app.LEDGER = secrets, ledger
    return app


def test_the_daily_function_emits_the_key_age_metrics(
    daily: Any, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = daily.lambda_handler({}, lambda_context)

    assert answer["keysOverMaxAge"] == 3  # failed (100 days), legacy (30), unknown
    emf = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and "_aws" in line
    ]
    (blob,) = emf
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "PortalSecurityAutomation"
    assert directive["Dimensions"] == [["service"]]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "PortalsManaged",
        "KeysOverMaxAge",
        "OldestKeyAgeDays",
    }
    assert (blob["KeysOverMaxAge"], blob["PortalsManaged"]) == ([3.0], [5.0])
    assert blob["OldestKeyAgeDays"] == [100.0]


def test_each_portal_key_age_is_a_log_line_for_the_dashboard(
    daily: Any,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The logger's handler keeps the stream it was created with: point it at this test's.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)

    daily.lambda_handler({}, lambda_context)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    ages = {
        line["portal"]: line.get("keyAgeDays")
        for line in lines
        if line.get("message") == KEY_AGE_LOG_MESSAGE
    }
    assert len(ages) == 5
    assert sorted(a for a in ages.values() if a is not None)[-1] == 100.0
    assert list(ages.values()).count(None) == 1  # unknown: no figure, an empty cell
