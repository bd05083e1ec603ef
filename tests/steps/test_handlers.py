"""The handlers themselves, called as Lambda calls them, with the samples users run."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from portal_automation.errors import ConfigurationError, InvalidExecutionInput, UnexpectedError
from portal_automation.workflow.plan import Planner

from tests.fakes.executions import FakeExecutions
from tests.fakes.secrets import FakeSecrets
from tests.fakes.services import FakeWorld

from .conftest import FakeLambdaContext, item, load_event, preflight_part

PREFIX = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:portal-admin/"
Loader = Callable[..., ModuleType]
STEP_ENV = {"runs_table": "runs", "work_bucket": "work"}


@pytest.mark.parametrize(
    ("handler", "missing"),
    [
        ("preflight", "PORTAL_AUTOMATION_RUNS_TABLE"),
        ("apply_change", "PORTAL_AUTOMATION_RUNS_TABLE"),
        ("verify", "PORTAL_AUTOMATION_WORK_BUCKET"),
        ("plan_execution", "PORTAL_AUTOMATION_SECRET_ARN_PREFIX"),
        ("rotate_secret", "PORTAL_AUTOMATION_STATE_MACHINE_ARN"),
        ("publish_audit", "PORTAL_AUTOMATION_EVENT_BUS_NAME"),
    ],
)
def test_a_missing_variable_fails_the_cold_start_naming_it(
    load_handler: Loader, monkeypatch: pytest.MonkeyPatch, handler: str, missing: str
) -> None:
    monkeypatch.delenv(missing, raising=False)
    env = {k: v for k, v in STEP_ENV.items() if f"PORTAL_AUTOMATION_{k.upper()}" != missing}

    with pytest.raises(ConfigurationError) as raised:
        load_handler(handler, **env)

    assert missing in raised.value.message


@pytest.mark.parametrize(
    "sample",
    [
        "manual-rotate-shared-key.json",
        "manual-rotate-fleet.json",
        "manual-rotate-server-site.json",
        "manual-apply-security-config.json",
        "manual-apply-security-config-dry-run.json",
    ],
)
def test_plan_handler_accepts_every_manual_sample(
    load_handler: Loader, lambda_context: FakeLambdaContext, sample: str
) -> None:
    app = load_handler("plan_execution", secret_arn_prefix=PREFIX, **STEP_ENV)
    raw = load_event(sample)
    secrets, world = FakeSecrets(), FakeWorld()
    for portal in raw["portals"]:
        value = {"url": "https://g.example.com/p", "username": "u", "password": "pw-123456"}
        secrets.create(
            portal["secretArn"].split(":secret:")[1][:-7], value, arn=portal["secretArn"]
        )
    app.PLANNER = Planner(app.SETTINGS, secrets, world.ledger, world.work)
    event = {"input": raw, "executionId": "arn:aws:states:eu-west-1:1:execution:sm:run-1"}

    plan = app.lambda_handler(event, lambda_context)

    assert (plan["runId"], plan["portals"], plan["maxConcurrency"]) == (
        "run-1",
        len(raw["portals"]),
        20,
    )
    items = world.work.get_json(plan["manifest"]["Key"])
    assert [i["secretArn"] for i in items] == [p["secretArn"] for p in raw["portals"]]
    assert plan["dryRun"] == raw.get("dryRun", False)


def test_a_step_handler_runs_its_step_and_returns_json(
    load_handler: Loader, lambda_context: FakeLambdaContext
) -> None:
    app = load_handler("preflight", **STEP_ENV)
    world = FakeWorld()
    app.SERVICES = world.services
    _, arn = world.portal()

    result = app.lambda_handler({"item": item(arn)}, lambda_context)

    assert (result["outcome"], result["keyMode"]) == ("planned", "supplied")
    json.dumps(result)
    assert world.ledger.holder(arn) == "run-1"


def test_a_step_handler_refuses_a_malformed_state(
    load_handler: Loader, lambda_context: FakeLambdaContext
) -> None:
    app = load_handler("verify", **STEP_ENV)

    with pytest.raises(InvalidExecutionInput) as raised:
        app.lambda_handler({"item": {"secretArn": "x"}}, lambda_context)

    assert "item.action" in raised.value.message


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_unexpected_error_is_named_and_redacted(
    load_handler: Loader, lambda_context: FakeLambdaContext
) -> None:
    app = load_handler("finalize", **STEP_ENV)
    world = FakeWorld()
    _, arn = world.portal()
    password = world.secrets.read(arn).credentials.password.reveal()

    class Broken:
        def __getattr__(self, name: str) -> Any:
            def call(*args: Any) -> None:
                raise RuntimeError(f"boom with {password}")

            return call

    app.SERVICES = world.services.__class__(
        secrets=world.secrets,
        portals=world.portals,
        work=world.work,
        ledger=Broken(),  # type: ignore[arg-type]
    )
    event = {"item": item(arn), "preflight": preflight_part(next_step="done", outcome="dry-run")}
    event["item"]["dryRun"] = False

    with pytest.raises(UnexpectedError) as raised:
        app.lambda_handler(event, lambda_context)

    assert password not in raised.value.message
    assert "RuntimeError" in raised.value.message


def test_rotation_handler_runs_the_sample_event(
    load_handler: Loader, lambda_context: FakeLambdaContext
) -> None:
    app = load_handler(
        "rotate_secret",
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:portal-security",
    )
    event = load_event("secretsmanager-rotation-create-secret.json")
    secrets = FakeSecrets()
    secrets.create(
        "portal-admin/gis-prod",
        {"url": "https://g.example.com/p", "username": "u", "password": "p"},
        arn=event["SecretId"],
    )
    secrets.start_rotation(event["SecretId"], event["ClientRequestToken"])
    app.SECRETS, app.EXECUTIONS = secrets, FakeExecutions(app.SETTINGS.state_machine_arn)

    answer = app.lambda_handler(event, lambda_context)

    assert answer["executionArn"].endswith(f":rotation-{event['ClientRequestToken']}")
    assert app.EXECUTIONS.starts == 1


@pytest.mark.parametrize(
    "sample",
    [
        "eventbridge-rotate-shared-key.json",
        "eventbridge-apply-security-config.json",
        "eventbridge-desired-config-changed.json",
        "eventbridge-drift-schedule.json",
    ],
)
def test_start_handler_starts_one_run_per_sample_event(
    load_handler: Loader, lambda_context: FakeLambdaContext, sample: str
) -> None:
    app = load_handler(
        "start_from_event",
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:portal-security",
        desired_config_parameter="/stack/portal-security/desired-config",
        request_principal_arns=f"{OTHER_ROLE}, {OPERATOR_ROLE}",
    )
    app.EXECUTIONS = FakeExecutions(app.SETTINGS.state_machine_arn)
    app.SSM = FakeParameterHistory(load_event("desired-config-document.json"))
    event = load_event(sample)

    answer = app.lambda_handler(event, lambda_context)

    assert answer["executionArn"].endswith(f":event-{event['id']}")
    assert app.EXECUTIONS.starts == 1
    run = app.EXECUTIONS.runs[f"event-{event['id']}"]["input"]
    if "desired-config" in sample or "drift" in sample:  # the latest version, past a page
        document = load_event("desired-config-document.json")
        assert run["securityConfig"] == document["securityConfig"]
        assert set(app.SSM.asked) == {"/stack/portal-security/desired-config"}


OPERATOR_ROLE = "arn:aws:iam::123456789012:role/portal-operator"
OTHER_ROLE = "arn:aws:iam::123456789012:role/other"


class FakeParameterHistory:
    """GetParameterHistory as Parameter Store answers it: every version, oldest first, in
    pages of at most 50, each with its value and writer."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.asked: list[str] = []
        writer = "arn:aws:sts::123456789012:assumed-role/portal-operator/alice"
        self.versions = [
            {"Version": n, "Value": json.dumps({"old": n}), "LastModifiedUser": "x"}
            for n in range(1, 60)
        ] + [{"Version": 60, "Value": json.dumps(document), "LastModifiedUser": writer}]

    def get_parameter_history(self, Name: str, MaxResults: int, NextToken: str = "0") -> Any:
        self.asked.append(Name)
        start = int(NextToken)
        page = self.versions[start : start + MaxResults]
        more = start + MaxResults < len(self.versions)
        return {"Parameters": page, **({"NextToken": str(start + MaxResults)} if more else {})}


def test_publish_handler_puts_the_audit_events_in_batches(
    load_handler: Loader, lambda_context: FakeLambdaContext
) -> None:
    app = load_handler("publish_audit", event_bus_name="bus", runs_table="runs")
    sent: list[list[dict[str, Any]]] = []

    class Events:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            sent.append(Entries)
            return {"FailedEntryCount": 0}

    app.EVENTS = Events()
    app.LEDGER = FakeWorld().ledger
    for i in range(12):
        app.LEDGER.put_result(
            "r", f"arn-{i}", {"action": "rotate-shared-key", "status": "verified"}
        )

    answer = app.lambda_handler({"runId": "r", "portals": []}, lambda_context)

    assert answer == {"published": 13, "failed": 0}
    assert sorted(len(batch) for batch in sent) == [3, 10]
