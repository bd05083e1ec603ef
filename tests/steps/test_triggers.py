"""The rotation function's four steps and the EventBridge start function, on fakes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from portal_automation.aws.desired_config import DesiredDocument
from portal_automation.errors import (
    InvalidExecutionInput,
    InvalidTriggerEvent,
    RotationFailed,
    RotationNotEnabled,
    RotationStillRunning,
    RotationTokenInvalid,
    UnattributedChange,
    UnsupportedEvent,
)
from portal_automation.triggers import events
from portal_automation.triggers.events import execution_input, start_for_event
from portal_automation.triggers.rotation import execution_name, rotate, rotation_step
from portal_automation.workflow.audit import audit_entries
from portal_automation.workflow.plan import parse_input
from portal_local.aws.deploy import load_template

from tests.fakes.executions import FakeExecutions
from tests.fakes.secrets import FakeSecrets

from .conftest import load_event

TOKEN = "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21"


@pytest.fixture
def secrets() -> FakeSecrets:
    return FakeSecrets()


@pytest.fixture
def executions() -> FakeExecutions:
    return FakeExecutions()


def rotating(secrets: FakeSecrets) -> str:
    arn = secrets.create(
        "portal-admin/gis", {"url": "https://g.example.com/p", "username": "u", "password": "p"}
    )
    secrets.start_rotation(arn, TOKEN)
    return arn


def step(
    name: str, arn: str, secrets: FakeSecrets, executions: FakeExecutions, **kw: Any
) -> dict[str, Any]:
    return rotate(
        name,
        arn,
        TOKEN,
        secrets=secrets,
        executions=executions,
        remaining_seconds=lambda: 30.0,
        **kw,
    )


def test_create_secret_starts_the_execution_named_after_the_token(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)

    answer = step("createSecret", arn, secrets, executions, timing={"maxRestartSeconds": 60})

    assert answer["status"] == "RUNNING"
    run = executions.runs[f"rotation-{TOKEN}"]
    assert run["input"] == {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": arn}],
        "rotationToken": TOKEN,
        "source": "secretsmanager-rotation",
        "timing": {"maxRestartSeconds": 60},
    }


def test_a_repeated_create_secret_attaches(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)
    step("createSecret", arn, secrets, executions)

    step("createSecret", arn, secrets, executions)

    assert executions.starts == 1


def test_a_retry_after_a_failed_run_starts_the_next_attempt(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)
    step("createSecret", arn, secrets, executions)
    executions.finish(execution_name(TOKEN, 1), "FAILED", "PortalsFailed")

    step("createSecret", arn, secrets, executions)

    assert set(executions.runs) == {f"rotation-{TOKEN}", f"rotation-{TOKEN}-2"}


def test_attempts_are_bounded(secrets: FakeSecrets, executions: FakeExecutions) -> None:
    arn = rotating(secrets)
    for attempt in range(1, 6):
        executions.runs[execution_name(TOKEN, attempt)] = {"status": "FAILED", "input": {}}

    with pytest.raises(RotationFailed):
        step("createSecret", arn, secrets, executions)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("RUNNING", RotationStillRunning),
        ("FAILED", RotationFailed),
        ("TIMED_OUT", RotationFailed),
        ("ABORTED", RotationFailed),
    ],
)
@pytest.mark.parametrize("name", ["setSecret", "testSecret", "finishSecret"])
def test_later_steps_report_the_real_outcome(
    secrets: FakeSecrets, executions: FakeExecutions, name: str, status: str, error: type[Exception]
) -> None:
    arn = rotating(secrets)
    step("createSecret", arn, secrets, executions)
    executions.finish(execution_name(TOKEN, 1), status)

    with pytest.raises(error):
        step(name, arn, secrets, executions)

    assert secrets.pending_version_id(arn) == TOKEN


def test_a_succeeded_run_passes_and_finish_makes_the_token_current(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)
    step("createSecret", arn, secrets, executions)
    secrets.put_pending(arn, TOKEN, secrets.read(arn).credentials)
    executions.finish(execution_name(TOKEN, 1), "SUCCEEDED")

    for name in ("setSecret", "testSecret"):
        assert step(name, arn, secrets, executions)["status"] == "SUCCEEDED"
    step("finishSecret", arn, secrets, executions)

    assert secrets.stages(arn)[TOKEN] == ["AWSCURRENT"]
    assert step("finishSecret", arn, secrets, executions)["outcome"] == "already-current"


def test_a_step_without_a_started_run_fails(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)

    with pytest.raises(RotationFailed):
        step("setSecret", arn, secrets, executions)


def test_rotation_must_be_enabled(secrets: FakeSecrets, executions: FakeExecutions) -> None:
    arn = secrets.create(
        "portal-admin/x", {"url": "https://x.example.com/p", "username": "u", "password": "p"}
    )

    with pytest.raises(RotationNotEnabled):
        step("createSecret", arn, secrets, executions)


def test_a_token_that_is_not_a_version_is_refused(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)

    with pytest.raises(RotationTokenInvalid):
        rotate(
            "createSecret",
            arn,
            "not-a-version",
            secrets=secrets,
            executions=executions,
            remaining_seconds=lambda: 30.0,
        )

    assert executions.starts == 0


def test_a_token_no_longer_pending_is_refused(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)
    secrets.clear_pending(arn, TOKEN)
    secrets._find(arn).versions[TOKEN].stages.add("AWSPREVIOUS")

    with pytest.raises(RotationTokenInvalid):
        step("createSecret", arn, secrets, executions)


# --- EventBridge -----------------------------------------------------------------------

DOCUMENT = load_event("desired-config-document.json")
# Who may write a desired document that applies (RequestPrincipalArns), and a session of
# that role as Parameter Store names the writer of a version.
NAMED = ["arn:aws:iam::123456789012:role/portal-operator"]
WRITER = "arn:aws:sts::123456789012:assumed-role/portal-operator/alice"


def written(document: Any, by: str = WRITER) -> Any:
    """A desired-config reader whose latest version is ``document``, written ``by``."""
    return lambda: DesiredDocument(json.loads(json.dumps(document)), by, 7)


desired = written(DOCUMENT)


def start(
    executions: FakeExecutions,
    event: Any,
    *,
    document: Any = DOCUMENT,
    by: str = WRITER,
    named: list[str] = NAMED,
    drift_mode: str = "report",
    **extra: Any,
) -> dict[str, Any]:
    """start_for_event with the desired document ``document``, written ``by``."""
    return start_for_event(
        event,
        executions=executions,
        desired_document=written(document, by),
        request_principals=named,
        drift_mode=drift_mode,
        **extra,
    )


@pytest.mark.parametrize(
    ("sample", "action", "dry_run", "source"),
    [
        ("eventbridge-rotate-shared-key.json", "rotate-shared-key", None, "eventbridge"),
        ("eventbridge-apply-security-config.json", "apply-security-config", None, "eventbridge"),
        (
            "eventbridge-desired-config-changed.json",
            "apply-security-config",
            False,
            "desired-config-change",
        ),
        ("eventbridge-drift-schedule.json", "apply-security-config", True, "drift-schedule"),
        (
            "eventbridge-fleet-rotation-schedule.json",
            "rotate-shared-key",
            None,
            "fleet-rotation-schedule",
        ),
    ],
)
def test_each_sample_event_starts_its_run(
    executions: FakeExecutions, sample: str, action: str, dry_run: bool | None, source: str
) -> None:
    event = load_event(sample)

    answer = start(executions, event)

    run = executions.runs[f"event-{event['id']}"]["input"]
    assert (answer["action"], run["action"], run["source"]) == (action, action, source)
    assert run.get("dryRun") == dry_run
    assert answer["started"] is True


def test_drift_mode_apply_reapplies(executions: FakeExecutions) -> None:
    event = load_event("eventbridge-drift-schedule.json")

    start(executions, event, drift_mode="apply")

    assert executions.runs[f"event-{event['id']}"]["input"]["dryRun"] is False


def test_a_duplicate_event_attaches_to_the_first_run(executions: FakeExecutions) -> None:
    event = load_event("eventbridge-rotate-shared-key.json")
    for _ in range(3):
        start(executions, event)

    assert executions.starts == 1


def test_timing_defaults_fill_what_the_event_leaves_out(executions: FakeExecutions) -> None:
    event = load_event("eventbridge-rotate-shared-key.json")
    event["detail"]["timing"] = {"maxRestartSeconds": 30}

    start(executions, event, timing_defaults={"maxRestartSeconds": 900, "pollWindowSeconds": 20})

    timing = executions.runs[f"event-{event['id']}"]["input"]["timing"]
    assert timing == {"maxRestartSeconds": 30, "pollWindowSeconds": 20}


def test_apply_without_a_config_takes_the_desired_document(executions: FakeExecutions) -> None:
    event = load_event("eventbridge-apply-security-config.json")
    event["detail"] = {}

    payload = execution_input(event, events.Desired(desired, NAMED), "report")

    assert payload["securityConfig"] == DOCUMENT["securityConfig"]
    assert payload["portals"] == DOCUMENT["portals"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"id": ""}, InvalidTriggerEvent),
        ({"id": None}, InvalidTriggerEvent),
        ({"detail-type": "Something Else"}, UnsupportedEvent),
        ({"source": "someone.else"}, UnsupportedEvent),
        ({"detail": ["not", "an", "object"]}, InvalidTriggerEvent),
        ({"detail": "text"}, InvalidTriggerEvent),
    ],
)
def test_events_that_cannot_start_a_run_are_refused(
    executions: FakeExecutions, change: dict[str, Any], error: type[Exception]
) -> None:
    event = {**load_event("eventbridge-rotate-shared-key.json"), **change}

    with pytest.raises(error):
        start(executions, event)

    assert executions.starts == 0


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "JSON object"),
        ({"portals": []}, "missing securityConfig"),
    ],
)
def test_a_bad_desired_document_is_refused(
    executions: FakeExecutions, document: Any, problem: str
) -> None:
    event = load_event("eventbridge-desired-config-changed.json")

    with pytest.raises(InvalidExecutionInput) as raised:
        start(executions, event, document=document)

    assert problem in raised.value.message


def test_audit_entries_name_each_outcome() -> None:
    summary = {"runId": "r", "outcome": "partial", "portals": [{"listed": "in the run event"}]}
    portals = [
        {"action": "rotate-shared-key", "status": "verified", "secretArn": "a"},
        {"action": "apply-security-config", "status": "verified", "secretArn": "b"},
        {"action": "apply-security-config", "status": "rolled-back", "secretArn": "c"},
        {
            "action": "apply-security-config",
            "status": "dry-run",
            "changes": [{"name": "x"}],
            "secretArn": "d",
        },
        {
            "action": "apply-security-config",
            "status": "dry-run",
            "changes": [],
            "secretArn": "e",
        },
        {"action": "rotate-shared-key", "status": "failed", "secretArn": "f"},
    ]

    entries = audit_entries(summary, portals, "bus")

    assert [e["DetailType"] for e in entries] == [
        "Shared Key Rotated",
        "Security Config Applied",
        "Security Config Rolled Back",
        "Security Config Drift Found",
        "Portal Change Failed",
        "Portal Security Run Finished",
    ]
    assert {e["EventBusName"] for e in entries} == {"bus"}
    assert "portals" not in json.loads(entries[-1]["Detail"])


def test_an_event_without_an_id_field_is_refused_by_name(executions: FakeExecutions) -> None:
    event = load_event("eventbridge-rotate-shared-key.json")
    del event["id"]

    with pytest.raises(InvalidTriggerEvent) as raised:
        start(executions, event)

    assert "id" in raised.value.message
    assert executions.starts == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"Step": None}, "Step"),
        ({"Step": "rotateEverything"}, "Step"),
        ({"Step": "testsecret"}, "Step"),
        ({"ClientRequestToken": "x"}, "ClientRequestToken"),
        ({"ClientRequestToken": "../" * 12}, "ClientRequestToken"),
        ({"SecretId": ""}, "SecretId"),
    ],
)
def test_a_malformed_rotation_event_is_refused_before_anything(
    secrets: FakeSecrets, executions: FakeExecutions, change: dict[str, Any], field: str
) -> None:
    arn = rotating(secrets)
    event = {"SecretId": arn, "ClientRequestToken": TOKEN, "Step": "createSecret", **change}
    event = {k: v for k, v in event.items() if v is not None}

    with pytest.raises(InvalidTriggerEvent) as raised:
        rotation_step(event, secrets=secrets, executions=executions, remaining_seconds=lambda: 9.0)

    assert field in raised.value.message
    assert executions.starts == 0
    assert secrets.calls == []


def test_a_well_formed_rotation_event_runs_its_step(
    secrets: FakeSecrets, executions: FakeExecutions
) -> None:
    arn = rotating(secrets)
    event = {"SecretId": arn, "ClientRequestToken": TOKEN, "Step": "createSecret"}

    rotation_step(event, secrets=secrets, executions=executions, remaining_seconds=lambda: 9.0)

    assert executions.starts == 1


VALID_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


@given(st.text(min_size=1, max_size=300))
def test_execution_names_are_valid_and_stable_for_any_id(event_id: str) -> None:
    name = events.execution_name("event", event_id)

    assert VALID_NAME.match(name), name
    assert name == events.execution_name("event", event_id)


def test_execution_names_keep_plain_ids_and_never_collide() -> None:
    plain = "7bf73129-1428-4cd3-a780-95db273d1602"
    long_a, long_b = "a" * 74 + "-one", "a" * 74 + "-two"
    odd = ["a b", "a/b", "a:b", "a\x00b", "a\u202eb", "a.b"]

    assert events.execution_name("event", plain) == f"event-{plain}"
    names = [events.execution_name("event", key) for key in [plain, long_a, long_b, *odd, "a-b"]]
    assert len(set(names)) == len(names)


TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def transformed(transformer: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """What EventBridge delivers through an input transformer: each ``<name>`` of the
    template replaced by the JSON value its path selects (a string comes quoted)."""
    text = transformer["InputTemplate"]
    for name, path in transformer["InputPathsMap"].items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        text = text.replace(f"<{name}>", json.dumps(value))
    return dict(json.loads(text))


def test_the_fleet_rotation_rule_rotates_its_selection(executions: FakeExecutions) -> None:
    """The rule's input transformer (template.yaml, with a FleetRotationSelection) turns
    the schedule's event into a rotation of exactly that selection."""
    selection = {"tags": {"rotation": "monthly"}, "namePrefix": "portal-admin/prod-"}
    target = load_template(TEMPLATE)["Resources"]["FleetRotationRule"]["Properties"]["Targets"][0]
    template, names = target["InputTransformer"]["InputTemplate"]["Fn::Sub"]
    assert names == {"Selection": {"Ref": "FleetRotationSelection"}}
    transformer = {
        "InputPathsMap": target["InputTransformer"]["InputPathsMap"],
        "InputTemplate": template.replace("${Selection}", json.dumps(selection)),
    }
    scheduled = load_event("eventbridge-drift-schedule.json")  # what any schedule emits

    start(executions, transformed(transformer, scheduled))

    run = executions.runs[f"event-{scheduled['id']}"]["input"]
    assert run == {
        "action": "rotate-shared-key",
        "select": selection,
        "source": "fleet-rotation-schedule",
    }


@pytest.mark.parametrize(
    "sample", ["eventbridge-desired-config-changed.json", "eventbridge-drift-schedule.json"]
)
def test_a_desired_document_may_select_its_portals(executions: FakeExecutions, sample: str) -> None:
    select = {"tags": {"env": "prod"}}
    document = {"select": select, "securityConfig": DOCUMENT["securityConfig"]}
    event = load_event(sample)

    start(executions, event, document=document)

    run = executions.runs[f"event-{event['id']}"]["input"]
    assert run["select"] == select
    assert "portals" not in run


@pytest.mark.parametrize(
    "sample", ["eventbridge-desired-config-changed.json", "eventbridge-drift-schedule.json"]
)
def test_a_desired_document_naming_no_portal_starts_nothing(
    executions: FakeExecutions, sample: str
) -> None:
    """A fresh deployment's document names no portal: the daily drift check must not
    fail (and fill the dead-letter queue) for it."""
    answer = start(executions, load_event(sample), document={"portals": [], "securityConfig": {}})

    assert answer["started"] is False
    assert executions.starts == 0


def test_a_request_to_apply_an_empty_desired_document_is_refused(
    executions: FakeExecutions,
) -> None:
    event = load_event("eventbridge-apply-security-config.json")
    event["detail"] = {}

    with pytest.raises(InvalidExecutionInput):
        start(executions, event, document={"portals": [], "securityConfig": {}})

    assert executions.starts == 0


@pytest.mark.parametrize(
    "sample", ["eventbridge-desired-config-changed.json", "eventbridge-apply-security-config.json"]
)
def test_the_documents_proxy_hosts_mode_goes_with_its_config(
    executions: FakeExecutions, sample: str
) -> None:
    """The desired document may say proxyHostsMode (12.0+: exact or keep Esri's hosts);
    every run that applies the document carries it, and the planner accepts it."""
    document = {**DOCUMENT, "proxyHostsMode": "exact"}
    event = load_event(sample)
    event["detail"].pop("securityConfig", None)

    start(executions, event, document=document)

    run = executions.runs[f"event-{event['id']}"]["input"]
    assert (run["securityConfig"], run["proxyHostsMode"]) == (document["securityConfig"], "exact")
    assert parse_input(run).proxy_hosts_mode == "exact"


# --- who may write the desired document that is applied (FAULTS row 49) -----------------

OUTSIDER = "arn:aws:sts::123456789012:assumed-role/someone-with-ssm-put/mallory"


@pytest.mark.parametrize(
    ("sample", "drift_mode"),
    [
        ("eventbridge-desired-config-changed.json", "report"),
        ("eventbridge-drift-schedule.json", "apply"),
        ("eventbridge-apply-security-config.json", "report"),
    ],
)
def test_a_desired_document_written_by_an_outsider_is_never_applied(
    executions: FakeExecutions, sample: str, drift_mode: str
) -> None:
    event = load_event(sample)
    if sample == "eventbridge-apply-security-config.json":
        event["detail"] = {}  # a named principal asks to apply "the desired document"

    with pytest.raises(UnattributedChange) as refused:
        start(executions, event, by=OUTSIDER, drift_mode=drift_mode)

    assert OUTSIDER in refused.value.message
    assert executions.starts == 0


@pytest.mark.parametrize(
    ("sample", "detail"),
    [("eventbridge-drift-schedule.json", None), ("eventbridge-apply-security-config.json", {})],
)
def test_a_dry_run_of_the_desired_document_needs_no_named_writer(
    executions: FakeExecutions, sample: str, detail: dict[str, Any] | None
) -> None:
    """The drift report and a requested dry run change nothing: whoever wrote the
    document, they run (as dry runs)."""
    event = load_event(sample)
    if detail is not None:
        event["detail"] = {"dryRun": True}

    start(executions, event, by=OUTSIDER)

    assert executions.runs[f"event-{event['id']}"]["input"]["dryRun"] is True


@pytest.mark.parametrize(
    ("writer", "named", "applied"),
    [
        (WRITER, NAMED, True),
        ("arn:aws:iam::123456789012:user/alice", ["arn:aws:iam::123456789012:user/alice"], True),
        (WRITER, ["arn:aws:iam::123456789012:role/portal-*"], True),
        (WRITER, ["arn:aws:iam::123456789012:role/*"], True),
        (WRITER, ["arn:aws:iam::210987654321:role/portal-operator"], False),  # other account
        (WRITER, ["arn:aws:iam::123456789012:role/ops/portal-operator"], False),  # a path
        (WRITER, [], False),  # nobody named: nothing is applied
        ("", NAMED, False),  # a writer Parameter Store does not name
        ("arn:aws:iam::123456789012:role/portal-operator", NAMED, True),
    ],
)
def test_the_writer_must_be_one_of_the_named_principals(
    executions: FakeExecutions, writer: str, named: list[str], applied: bool
) -> None:
    event = load_event("eventbridge-desired-config-changed.json")

    if applied:
        start(executions, event, named=named, by=writer)
        assert executions.runs[f"event-{event['id']}"]["input"]["dryRun"] is False
    else:
        with pytest.raises(UnattributedChange):
            start(executions, event, named=named, by=writer)
        assert executions.starts == 0
