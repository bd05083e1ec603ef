"""The three ways the workflow starts: Secrets Manager rotation, EventBridge, manual.

Every sample in events/ is exercised here on the local endpoint: rule patterns from the
deployed template are evaluated against the samples with EventBridge's pattern semantics
(moto stores rules but never fires them), and each sample runs through its entry
function into a real execution against the emulator.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from portal_automation.aws.run_ledger import RunLedger
from portal_local.aws.moto_endpoint import match_event_pattern
from portal_local.emulator import Fault

from .conftest import ROTATION_STEPS, Workflow, portal_result, retry_rotation_until_done

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def invoke(workflow: Workflow, output: str, payload: dict[str, Any]) -> dict[str, Any]:
    return workflow.invoke(output, payload)


def finish(workflow: Workflow, execution_arn: str) -> Any:
    return workflow.aws.follow(execution_arn, timeout_seconds=120)


# --- EventBridge --------------------------------------------------------------------


def deployed_patterns(workflow: Workflow) -> dict[str, dict[str, Any]]:
    events = workflow.aws.client("events")
    stack = workflow.aws.stack
    assert stack is not None
    patterns = {}
    for logical in ("RotateNowRule", "ApplyNowRule", "DesiredConfigChangedRule"):
        physical = stack.physical_ids[logical]
        name = physical.rsplit("|", 1)[-1].rsplit("/", 1)[-1]
        bus = "default"
        if logical != "DesiredConfigChangedRule":
            bus = workflow.aws.outputs["EventBusName"]
        rule = events.describe_rule(Name=name, EventBusName=bus)
        patterns[logical] = json.loads(rule["EventPattern"])
    return patterns


def with_parameter_name(event: dict[str, Any], workflow: Workflow) -> dict[str, Any]:
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    return {**event, "detail": {**event["detail"], "name": name}}


def test_rule_patterns_select_exactly_their_samples(workflow: Workflow) -> None:
    patterns = deployed_patterns(workflow)
    expected = {
        "eventbridge-rotate-shared-key.json": "RotateNowRule",
        "eventbridge-apply-security-config.json": "ApplyNowRule",
        "eventbridge-desired-config-changed.json": "DesiredConfigChangedRule",
        "eventbridge-drift-schedule.json": None,  # delivered by the schedule, no pattern
    }
    for name, rule in expected.items():
        event = sample(name)
        if rule == "DesiredConfigChangedRule":
            event = with_parameter_name(event, workflow)
        matched = {logical for logical, p in patterns.items() if match_event_pattern(p, event)}
        assert matched == ({rule} if rule else set()), name
    # The parameter rule fires for this deployment's parameter only, and not on delete.
    other = sample("eventbridge-desired-config-changed.json")
    other["detail"]["name"] = "/another-stack/portal-security/desired-config"
    assert not match_event_pattern(patterns["DesiredConfigChangedRule"], other)
    deleted = with_parameter_name(sample("eventbridge-desired-config-changed.json"), workflow)
    deleted["detail"]["operation"] = "Delete"
    assert not match_event_pattern(patterns["DesiredConfigChangedRule"], deleted)


def audit_queue(workflow: Workflow) -> str:
    """An SQS queue behind a rule on the project's bus that takes the audit events."""
    sqs, events = workflow.aws.client("sqs"), workflow.aws.client("events")
    url = sqs.create_queue(QueueName=f"audit-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = workflow.aws.outputs["EventBusName"]
    events.put_rule(
        Name=f"audit-{uuid.uuid4().hex[:8]}",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["portal-security"]}),
    )
    rule = events.list_rules(EventBusName=bus)["Rules"][-1]["Name"]
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def test_rotate_event_starts_a_rotation_and_the_run_is_audited(workflow: Workflow) -> None:
    arn = workflow.secret_for("evt113")
    queue = audit_queue(workflow)
    event = sample("eventbridge-rotate-shared-key.json")
    event["id"] = str(uuid.uuid4())
    event["detail"]["portals"] = [{"secretArn": arn}]

    started = invoke(workflow, "StartFromEventFunctionArn", event)

    assert started["started"] is True
    assert started["action"] == "rotate-shared-key"
    result = finish(workflow, started["executionArn"])
    assert portal_result(result, arn)["status"] == "verified"
    sqs = workflow.aws.client("sqs")
    audit = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    ]
    kinds = {a["detail-type"]: a["detail"] for a in audit}
    assert set(kinds) == {"Shared Key Rotated", "Portal Security Run Finished"}, kinds
    assert kinds["Shared Key Rotated"]["secretArn"] == arn
    assert kinds["Portal Security Run Finished"]["outcome"] == "succeeded"


def test_duplicate_events_start_one_execution_even_concurrently(workflow: Workflow) -> None:
    """FAULTS row 15."""
    arn = workflow.secret_for("evtdup")
    event = sample("eventbridge-apply-security-config.json")
    event["id"] = str(uuid.uuid4())
    event["detail"]["portals"] = [{"secretArn": arn}]
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def deliver() -> None:
        answer = invoke(workflow, "StartFromEventFunctionArn", event)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    late = invoke(workflow, "StartFromEventFunctionArn", event)  # redelivered later

    arns = {a["executionArn"] for a in [*answers, late]}
    assert len(arns) == 1, answers
    executions = workflow.aws.client("stepfunctions").list_executions(
        stateMachineArn=workflow.aws.state_machine_arn
    )["executions"]
    assert [e["name"] for e in executions].count(f"event-{event['id']}") == 1
    result = finish(workflow, arns.pop())
    assert portal_result(result, arn)["status"] == "verified"
    assert workflow.emulator.portal("evtdup").update_count == 1


def test_editing_the_desired_config_applies_it(workflow: Workflow) -> None:
    arn = workflow.secret_for("evtcfg")
    document = sample("desired-config-document.json")
    document["portals"] = [{"secretArn": arn}]
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    workflow.aws.client("ssm").put_parameter(
        Name=name, Value=json.dumps(document), Type="String", Overwrite=True
    )
    event = with_parameter_name(sample("eventbridge-desired-config-changed.json"), workflow)
    event["id"] = str(uuid.uuid4())

    started = invoke(workflow, "StartFromEventFunctionArn", event)

    result = finish(workflow, started["executionArn"])
    report = portal_result(result, arn)
    assert report["status"] == "verified"
    portal = workflow.emulator.portal("evtcfg")
    assert portal.security_config["disableServicesDirectory"] is True


def test_drift_schedule_reports_drift_without_changing(workflow: Workflow) -> None:
    """DriftMode defaults to report: the scheduled check is a dry run that names the drift."""
    arn = workflow.secret_for("evtdrift")
    document = {
        "portals": [{"secretArn": arn}],
        "securityConfig": {"disableServicesDirectory": True},
    }
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    workflow.aws.client("ssm").put_parameter(
        Name=name, Value=json.dumps(document), Type="String", Overwrite=True
    )
    event = sample("eventbridge-drift-schedule.json")
    event["id"] = str(uuid.uuid4())

    started = invoke(workflow, "StartFromEventFunctionArn", event)

    result = finish(workflow, started["executionArn"])
    report = portal_result(result, arn)
    assert report["status"] == "dry-run"
    assert [c["name"] for c in report["changes"]] == ["disableServicesDirectory"]
    assert workflow.emulator.portal("evtdrift").update_count == 0


def test_a_redelivery_after_the_document_changed_attaches_to_the_first_run(
    workflow: Workflow,
) -> None:
    """The start function reads the desired document afresh for each delivery: when the
    same event comes again after an edit, the input differs, Step Functions refuses the
    name (ExecutionAlreadyExists), and the function attaches to the first run."""
    arn = workflow.secret_for("evtredo")
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    ssm = workflow.aws.client("ssm")
    document = {
        "portals": [{"secretArn": arn}],
        "securityConfig": {"disableServicesDirectory": True},
    }
    ssm.put_parameter(Name=name, Value=json.dumps(document), Type="String", Overwrite=True)
    event = with_parameter_name(sample("eventbridge-desired-config-changed.json"), workflow)
    event["id"] = str(uuid.uuid4())
    first = invoke(workflow, "StartFromEventFunctionArn", event)
    document["securityConfig"] = {"disableServicesDirectory": False}
    ssm.put_parameter(Name=name, Value=json.dumps(document), Type="String", Overwrite=True)

    again = invoke(workflow, "StartFromEventFunctionArn", event)

    assert "errorType" not in again, again
    assert again["executionArn"] == first["executionArn"]
    assert _execution_names(workflow).count(f"event-{event['id']}") == 1
    assert portal_result(finish(workflow, first["executionArn"]), arn)["status"] == "verified"


def test_the_fleet_rotation_schedule_rotates_the_portals_it_selects(workflow: Workflow) -> None:
    """The event the FleetRotationSchedule rule delivers (its input transformer's output:
    events/eventbridge-fleet-rotation-schedule.json) rotates every secret with the tag,
    found by ListSecrets inside SecretArnPrefix, and no other."""
    tag = {"Key": "rotation-group", "Value": uuid.uuid4().hex[:12]}
    sm = workflow.aws.client("secretsmanager")
    chosen = [workflow.secret_for(context) for context in ("evtfleet1", "evtfleet2")]
    other = workflow.secret_for("evtfleet3")
    for arn in chosen:
        sm.tag_resource(SecretId=arn, Tags=[tag])
    untouched = workflow.emulator.portal("evtfleet3").update_count
    event = sample("eventbridge-fleet-rotation-schedule.json")
    event["id"] = str(uuid.uuid4())
    event["detail"] = {"select": {"tags": {tag["Key"]: tag["Value"]}}}

    started = invoke(workflow, "StartFromEventFunctionArn", event)

    result = finish(workflow, started["executionArn"])
    assert result.status == "SUCCEEDED", result.error
    assert sorted(p["secretArn"] for p in (result.summary or {})["portals"]) == sorted(chosen)
    for arn, context in zip(chosen, ("evtfleet1", "evtfleet2"), strict=True):
        assert (
            workflow.secret_json(arn)["sharedKey"] == workflow.emulator.portal(context).shared_key
        )
    assert workflow.emulator.portal("evtfleet3").update_count == untouched
    assert "sharedKey" not in workflow.secret_json(other)


def test_unknown_event_is_refused_clearly(workflow: Workflow) -> None:
    event = {**sample("eventbridge-rotate-shared-key.json"), "detail-type": "Reboot"}
    answer = invoke(workflow, "StartFromEventFunctionArn", event)
    assert answer["errorType"] == "UnsupportedEvent"


def _execution_names(workflow: Workflow) -> list[str]:
    sfn = workflow.aws.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=workflow.aws.state_machine_arn, maxResults=1000)
    return [e["name"] for e in listed["executions"]]


@pytest.mark.parametrize("drop", ["id", "detail"])
def test_an_event_missing_a_field_is_refused_by_name(workflow: Workflow, drop: str) -> None:
    """Not a raw KeyError: a named error, and nothing is started."""
    event = sample("eventbridge-rotate-shared-key.json")
    del event[drop]
    before = len(_execution_names(workflow))

    answer = invoke(workflow, "StartFromEventFunctionArn", event)

    assert answer["errorType"] == "InvalidTriggerEvent"
    assert drop in answer["errorMessage"]
    assert len(_execution_names(workflow)) == before


def test_an_event_id_aws_would_refuse_as_a_name_still_starts_one_run(workflow: Workflow) -> None:
    """Ids with characters an execution name may not hold, or longer than fits, get a
    valid name of their own; two ids that differ only at the end get two runs."""
    arn = workflow.secret_for("evt113")
    base = "id with spaces/and:colons " + "x" * 80
    names = []
    for suffix in ("-one", "-two"):
        event = sample("eventbridge-rotate-shared-key.json")
        event["id"] = base + suffix
        event["detail"] = {"portals": [{"secretArn": arn}], "dryRun": True}
        names.append(invoke(workflow, "StartFromEventFunctionArn", event)["executionArn"])

    assert len(set(names)) == 2
    for arn_of_run in names:
        name = arn_of_run.rsplit(":", 1)[-1]
        assert len(name) <= 80
        assert not set(name) & set(" /:")
        assert finish(workflow, arn_of_run).status == "SUCCEEDED"


@pytest.mark.parametrize(
    "event",
    [
        {"ClientRequestToken": "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21"},
        {"ClientRequestToken": "4b2f5a9c-0e1d-4c3b-9a8f-7e6d5c4b3a21", "Step": "rotateAll"},
        {"ClientRequestToken": "../..", "Step": "createSecret"},
    ],
    ids=["no-step", "unknown-step", "bad-token"],
)
def test_a_malformed_rotation_event_is_refused_before_anything(
    workflow: Workflow, event: dict[str, str]
) -> None:
    arn = workflow.secret_for("sm113")
    before = len(_execution_names(workflow))

    answer = invoke(workflow, "RotationFunctionArn", {"SecretId": arn, **event})

    assert answer["errorType"] == "InvalidTriggerEvent"
    assert len(_execution_names(workflow)) == before
    assert "AWSPENDING" not in {s for stages in workflow.stages(arn).values() for s in stages}


# --- Secrets Manager rotation -------------------------------------------------------


def rotate(workflow: Workflow, arn: str, token: str | None = None) -> str:
    token = token or str(uuid.uuid4())
    workflow.aws.client("secretsmanager").rotate_secret(
        SecretId=arn,
        ClientRequestToken=token,
        RotationLambdaARN=workflow.aws.outputs["RotationFunctionArn"],
        RotationRules={"AutomaticallyAfterDays": 30},
    )
    return token


STEPS = ROTATION_STEPS


def rotation_steps(workflow: Workflow, since: int) -> list[tuple[str, str | None]]:
    """(step, errorType) of the rotation-function invocations after index ``since``:
    RotateSecret invokes the four steps in order, and nothing else invokes it."""
    # The output is the function's alias (...:function:<name>:live).
    name = workflow.aws.outputs["RotationFunctionArn"].split(":function:")[1].split(":")[0]
    records = workflow.aws.endpoint.invocations()[since:]
    errors = [r.error_type for r in records if r.function_name == name]
    assert len(errors) == len(STEPS), errors
    return list(zip(STEPS, errors, strict=True))


def set_secret_once_the_run_ended(
    workflow: Workflow, arn: str, token: str, answer: str | None
) -> str | None:
    """setSecret's answer once the run it waits for has ended. On a loaded machine the run
    can outlast setSecret's wait (``RotationStillRunning``): Secrets Manager then retries
    with the same token, which attaches to the same run, as here (at most 4 times)."""
    retry = sample("secretsmanager-rotation-create-secret.json")
    retry.update(SecretId=arn, ClientRequestToken=token, Step="setSecret")
    for _attempt in range(4):
        if answer != "RotationStillRunning":
            return answer
        answer = invoke(workflow, "RotationFunctionArn", retry).get("errorType")
    return answer


@pytest.mark.parametrize("context", ["sm113", "sm114"])
def test_rotation_schedule_rotates_and_reports_success(workflow: Workflow, context: str) -> None:
    arn = workflow.secret_for(context)
    portal = workflow.emulator.portal(context)
    before = len(workflow.aws.endpoint.invocations())

    token = rotate(workflow, arn)

    steps = dict(rotation_steps(workflow, before))
    if steps["setSecret"] == "RotationStillRunning":  # loaded: the run outlasted the wait
        retry_rotation_until_done(workflow, arn, token)
    else:
        assert all(error is None for error in steps.values()), steps
    assert workflow.stages(arn)[token] == ["AWSCURRENT"]
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    assert portal.restart_count == 1


def test_rotation_whose_portal_update_fails_is_reported_failed(workflow: Workflow) -> None:
    workflow.emulator.faults.add(
        Fault(action="status_failed", context="smfail", path="portaladmin/security/tokens/update")
    )
    arn = workflow.secret_for("smfail")
    before_current = workflow.secret_json(arn)
    before = len(workflow.aws.endpoint.invocations())

    token = rotate(workflow, arn)

    steps = dict(rotation_steps(workflow, before))
    assert set_secret_once_the_run_ended(workflow, arn, token, steps["setSecret"]) == (
        "RotationFailed"
    )
    assert workflow.secret_json(arn) == before_current
    # The portal kept its key, so the unused pending version was removed: the next
    # scheduled rotation can start.
    assert "AWSPENDING" not in workflow.stages(arn).get(token, [])
    assert workflow.emulator.portal("smfail").restart_count == 0


def test_restart_longer_than_the_rotation_function_is_resumed(workflow: Workflow) -> None:
    """The portal restarts for longer than setSecret may wait: the attempt fails with
    RotationStillRunning, and the retry attaches to the same execution (FAULTS row 12:
    same version and key, no new version)."""
    arn = workflow.secret_for("smlong")
    portal = workflow.emulator.portal("smlong")
    before = len(workflow.aws.endpoint.invocations())
    updates_before = portal.update_count  # the session's portals are shared across tests

    token = rotate(workflow, arn)

    steps = dict(rotation_steps(workflow, before))
    assert steps["setSecret"] == "RotationStillRunning"
    assert workflow.stages(arn)[token] == ["AWSPENDING"]
    versions_before_retry = set(workflow.stages(arn))
    # Secrets Manager retries the rotation with the same token, as often as it takes.
    retry_rotation_until_done(workflow, arn, token)
    assert set(workflow.stages(arn)) == versions_before_retry
    assert workflow.stages(arn)[token] == ["AWSCURRENT"]
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    assert portal.update_count == updates_before + 1
    executions = workflow.aws.client("stepfunctions").list_executions(
        stateMachineArn=workflow.aws.state_machine_arn
    )["executions"]
    assert [e["name"] for e in executions].count(f"rotation-{token}") == 1


def test_rotation_while_another_run_changes_the_portal_is_refused(workflow: Workflow) -> None:
    """FAULTS row 13: a manual rotation is under way (its new key waits in AWSPENDING);
    Secrets Manager refuses to start a scheduled rotation on top of it, clearly, and the
    first run finishes undisturbed."""
    arn = workflow.secret_for("smbusy")
    portal = workflow.emulator.portal("smbusy")
    # The manual run is held at its Verify, its key waiting in AWSPENDING, for as long as
    # the test needs: the scheduled rotation meets it by construction, not by timing.
    verify = str(workflow.aws.outputs["VerifyFunctionArn"]).split(":")[6]
    held = workflow.aws.endpoint.invocation_holds.hold(verify, matching=arn)
    manual = workflow.aws.start_execution(
        {
            "action": "rotate-shared-key",
            "portals": [{"secretArn": arn}],
            "timing": {
                "recheckSeconds": 0,
                "healthPollSeconds": 0.2,
                "pollWindowSeconds": 5,
                "pollIntervalSeconds": 1,
                "maxRestartSeconds": 30,
            },
        },
        f"manual-{uuid.uuid4().hex[:8]}",
    )
    assert held.wait_reached(timeout=300)
    sm = workflow.aws.client("secretsmanager")

    with pytest.raises(sm.exceptions.InvalidRequestException, match="previous rotation"):
        rotate(workflow, arn)
    held.release()

    assert portal_result(finish(workflow, manual), arn)["status"] == "verified"
    assert portal.update_count == 1
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    token = rotate(workflow, arn)  # once the first run is done, rotation works again
    assert workflow.stages(arn)[token] == ["AWSCURRENT"]


def test_leftover_pending_version_blocks_rotation_until_cleared(workflow: Workflow) -> None:
    """FAULTS row 14 through the rotation entry point: the documented error, nothing
    overwritten; the runbook's stage removal lets the next rotation succeed."""
    arn = workflow.secret_for("smleft")
    sm = workflow.aws.client("secretsmanager")
    leftover = str(uuid.uuid4())
    workflow.plant_pending(arn, leftover, "left-by-an-earlier-run-0123456789abcdef")
    with pytest.raises(sm.exceptions.InvalidRequestException, match="previous rotation"):
        rotate(workflow, arn)
    assert workflow.stages(arn)[leftover] == ["AWSPENDING"]

    sm.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=leftover
    )
    token = rotate(workflow, arn)
    assert workflow.stages(arn)[token] == ["AWSCURRENT"]


def test_rotation_retried_after_a_failed_run_reuses_its_version(workflow: Workflow) -> None:
    """FAULTS row 12: the first run of a rotation fails (a crashed run still holds the
    portal's lock); once the lock is gone, Secrets Manager's retry with the same token
    starts the next attempt, which uses the same pending version: no new version, one
    update, the token becomes AWSCURRENT."""
    arn = workflow.secret_for("smretry")
    portal = workflow.emulator.portal("smretry")
    table = workflow.aws.outputs["RunsTableName"]
    ledger = RunLedger(workflow.aws.client("dynamodb"), table, lock_ttl_seconds=86_400)
    ledger.acquire(arn, "crashed-run")
    before = len(workflow.aws.endpoint.invocations())

    token = rotate(workflow, arn)

    assert dict(rotation_steps(workflow, before))["setSecret"] == "RotationFailed"
    assert workflow.stages(arn)[token] == ["AWSPENDING"]
    versions = set(workflow.stages(arn))
    ledger.release(arn, "crashed-run")  # the crashed run's lock expired

    retry = sample("secretsmanager-rotation-create-secret.json")
    retry.update(SecretId=arn, ClientRequestToken=token)
    answers = [invoke(workflow, "RotationFunctionArn", {**retry, "Step": step}) for step in STEPS]

    assert all("errorType" not in a for a in answers), answers
    assert answers[0]["executionArn"].endswith(f"rotation-{token}-2")
    assert set(workflow.stages(arn)) == versions
    assert workflow.stages(arn)[token] == ["AWSCURRENT"]
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key
    assert portal.update_count == 1
