"""Step Functions status changes reach EventBridge rules' Lambda targets, as on AWS
(portal_local.aws.moto_workarounds.status_events), and only targets whose policy lets
EventBridge in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from portal_local.aws.lambda_code import code_zip
from portal_local.aws.moto_endpoint import LocalAwsEndpoint
from portal_local.aws.moto_workarounds.status_events import DETAIL_TYPE

from tests.local_aws._support import state_machine, trust_policy, wait_for_execution

pytestmark = pytest.mark.workflow

WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
RECORDER = """
import json, os

def handler(event, context):
    path = os.path.join(os.environ["OUT_DIR"], event["id"] + ".json")
    with open(path, "w") as out:
        json.dump(event, out)
"""


def _recorder(endpoint: LocalAwsEndpoint, name: str, code: Path, out: Path) -> str:
    role = endpoint.client("iam").create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=trust_policy("lambda.amazonaws.com")
    )["Role"]["Arn"]
    return str(
        endpoint.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code_zip(code)},
            Environment={"Variables": {"OUT_DIR": str(out)}},
        )["FunctionArn"]
    )


def _wait_for(condition: Any, what: str) -> None:
    """Poll a condition the test has made true by construction; the bound only stops a
    broken build from hanging."""
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} never happened")
        time.sleep(0.05)


def test_a_stopped_execution_invokes_the_rules_lambda_target_with_the_documented_event(
    endpoint: LocalAwsEndpoint, tmp_path: Path
) -> None:
    code, out = tmp_path / "code", tmp_path / "out"
    code.mkdir()
    out.mkdir()
    (code / "app.py").write_text(RECORDER, encoding="utf-8")
    allowed = _recorder(endpoint, "status-recorder", code, out)
    refused = _recorder(endpoint, "status-no-permission", code, out)
    machine = state_machine(endpoint, WAIT)
    name = machine.rsplit(":", 1)[1]
    prefix = machine.replace(":stateMachine:", ":execution:") + ":"
    events, lam = endpoint.client("events"), endpoint.client("lambda")
    pattern = {
        "source": ["aws.states"],
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "status": ["ABORTED", "TIMED_OUT", "FAILED"],
            "executionArn": [{"prefix": prefix}],
        },
    }
    rule = events.put_rule(Name=f"{name}-ended", EventPattern=json.dumps(pattern))["RuleArn"]
    events.put_targets(
        Rule=f"{name}-ended",
        Targets=[{"Id": "refused", "Arn": refused}, {"Id": "allowed", "Arn": allowed}],
    )
    lam.add_permission(
        FunctionName=allowed,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    sfn = endpoint.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, name="to-stop", input='{"a": 1}')

    sfn.stop_execution(executionArn=execution["executionArn"], cause="operator")
    stopped = wait_for_execution(sfn, execution["executionArn"])
    _wait_for(lambda: any(out.iterdir()), "the target's invocation")

    assert stopped["status"] == "ABORTED"
    [recorded] = [json.loads(p.read_text()) for p in out.iterdir()]  # not RUNNING, once
    assert (recorded["source"], recorded["detail-type"]) == ("aws.states", DETAIL_TYPE)
    assert recorded["resources"] == [execution["executionArn"]]
    detail = recorded["detail"]
    assert detail["executionArn"] == execution["executionArn"]
    assert detail["stateMachineArn"] == machine
    assert (detail["name"], detail["status"]) == ("to-stop", "ABORTED")
    assert json.loads(detail["input"]) == {"a": 1}
    assert detail["output"] is None
    assert detail["stopDate"] >= detail["startDate"] > 0
    deliveries = [d for d in endpoint.status_events.delivered if d[0] == rule]
    assert len(deliveries) == 1  # the target without EventBridge's permission: never


def test_a_stop_aborts_at_once_while_the_lambda_invocation_it_made_goes_on(
    endpoint: LocalAwsEndpoint, tmp_path: Path
) -> None:
    """StopExecution: ABORTED and its event at once, although the Task's function is still
    running (held here before its code runs); that invocation runs to its end later, as
    Lambda's does."""
    code, task_out, events_out = tmp_path / "code", tmp_path / "task", tmp_path / "events"
    for folder in (code, task_out, events_out):
        folder.mkdir()
    (code / "app.py").write_text(RECORDER, encoding="utf-8")
    task = _recorder(endpoint, "held-task", code, task_out)
    listener = _recorder(endpoint, "abort-listener", code, events_out)
    machine = state_machine(
        endpoint, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": task, "End": True}}}
    )
    prefix = machine.replace(":stateMachine:", ":execution:") + ":"
    pattern = {"source": ["aws.states"], "detail": {"executionArn": [{"prefix": prefix}]}}
    events = endpoint.client("events")
    rule = events.put_rule(Name="abort-listener", EventPattern=json.dumps(pattern))["RuleArn"]
    events.put_targets(Rule="abort-listener", Targets=[{"Id": "l", "Arn": listener}])
    endpoint.client("lambda").add_permission(
        FunctionName=listener,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    hold = endpoint.invocation_holds.hold("held-task")
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, name="held", input='{"id": "task-ran"}')
    assert hold.wait_reached(timeout=120)

    sfn.stop_execution(executionArn=arn["executionArn"])
    status = sfn.describe_execution(executionArn=arn["executionArn"])["status"]
    _wait_for(lambda: len(list(events_out.iterdir())) == 2, "RUNNING and ABORTED events")
    ran_before_release = list(task_out.iterdir())
    hold.release()
    _wait_for((task_out / "task-ran.json").exists, "the held invocation's end")

    assert status == "ABORTED"
    assert ran_before_release == []
    statuses = sorted(json.loads(p.read_text())["detail"]["status"] for p in events_out.iterdir())
    assert statuses == ["ABORTED", "RUNNING"]
    assert sfn.describe_execution(executionArn=arn["executionArn"])["status"] == "ABORTED"
