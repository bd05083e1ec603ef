"""Fleets (issue 11): a fleet that would break a design carrying every portal through
one execution's payload, portals selected by name prefix and by tag, the fleet's
status function, and the dashboard's metrics as the functions emit them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from portal_local.aws.deploy import load_template
from portal_local.deployment import PortalLogin
from portal_local.emulator import Fault

from .conftest import (
    CANARY_PASSWORD,
    TIMING,
    Workflow,
    notification_for,
    portal_result,
    run_id,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# 900 hosts: about 30 KB. Copied into each of 12 portals' items, or their results
# carried through the Map's output, a run passes Step Functions' 256 KiB per payload.
HOSTS = ",".join(f"gis{i:04d}.portal-proxy.example.com" for i in range(900))


def test_a_fleet_with_long_proxy_host_lists_finishes_with_every_portal_reported(
    workflow: Workflow,
) -> None:
    """FAULTS row 35: the local endpoint enforces the 256 KiB payload and 25,000-event
    quotas; the run finishes and every portal is reported and verified."""
    contexts = [f"big{i:02d}" for i in range(12)]
    arns = {ctx: workflow.secret_for(ctx) for ctx in contexts}
    config = {"allowedProxyHosts": HOSTS}

    result = workflow.apply(config, *arns.values())

    assert result.summary is not None
    failed = [
        (p.get("label"), p["error"]["name"]) for p in result.summary["portals"] if p.get("error")
    ]
    assert result.status == "SUCCEEDED", (result.error, failed)
    assert (result.summary["total"], result.summary["failed"]) == (12, 0)
    assert len(json.dumps(result.summary).encode()) < 256 * 1024
    for ctx, arn in arns.items():
        assert workflow.emulator.portal(ctx).security_config["allowedProxyHosts"] == HOSTS
        assert set(result.portal_states[arn]) >= {"Preflight", "ApplyChange", "Verify", "Finalize"}
    report = json.loads(
        workflow.aws.client("s3")
        .get_object(Bucket=workflow.aws.outputs["WorkBucketName"], Key=result.summary["report"])[
            "Body"
        ]
        .read()
    )
    assert sorted(p["secretArn"] for p in report["portals"]) == sorted(arns.values())
    assert all(p["status"] == "verified" for p in report["portals"])


def test_a_portal_whose_child_execution_is_stopped_leaves_the_others_to_finish(
    workflow: Workflow,
) -> None:
    """One portal among four: an operator stops its child execution once its portal has
    restarted (the child held at its Verify: by construction, not by timing). On AWS a
    map run that tolerates no failure then stops every other child too, mid-restart; this
    one tolerates them, so the other three finish verified. Summarize cleans up what the
    stopped child left (FAULTS row 48: no probe token, no lock) and reports it stopped;
    its new key is not lost: the portal runs it, so AWSPENDING is kept."""
    contexts = [f"stop{i}" for i in range(4)]
    arns = {ctx: workflow.secret_for(ctx) for ctx in contexts}
    portals = {ctx: workflow.emulator.portal(ctx) for ctx in contexts}
    updates = {ctx: portal.update_count for ctx, portal in portals.items()}
    payload = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": arn} for arn in arns.values()],
        "timing": dict(TIMING),
    }
    verify = str(workflow.aws.outputs["VerifyFunctionArn"]).split(":")[6]
    held = workflow.aws.endpoint.invocation_holds.hold(verify, matching=arns["stop0"])
    execution = workflow.start(payload)
    assert held.wait_reached(timeout=300)
    sfn = workflow.aws.client("stepfunctions")
    run = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=run)["executions"]
    stopped = next(
        c["executionArn"]
        for c in children
        if json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"])["item"][
            "secretArn"
        ]
        == arns["stop0"]
    )

    sfn.stop_execution(executionArn=stopped, cause="stopped by an operator")
    held.release()
    result = workflow.aws.follow(execution, timeout_seconds=300)

    assert (result.status, result.error) == ("FAILED", "PortalsFailed")
    for ctx in contexts[1:]:
        assert portal_result(result, arns[ctx])["status"] == "verified"
        assert workflow.secret_json(arns[ctx])["sharedKey"] == portals[ctx].shared_key
    stopped_report = portal_result(result, arns["stop0"])
    assert stopped_report["status"] == "stopped"
    assert stopped_report["error"]["name"] == "NoResultRecorded"
    assert stopped_report["error"]["stage"] == "Verify"
    assert sfn.describe_execution(executionArn=stopped)["status"] == "ABORTED"
    assert (
        workflow.secret_json(arns["stop0"], "AWSPENDING")["sharedKey"]
        == portals["stop0"].shared_key
    )
    assert portals["stop0"].update_count == updates["stop0"] + 1
    assert workflow.scratch(run_id(result)) == []
    table = workflow.aws.outputs["RunsTableName"]
    lock = workflow.aws.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"lock#{arns['stop0']}"}, "sk": {"S": "lock"}}
    )
    assert "Item" not in lock
    body = notification_for(workflow, result.summary["runId"])["body"]  # type: ignore[index]
    assert body["failedPortals"] == [arns["stop0"]]


def test_portals_selected_by_name_prefix(workflow: Workflow) -> None:
    chosen = [workflow.secret_for(ctx) for ctx in ("sel1", "sel2")]
    prefix = f"portal-admin/{workflow.test_name}-sel"
    login = PortalLogin(workflow.emulator.url("sel3"), "portaladmin", CANARY_PASSWORD)
    outside = workflow.aws.create_portal_secret(f"{workflow.test_name}-other", login)
    untouched = workflow.emulator.portal("sel3").update_count

    result = workflow.run(
        {"action": "rotate-shared-key", "select": {"namePrefix": prefix}, "timing": dict(TIMING)}
    )

    assert result.status == "SUCCEEDED", result.error
    assert sorted(p["secretArn"] for p in (result.summary or {})["portals"]) == sorted(chosen)
    for arn, ctx in zip(chosen, ("sel1", "sel2"), strict=True):
        assert workflow.secret_json(arn)["sharedKey"] == workflow.emulator.portal(ctx).shared_key
    assert workflow.emulator.portal("sel3").update_count == untouched
    assert "sharedKey" not in workflow.secret_json(outside)


def test_a_selection_outside_the_deployment_is_refused(workflow: Workflow) -> None:
    result = workflow.run(
        {"action": "rotate-shared-key", "select": {"namePrefix": "other/"}, "timing": TIMING}
    )

    assert (result.status, result.error) == ("FAILED", "InvalidExecutionInput")


def dashboard_metrics() -> set[tuple[str, frozenset[str]]]:
    """(metric name, dimension names) of every metric the template's dashboard shows."""
    board = load_template(ROOT / "template.yaml")["Resources"]["FleetDashboard"]
    body, names = board["Properties"]["DashboardBody"]["Fn::Sub"]
    shown: set[tuple[str, frozenset[str]]] = set()
    for dims, metric in re.findall(
        r"SEARCH\('\{\$\{Namespace\},([^}]*)\} MetricName=\\\\?\"(\w+)", body
    ):
        shown.add((metric, frozenset(d.strip() for d in dims.split(","))))
    text = body.replace("${Namespace}", names["Namespace"]).replace("${AWS::Region}", "r")
    for widget in json.loads(text)["widgets"]:
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], str):  # [namespace, name, dim, value, ..., {options}]
                pairs = [x for x in line[2:] if isinstance(x, str)]
                shown.add((line[1], frozenset(pairs[0::2])))
    return shown


def emitted_metrics(workflow: Workflow) -> set[tuple[str, frozenset[str]]]:
    """(metric name, dimension names) of every metric in the functions' EMF log lines."""
    emitted: set[tuple[str, frozenset[str]]] = set()
    for log in workflow.aws.endpoint.function_logs().values():
        for line in log.splitlines():
            if '"_aws"' not in line:
                continue
            blob = json.loads(line[line.index("{") :])
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == "PortalSecurityAutomation"
                for dims in directive["Dimensions"]:
                    for metric in directive["Metrics"]:
                        emitted.add((metric["Name"], frozenset(dims)))
    return emitted


def test_the_fleet_status_function_and_the_dashboard_show_what_the_functions_emit(
    workflow: Workflow,
) -> None:
    """Every metric the dashboard shows (name and dimensions) is one the functions emit
    in a local run: a rotation with a failure, and the daily fleet status."""
    workflow.emulator.faults.add(
        Fault(action="error", code=500, context="dash2", path="portaladmin/security/tokens/update")
    )
    ok, failed = workflow.secret_for("dash1"), workflow.secret_for("dash2")
    result = workflow.rotate(ok, failed)
    assert portal_result(result, ok)["status"] == "verified"

    status = workflow.invoke("FleetStatusFunctionArn", {})

    assert "errorType" not in status, status
    assert status["portals"] >= 2
    assert failed in status["overMaxAge"] or status["keysOverMaxAge"] > 100
    shown, emitted = dashboard_metrics(), emitted_metrics(workflow)
    assert {name for name, _ in shown} == {
        "Runs",
        "PortalFailures",
        "RestartSeconds",
        "OldestKeyAgeDays",
    }
    assert shown <= emitted, shown - emitted
