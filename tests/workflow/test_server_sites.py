"""ArcGIS Server sites through the state machine (issue 22): the same execution input,
the same guarantees as a portal's rotation (the key AWSPENDING before the site sees it,
AWSCURRENT only after the proof), the failures named, against emulated sites."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from portal_automation.cli import main
from portal_automation.domain.server_key import KEY_LENGTH
from portal_local.emulator import Fault

from .conftest import (
    CANARY_PASSWORD,
    SITE_ADMIN,
    TIMING,
    Workflow,
    closed_port,
    notification_for,
    portal_result,
    retry_rotation_until_done,
    run_id,
    start_with_cli,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
UPDATE = "admin/security/tokens/update"
EVENTS = Path(__file__).resolve().parents[2] / "events"


def settled(workflow: Workflow, arn: str) -> list[list[str]]:
    return sorted(sorted(stages) for stages in workflow.stages(arn).values())


def updates_sent(workflow: Workflow, context: str) -> int:
    return sum(1 for r in workflow.emulator.requests_for(context) if r.path.endswith(f"/{UPDATE}"))


@pytest.mark.parametrize("context", ["srv113", "srv115r", "srv120", "srv120r"])
def test_a_site_is_rotated_with_or_without_a_restart(workflow: Workflow, context: str) -> None:
    site = workflow.emulator.server(context)
    arn = workflow.server_secret_for(context)
    old_key, restarts = site.stored_shared_key, site.restart_count
    before = site.token_manager_config["properties"]

    result = workflow.rotate(arn)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = portal_result(result, arn)
    assert (report["kind"], report["status"], report["keyMode"]) == ("server", "verified", "server")
    assert report["version"] == site.settings.version
    assert report["verification"] == {
        "health": "ok",
        "oldTokenRejected": True,
        "freshTokenWorks": True,
        "keyMatchesSecret": True,
    }
    key = workflow.secret_json(arn)["sharedKey"]
    assert key == site.shared_key == site.stored_shared_key != old_key
    assert len(key) == KEY_LENGTH
    assert key.isascii()
    assert key.isalnum()
    assert workflow.secret_json(arn)["kind"] == "server"
    assert settled(workflow, arn) == [["AWSCURRENT"], ["AWSPREVIOUS"]]
    # everything posted back, only the key changed
    after = site.token_manager_config["properties"]
    assert {k: v for k, v in after.items() if k != "sharedKey"} == {
        k: v for k, v in before.items() if k != "sharedKey"
    }
    assert updates_sent(workflow, context) == 1
    expected_restarts = restarts + (1 if site.settings.key_update_restarts else 0)
    assert site.restart_count == expected_restarts
    assert any("ArcGIS Server site" in note for note in report["notes"])


def test_a_site_of_three_machines_is_verified_on_each_pinned_machine(workflow: Workflow) -> None:
    context = "srvmulti"
    site = workflow.emulator.server(context)
    pins = [url.removesuffix("/admin") for url in workflow.emulator.machine_urls(context)]
    arn = workflow.server_secret_for(context, machines=pins)
    workflow.emulator.clear_log()

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report.get("error")
    assert report["machinesChecked"] is True
    assert [m["name"] for m in report["machines"]] == [m.name for m in site.machines]
    assert all(m["verification"]["oldTokenRejected"] for m in report["machines"])
    assert {m.shared_key for m in site.machines} == {workflow.secret_json(arn)["sharedKey"]}
    assert [m.restart_count for m in site.machines] == [1, 1, 1]
    # each machine was asked directly, with the site URL's tokens: no password there
    for machine in site.machines:
        direct = [r for r in workflow.emulator.requests_for(context, machine.name) if r.direct]
        assert direct
        assert all("password" not in r.body_keys for r in direct)


def test_a_mixed_fleet_of_portals_and_sites_in_one_run(workflow: Workflow) -> None:
    portals = [workflow.secret_for("mixp113"), workflow.secret_for("mixp120")]
    site = workflow.server_secret_for("srvmix")

    result = workflow.rotate(*portals, site)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    kinds = {p["secretArn"]: p["kind"] for p in (result.summary or {})["portals"]}
    assert kinds == {portals[0]: "portal", portals[1]: "portal", site: "server"}
    assert portal_result(result, site)["keyMode"] == "server"
    assert portal_result(result, portals[1])["keyMode"] == "generated"
    notes = notification_for(workflow, run_id(result))["body"]["notes"]
    assert any("ArcGIS Server site" in note for note in notes)
    assert workflow.secret_json(site)["sharedKey"] == workflow.emulator.server("srvmix").shared_key


# --- failures: named, nothing left pending where nothing changed --------------------------


def test_a_token_manager_other_than_builtin_is_refused_before_any_change(
    workflow: Workflow,
) -> None:
    arn = workflow.server_secret_for("srvext")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "UnsupportedTokenManager"
    assert report["kind"] == "server"
    assert updates_sent(workflow, "srvext") == 0
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]


def test_a_key_the_site_refuses_is_rejected_and_nothing_stays_pending(workflow: Workflow) -> None:
    site = workflow.emulator.server("srvrefuse")
    before = site.stored_shared_key
    arn = workflow.server_secret_for("srvrefuse")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalRequestRejected"
    assert "alphanumeric" in report["error"]["message"]
    assert site.stored_shared_key == before
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]  # AWSPENDING removed
    assert "sharedKey" not in workflow.secret_json(arn)


def test_an_unreachable_site_fails_named(workflow: Workflow) -> None:
    body = {
        "kind": "server",
        "url": f"https://127.0.0.1:{closed_port()}/arcgis",
        "username": SITE_ADMIN,
        "password": CANARY_PASSWORD,
    }
    arn = workflow.raw_secret(body)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalUnavailable"
    assert report["kind"] == "server"  # read from the secret, though Preflight failed
    assert workflow.secret_json(arn) == body


def test_a_restart_past_the_bound_fails_and_keeps_the_pending_key(workflow: Workflow) -> None:
    workflow.emulator.faults.add(Fault(action="restart_forever", context="srvforever"))
    site = workflow.emulator.server("srvforever")
    arn = workflow.server_secret_for("srvforever")

    result = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 6})

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalRestartTimeout"
    pending = workflow.secret_json(arn, "AWSPENDING")["sharedKey"]
    assert pending == site.stored_shared_key  # the site holds it: never lost
    assert "sharedKey" not in workflow.secret_json(arn)
    workflow.emulator.faults.clear()
    assert site.wait_until_up(timeout=10)


def test_a_site_whose_tokens_die_before_the_restart_bound_is_not_changed(
    workflow: Workflow,
) -> None:
    """The site caps every token at its longTimeout (2 min): the probe would expire
    before the wait's bound (the deployment's 120 s and a minute) and prove nothing."""
    site = workflow.emulator.server("srvshort")
    before = site.stored_shared_key
    arn = workflow.server_secret_for("srvshort")

    result = workflow.rotate(arn, timing={**TIMING, "maxRestartSeconds": 120})

    report = portal_result(result, arn)
    assert report["error"]["name"] == "TokenLifetimeTooShort"
    assert "longTimeout" in report["error"]["message"]
    assert updates_sent(workflow, "srvshort") == 0
    assert site.stored_shared_key == before
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]


def test_a_machine_the_secret_does_not_pin_is_refused_with_nothing_sent(
    workflow: Workflow,
) -> None:
    context = "srvunpinned"
    first = workflow.emulator.machine_urls(context)[0].removesuffix("/admin")
    arn = workflow.server_secret_for(context, machines=[first])
    workflow.emulator.clear_log()

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "MachinePinMismatch"
    assert "https://<machine>:6443/arcgis" in report["error"]["message"]
    assert [r for r in workflow.emulator.requests_for(context) if r.direct] == []
    assert updates_sent(workflow, context) == 0


def test_apply_security_config_on_a_site_is_refused_naming_the_secret(
    workflow: Workflow,
) -> None:
    arn = workflow.server_secret_for("srvcfg")
    workflow.emulator.clear_log()

    result = workflow.apply({"disableServicesDirectory": True}, arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "InvalidExecutionInput"
    assert arn in report["error"]["message"]
    assert workflow.emulator.requests_for("srvcfg") == []  # refused before contacting it


def test_a_leftover_pending_version_blocks_a_site_rotation(workflow: Workflow) -> None:
    arn = workflow.server_secret_for("srvleft")
    leftover = str(uuid.uuid4())
    workflow.plant_pending(arn, leftover, "LeftByAnEarlierRun0123456789abcdefABCDEF012")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PendingVersionConflict"
    assert workflow.stages(arn)[leftover] == ["AWSPENDING"]
    assert updates_sent(workflow, "srvleft") == 0


# --- every trigger ---------------------------------------------------------------------


def test_the_rotation_function_rotates_a_site(workflow: Workflow) -> None:
    arn = workflow.server_secret_for("srvsm")
    site = workflow.emulator.server("srvsm")
    token = str(uuid.uuid4())

    workflow.aws.client("secretsmanager").rotate_secret(
        SecretId=arn,
        ClientRequestToken=token,
        RotationLambdaARN=workflow.aws.outputs["RotationFunctionArn"],
        RotationRules={"AutomaticallyAfterDays": 30},
    )
    retry_rotation_until_done(workflow, arn, token)

    assert workflow.stages(arn)[token] == ["AWSCURRENT"]
    assert workflow.secret_json(arn)["sharedKey"] == site.shared_key
    assert site.restart_count == 1


@pytest.mark.parametrize(
    ("sample", "site_context", "portal_context"),
    [
        ("eventbridge-fleet-rotation-schedule.json", "srvevt", "mixevt1"),
        ("eventbridge-rotate-shared-key.json", "srvevt2", "mixevt2"),
    ],
    ids=["fleet schedule", "request on the bus"],
)
def test_the_fleet_schedule_and_a_request_on_the_bus_rotate_a_site(
    workflow: Workflow, sample: str, site_context: str, portal_context: str
) -> None:
    """Both events start a run through the start function: a selection by tag that
    holds a portal and a site rotates both (the fleet schedule's event is its input
    transformer's output, as the rule delivers it)."""
    tag = {"Key": "rotation-group", "Value": uuid.uuid4().hex[:12]}
    site, portal = workflow.server_secret_for(site_context), workflow.secret_for(portal_context)
    sm = workflow.aws.client("secretsmanager")
    for arn in (site, portal):
        sm.tag_resource(SecretId=arn, Tags=[tag])
    event = json.loads((EVENTS / sample).read_text())
    event["id"] = str(uuid.uuid4())
    event["detail"] = {"select": {"tags": {tag["Key"]: tag["Value"]}}}

    started = workflow.invoke("StartFromEventFunctionArn", event)

    assert started.get("started") is True, started
    result = workflow.aws.follow(started["executionArn"], timeout_seconds=120)
    assert {p["secretArn"]: p["kind"] for p in (result.summary or {})["portals"]} == {
        site: "server",
        portal: "portal",
    }
    assert portal_result(result, site)["status"] == "verified"
    emulated = workflow.emulator.server(site_context)
    assert workflow.secret_json(site)["sharedKey"] == emulated.shared_key


def test_the_cli_starts_a_site_rotation_and_status_lists_its_key_age(
    workflow: Workflow, outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = workflow.server_secret_for("srvcli")

    code = start_with_cli(outputs, tmp_path, arn, "site-cli")

    assert code == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main(["status", "--outputs", str(outputs), "--json"]) == 0
    status = next(
        p for p in json.loads(capsys.readouterr().out)["portals"] if p["secretArn"] == arn
    )
    assert (status["kind"], status["version"], status["keyAgeSource"]) == ("server", "12.0", "run")
    assert status["keyAgeDays"] == 0.0
    assert main(["status", "--outputs", str(outputs)]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if "site-cli" in line]
    assert row.split()[1:4] == ["site-cli", "server", "12.0"]
