"""No lock, secret or key outlives its run; every door has a named key (issue 18, part B).

Through the deployed stack on the local endpoint. Every overlap is forced by construction:
a run is held at a known state by holding a function's invocation at the Lambda service
(``invocation_holds``: the execution sits in that Task state for as long as the test
needs) or a request at the emulator (``hold`` faults), never by hoping two threads meet.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from portal_local.emulator import Fault

from .conftest import TIMING, Workflow, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
EVENTS = Path(__file__).resolve().parents[2] / "events"
OUTSIDER = "arn:aws:iam::123456789012:user/has-ssm-put-parameter"
# Long enough that no run here ends on its restart bound while a test holds it.
HELD_TIMING = {**TIMING, "maxRestartSeconds": 110}


def until(condition: Callable[[], Any], what: str) -> Any:
    """Poll a condition the test made true by construction; the bound only stops a broken
    build from hanging (it is no assertion about time)."""
    deadline = time.monotonic() + 300
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} never happened")
        time.sleep(0.1)
    return value


def function_name(workflow: Workflow, output: str) -> str:
    return str(workflow.aws.outputs[output]).split(":")[6]


def rotation(arn: str, timing: dict[str, Any] = HELD_TIMING) -> dict[str, Any]:
    return {"action": "rotate-shared-key", "portals": [{"secretArn": arn}], "timing": timing}


def ledger_item(workflow: Workflow, pk: str, sk: str) -> dict[str, Any] | None:
    answer = workflow.aws.client("dynamodb").get_item(
        TableName=workflow.aws.outputs["RunsTableName"],
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    return answer.get("Item")


def lock(workflow: Workflow, arn: str) -> dict[str, Any] | None:
    return ledger_item(workflow, f"lock#{arn}", "lock")


def held_locks(workflow: Workflow, run_id: str) -> list[str]:
    answer = workflow.aws.client("dynamodb").query(
        TableName=workflow.aws.outputs["RunsTableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"run#{run_id}"}, ":sk": {"S": "lock#"}},
        ConsistentRead=True,
    )
    return [item["sk"]["S"] for item in answer["Items"]]


def recorded(workflow: Workflow, run_id: str, arn: str) -> dict[str, Any] | None:
    item = ledger_item(workflow, f"run#{run_id}", f"result#{arn}")
    return json.loads(item["report"]["S"]) if item else None


def invocations(workflow: Workflow, output: str) -> list[Any]:
    name = function_name(workflow, output)
    return [i for i in workflow.aws.endpoint.invocations() if i.function_name == name]


# --- FAULTS row 46 and item 10: the lock, held and renewed until Finalize ---------------------


def test_the_lock_is_renewed_while_the_run_waits_so_no_second_run_takes_the_portal(
    workflow: Workflow,
) -> None:
    """FAULTS row 46. Run 1 waits out a restart that does not end; its lock is made to
    expire (as a wait longer than LockTtlSeconds would make it) while the run is held at
    its first health window. The window renews the lock before it polls, so a second run
    started during the next window is refused, and changes nothing."""
    portal = workflow.emulator.portal("renew113")
    arn = workflow.secret_for("renew113")
    restart = workflow.emulator.faults.add(Fault(action="restart_forever", context="renew113"))
    holds = workflow.aws.endpoint.invocation_holds
    poll = function_name(workflow, "PollHealthFunctionArn")
    first_window = holds.hold(poll, matching=arn)
    first = workflow.start(rotation(arn))
    assert first_window.wait_reached(timeout=300)
    # Past its restart lag (the old process still answers health then, which would send
    # the run to Verify first): down from here on, held by the fault.
    assert portal.wait_until(lambda p: p.is_restarting, timeout=300)
    run_id = first.rsplit(":", 1)[1]
    table = workflow.aws.outputs["RunsTableName"]
    workflow.aws.client("dynamodb").update_item(  # the wait outlived the TTL
        TableName=table,
        Key={"pk": {"S": f"lock#{arn}"}, "sk": {"S": "lock"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    second_window = holds.hold(poll, matching=arn)
    first_window.release()
    assert second_window.wait_reached(timeout=300)  # the first window ran to its end
    renewed = lock(workflow, arn)
    busy = len([i for i in invocations(workflow, "PreflightFunctionArn") if i.error_type])

    second = workflow.start(rotation(arn))
    until(  # the second run's Preflight has answered; the first run still waits
        lambda: (
            len([i for i in invocations(workflow, "PreflightFunctionArn") if i.error_type]) > busy
        ),
        "the second run's Preflight",
    )
    second_window.release()
    workflow.emulator.faults.remove(restart)
    result = workflow.aws.follow(first, timeout_seconds=300)
    refused = workflow.aws.follow(second, timeout_seconds=300)

    assert portal_result(refused, arn)["error"]["name"] == "PortalBusy"
    assert renewed is not None
    assert int(renewed["expiresAt"]["N"]) > time.time()
    assert renewed["owner"]["S"] == run_id
    assert renewed["stage"]["S"] == "PollHealth"
    assert portal_result(result, arn)["status"] == "verified"
    assert portal.update_count == 1
    assert lock(workflow, arn) is None


def test_the_lock_is_held_until_finalize(workflow: Workflow) -> None:
    """Item 10: run 1 has verified its portal and is about to finalize (its Finalize
    invocation held): the lock is still its own, a second run is refused, and Finalize
    releases it."""
    portal = workflow.emulator.portal("held113")
    arn = workflow.secret_for("held113")
    finalize = workflow.aws.endpoint.invocation_holds.hold(
        function_name(workflow, "FinalizeFunctionArn"), matching=arn
    )
    first = workflow.start(rotation(arn))
    assert finalize.wait_reached(timeout=300)
    before_finalize = lock(workflow, arn)

    refused = workflow.rotate(arn)
    finalize.release()
    result = workflow.aws.follow(first, timeout_seconds=300)

    assert before_finalize is not None
    assert before_finalize["owner"]["S"] == first.rsplit(":", 1)[1]
    assert before_finalize["stage"]["S"] == "Verify"
    assert portal_result(refused, arn)["error"]["name"] == "PortalBusy"
    assert portal_result(result, arn)["status"] == "verified"
    assert lock(workflow, arn) is None
    assert held_locks(workflow, first.rsplit(":", 1)[1]) == []
    assert portal.update_count == 1


# --- FAULTS row 48: a run stopped in any state leaves nothing behind -------------------------

STOPPED_IN: dict[str, tuple[str, str, str | None]] = {
    # state: (the emulator context, the function held, the step that last renewed the lock)
    "Preflight": ("stoppf", "PreflightFunctionArn", None),
    "ApplyChange": ("stopac", "ApplyChangeFunctionArn", "Preflight"),
    "Wait": ("stopwait", "PollHealthFunctionArn", "ApplyChange"),
    "Verify": ("stopver", "VerifyFunctionArn", "PollHealth"),
    "RollbackConfig": ("stoprb", "RollbackConfigFunctionArn", "Verify"),
}


def held_run(workflow: Workflow, state: str, arn: str) -> tuple[str, Any]:
    """A run of the portal's change started and held at ``state`` (its step's
    invocation held before it runs): (its execution ARN, the hold)."""
    context, output, _ = STOPPED_IN[state]
    if state == "Wait":  # the portal says it took the update, and changes nothing
        workflow.emulator.faults.add(
            Fault(action="swallow", context=context, path="*/tokens/update")
        )
    held = workflow.aws.endpoint.invocation_holds.hold(
        function_name(workflow, output), matching=arn
    )
    payload = rotation(arn)
    if state == "RollbackConfig":  # the portal ignores the property: a mismatch, rolled back
        payload = {
            "action": "apply-security-config",
            "portals": [{"secretArn": arn}],
            "securityConfig": {"disableServicesDirectory": True},
            "timing": HELD_TIMING,
        }
    execution = workflow.start(payload)
    assert held.wait_reached(timeout=300)
    if state == "Verify":  # stopped once the portal runs the new key (past its restart lag)
        portal = workflow.emulator.portal(context)
        assert portal.wait_until(lambda p: p.restart_count == 1 and p.phase == "up", timeout=300)
    return execution, held


def assert_pending_settled(workflow: Workflow, state: str, arn: str, report: Any) -> None:
    """AWSPENDING: none before ApplyChange; in Verify the portal runs the new key (kept);
    in the Wait case the portal swallowed the update and still runs its previous key, but
    the update was sent and a portal restarts a while after it accepts one: kept too."""
    portal = workflow.emulator.portal(STOPPED_IN[state][0])
    stages = sorted(s for stages in workflow.stages(arn).values() for s in stages)
    notes = " ".join(report["error"].get("notes", []))
    if state == "Verify":
        assert "AWSPENDING" in stages
        assert workflow.secret_json(arn, "AWSPENDING")["sharedKey"] == portal.shared_key
        assert "uses the key in AWSPENDING" in notes
    elif state == "Wait":
        assert "AWSPENDING" in stages
        assert workflow.secret_json(arn, "AWSPENDING")["sharedKey"] != portal.shared_key
        assert "may have been sent" in notes
    else:
        assert "AWSPENDING" not in stages


@pytest.mark.parametrize("state", list(STOPPED_IN))
def test_a_run_stopped_in_any_state_leaves_no_token_key_or_lock(
    workflow: Workflow, state: str
) -> None:
    """The run is held at ``state`` and stopped. Its status change reaches the cleanup at
    once; the held invocation runs after it (Lambda does not stop with the execution),
    finds its branch closed, and changes nothing. Left: no token or key in the work store
    (a config change keeps its snapshot), no lock, AWSPENDING settled by what the portal
    runs (``assert_pending_settled``), the portal reported stopped, naming its last step."""
    context, output, last_step = STOPPED_IN[state]
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)
    ran_before = len(invocations(workflow, output))
    execution, held = held_run(workflow, state, arn)
    run_id = execution.rsplit(":", 1)[1]
    updates = portal.update_count
    cleanups = len(invocations(workflow, "SummarizeFunctionArn"))

    workflow.aws.client("stepfunctions").stop_execution(executionArn=execution)
    until(lambda: len(invocations(workflow, "SummarizeFunctionArn")) > cleanups, "the cleanup")
    report = recorded(workflow, run_id, arn)
    held.release()
    until(lambda: len(invocations(workflow, output)) > ran_before, "the held invocation's end")

    status = workflow.aws.client("stepfunctions").describe_execution(executionArn=execution)
    assert status["status"] == "ABORTED"
    assert report is not None
    assert (report["status"], report["error"]["name"]) == ("stopped", "NoResultRecorded")
    assert report["error"]["stage"] == (last_step or "unknown")
    assert invocations(workflow, output)[-1].error_type == "LockLost"  # it changed nothing
    assert portal.update_count == updates
    if state == "Preflight":  # it never reached the portal
        assert not [r for r in workflow.emulator.request_log if r.context == context]
    snapshot = ["config-snapshot.json"] if state == "RollbackConfig" else []
    assert workflow.scratch(run_id) == snapshot
    assert lock(workflow, arn) is None
    assert held_locks(workflow, run_id) == []
    assert recorded(workflow, run_id, arn)["status"] == "stopped"  # type: ignore[index]
    assert_pending_settled(workflow, state, arn, report)
    rules = {rule for rule, _ in workflow.aws.endpoint.status_events.delivered}
    assert any(":rule/" in rule for rule in rules)


# --- FAULTS row 49: the desired-config door --------------------------------------------------


def start_function_event(workflow: Workflow) -> dict[str, Any]:
    event = json.loads((EVENTS / "eventbridge-desired-config-changed.json").read_text())
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    return {**event, "id": str(uuid.uuid4()), "detail": {**event["detail"], "name": name}}


def test_a_desired_config_written_by_an_outsider_changes_no_portal(workflow: Workflow) -> None:
    """FAULTS row 49: someone allowed ssm:PutParameter but not named in
    RequestPrincipalArns writes the desired document: the start function refuses it by
    name (the event goes to the dead-letter queue) and no portal sees an update. Written
    again by a named principal (the operator), it applies."""
    portal = workflow.emulator.portal("ssmdoor")
    arn = workflow.secret_for("ssmdoor")
    name = workflow.aws.outputs["DesiredConfigParameterName"]
    document = json.dumps(
        {"portals": [{"secretArn": arn}], "securityConfig": {"disableServicesDirectory": True}}
    )
    outsider = workflow.aws.endpoint.client("ssm", principal_arn=OUTSIDER)
    outsider.put_parameter(Name=name, Value=document, Type="String", Overwrite=True)
    workflow.emulator.clear_log()
    refused_event = start_function_event(workflow)

    refused = workflow.invoke("StartFromEventFunctionArn", refused_event)
    started_names = [
        e["name"]
        for e in workflow.aws.client("stepfunctions").list_executions(
            stateMachineArn=workflow.aws.state_machine_arn
        )["executions"]
    ]
    workflow.aws.client("ssm").put_parameter(
        Name=name, Value=document, Type="String", Overwrite=True
    )
    applied = workflow.invoke("StartFromEventFunctionArn", start_function_event(workflow))

    assert refused["errorType"] == "UnattributedChange"
    assert OUTSIDER in refused["errorMessage"]
    assert f"event-{refused_event['id']}" not in started_names
    assert not [r for r in workflow.emulator.request_log if r.context == "ssmdoor"]
    result = workflow.aws.follow(applied["executionArn"], timeout_seconds=300)
    assert portal_result(result, arn)["status"] == "verified"
    assert portal.security_config["disableServicesDirectory"] is True
