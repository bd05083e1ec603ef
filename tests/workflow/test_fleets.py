"""Fleets (issue 11): a fleet that would break a design carrying every portal through
one execution's payload, portals selected by name prefix and by tag, the fleet's
status function, and the dashboard's metrics as the functions emit them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from portal_local.deployment import PortalLogin
from portal_local.emulator import Fault
from portal_local.tools.dashboard import Metric, render, shown

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


def deployed_dashboard(workflow: Workflow) -> dict[str, Any]:
    """The stack's dashboard as CloudFormation wrote it: rendered from the translated
    template the local endpoint deployed, with the names its resources got."""
    stack = workflow.aws.stack
    assert stack is not None

    def resolve(logical: str, attribute: str | None) -> str:
        physical = stack.physical_ids[logical]
        if attribute is None:
            return physical
        if attribute == "QueueName":  # a queue's physical id is its URL
            return physical.rsplit("/", 1)[-1]
        assert attribute == "Arn", (logical, attribute)
        kind = stack.resource_types[logical]
        assert kind == "AWS::CloudWatch::Alarm", (logical, kind)
        return f"arn:aws:cloudwatch:{stack.region}:{stack.account_id}:alarm:{physical}"

    return render(stack.template, "FleetDashboard", resolve, stack.region, stack.name)


def emitted_metrics(workflow: Workflow) -> set[Metric]:
    """Every metric (namespace, name, dimension names) in the functions' EMF log lines."""
    emitted: set[Metric] = set()
    for log in workflow.aws.endpoint.function_logs().values():
        for line in log.splitlines():
            if '"_aws"' not in line:
                continue
            blob = json.loads(line[line.index("{") :])
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for dims in directive["Dimensions"]:
                    for metric in directive["Metrics"]:
                        emitted.add(Metric(directive["Namespace"], metric["Name"], frozenset(dims)))
    return emitted


def logged_fields(workflow: Workflow, function_output: str, message: str) -> set[str]:
    """The fields of the JSON log lines with ``message`` that one function wrote."""
    name = workflow.aws.outputs[function_output].split(":function:")[1].split(":")[0]
    fields: set[str] = set()
    for line in workflow.aws.endpoint.function_logs()[name].splitlines():
        if line.startswith("{") and (entry := json.loads(line)).get("message") == message:
            fields.update(entry)
    return fields


def test_the_fleet_status_function_and_the_dashboard_show_what_the_functions_emit(
    workflow: Workflow,
) -> None:
    """Every metric the dashboard shows (name and dimensions) is one the functions emit
    in a local run (a rotation with a failure, and the fleet status), every log field its
    key-age widget reads is one the fleet status function logs, and its alarms and queue
    are the stack's (issue 19 item 7)."""
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
    what, emitted = shown(deployed_dashboard(workflow)), emitted_metrics(workflow)
    ours = {m for m in what.metrics if m.namespace == "PortalSecurityAutomation"}
    assert {m.name for m in ours} == {
        "Runs",
        "PortalFailures",
        "RunSeconds",
        "KeysOverMaxAge",
        "OldestKeyAgeDays",
        "RestartSeconds",
    }
    assert ours <= emitted, ours - emitted
    stack = workflow.aws.stack
    assert stack is not None
    alarms = workflow.aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert sorted(what.alarms) == sorted(a["AlarmArn"] for a in alarms)
    queue = workflow.aws.outputs["TriggerDeadLetterQueueUrl"].rsplit("/", 1)[-1]
    (dead_letters,) = [m for m in what.metrics if m.namespace == "AWS/SQS"]
    assert what.dimension_values[dead_letters] == {"QueueName": queue}
    assert what.log_groups == {stack.physical_ids["FleetStatusLogs"]}
    logged = logged_fields(workflow, "FleetStatusFunctionArn", "portal key age")
    assert what.log_fields <= logged, what.log_fields - logged
