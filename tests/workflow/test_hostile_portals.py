"""What a portal answers is input, not truth (issue 18): a compromised or misconfigured
portal, through the state machine on the local endpoint. FAULTS rows 43-45, 47, 51."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from portal_local.emulator import Fault, RequestRecord

from .conftest import TIMING, Workflow, histories, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def change_outcomes(workflow: Workflow, result: Any) -> list[str]:
    """The outcome of each ApplyChange of the run, as its state's output holds it."""
    return [
        json.loads(e["stateExitedEventDetails"]["output"])["change"]["outcome"]
        for e in histories(workflow, result)
        if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == "ApplyChange"
    ]


# --- row 51: a hostile answer costs bounded time and memory ------------------------------


@pytest.mark.parametrize(
    ("context", "fault", "error", "said"),
    [
        # Every answer to portaladmin takes 12 s, a byte long before each 2 s read
        # timeout: cut at the call's deadline (5 s + 2 x 2 s), retried by the state
        # machine a bounded number of times.
        ("drip113", {"action": "drip", "seconds": 12.0}, "PortalAnswerTooSlow", "within 9 s"),
        # 150 MiB: read to the 8 MiB cap, not retried.
        ("huge113", {"action": "huge"}, "PortalAnswerTooLarge", "8388608 bytes"),
    ],
    ids=["drip", "150 MiB"],
)
@pytest.mark.timeout(300)  # four attempts of 9 s, the state machine's backoff between
def test_a_hostile_answer_to_preflight_costs_bounded_time_and_memory(
    workflow: Workflow, context: str, fault: dict[str, Any], error: str, said: str
) -> None:
    """Preflight's version read gets the hostile answer: named, nothing changed."""
    workflow.emulator.faults.add(Fault(context=context, path="portaladmin", **fault))
    portal = workflow.emulator.portal(context)
    arn = workflow.secret_for(context)
    payload = {"action": "rotate-shared-key", "portals": [{"secretArn": arn}], "timing": TIMING}

    result = workflow.run(payload, timeout=240)

    report = portal_result(result, arn)
    assert report["error"]["name"] == error, report
    assert said in report["error"]["message"]
    assert portal.update_count == 0
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]


def test_a_change_whose_answer_is_too_large_has_an_unknown_outcome_not_a_rejection(
    workflow: Workflow,
) -> None:
    """The update lands, then its answer passes the cap: never "rejected"; the outcome
    is unknown, Verify finds the key changed, and the run is verified with one update."""
    workflow.emulator.faults.add(
        Fault(
            action="huge",
            context="hugeupdate113",
            path="portaladmin/security/tokens/update",
            times=1,
        )
    )
    portal = workflow.emulator.portal("hugeupdate113")
    arn = workflow.secret_for("hugeupdate113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert change_outcomes(workflow, result) == ["unknown"]
    assert (portal.update_count, portal.restart_count) == (1, 1)
    assert workflow.secret_json(arn)["sharedKey"] == portal.shared_key


# --- rows 43-45: what portaladmin/machines lists steers nothing --------------------------


def direct_requests(workflow: Workflow, context: str) -> list[RequestRecord]:
    """Every request (or, at a trap, connection) that went to a machine's own address."""
    return [r for r in workflow.emulator.requests_for(context) if r.direct]


def locks_held_for(workflow: Workflow, *arns: str) -> list[str]:
    """The lock items left in the ledger for these secrets: theirs, and any portal's
    lock a branch of theirs holds (its holder names the secret)."""
    table = workflow.aws.outputs["RunsTableName"]
    pages = workflow.aws.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return [
        item["pk"]["S"]
        for page in pages
        for item in page["Items"]
        if item["pk"]["S"].startswith("lock#")
        and any(arn in item["pk"]["S"] or arn in item["owner"]["S"] for arn in arns)
    ]


def test_pinned_machines_see_tokens_never_the_password_and_unpinned_ones_nothing(
    workflow: Workflow,
) -> None:
    """Row 43, the default without pins: the change is verified through the portal URL,
    no machine's address gets anything, and the summary says how to pin."""
    portal = workflow.emulator.portal("hanopins")
    arn = workflow.secret_for("hanopins")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["status"] == "verified", report
    assert report["machinesChecked"] is False
    assert any('"machines": ["https://<machine>:7443/arcgis"' in n for n in report["notes"])
    assert direct_requests(workflow, "hanopins") == []
    assert workflow.secret_json(arn)["sharedKey"] == portal.machines[0].shared_key


HOSTILE = ["otherhost", "otherport", "privateaddress", "userinfo"]


@pytest.mark.parametrize("listing", HOSTILE)
def test_a_machine_listed_elsewhere_gets_nothing_pinned_or_not(
    workflow: Workflow, listing: str
) -> None:
    """Row 43: the portal lists its standby on another host, another port, a private
    address or with user information. With the real machines pinned, the run is refused
    before any change, naming the machine and the portal's list as the source; without
    pins (a dry run: Preflight alone), it goes on without reaching any machine. The trap
    where the listing points logs every connection: it saw none."""
    context = f"ha{listing}"
    portal = workflow.emulator.portal(context)
    pinned = workflow.secret_for(context, machines=workflow.emulator.machine_urls(context))
    unpinned = workflow.secret_for(context)

    refused = workflow.rotate(pinned)
    dry = workflow.rotate(unpinned, dryRun=True)

    report = portal_result(refused, pinned)
    assert report["error"]["name"] == "MachinePinMismatch", report
    assert portal.machines[1].name in report["error"]["message"]
    assert "the portal's list of machines" in report["error"]["message"]
    assert portal_result(dry, unpinned)["status"] == "dry-run"
    assert portal_result(dry, unpinned)["machinesChecked"] is False
    assert direct_requests(workflow, context) == []
    assert portal.update_count == 0
    assert locks_held_for(workflow, pinned, unpinned) == []


@pytest.mark.parametrize("opt_out", [False, True], ids=["default", "checkMachines false"])
@pytest.mark.parametrize("listing", ["thousands", "hugenames"])
def test_a_list_past_any_real_portal_is_refused_and_the_lock_released(
    workflow: Workflow, listing: str, opt_out: bool
) -> None:
    """Row 44: 1,501 machines (the opt-out used to carry them all in the state, past
    Step Functions' payload quota: the child died without a result, its lock held), or
    a name of 100,000 characters: a named error before the state grows, reported, the
    lock released."""
    context = f"ha{listing}"
    extra = {"checkMachines": False} if opt_out else {}
    arn = workflow.secret_for(context, **extra)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "MachineListTooLarge", report
    assert workflow.emulator.portal(context).update_count == 0
    assert locks_held_for(workflow, arn) == []
    assert direct_requests(workflow, context) == []


def test_machine_names_that_steer_a_terminal_reach_the_report_as_escapes(
    workflow: Workflow,
) -> None:
    """Row 50: the portal names a machine with ESC, CR, LF, BEL and a C1 control."""
    arn = workflow.secret_for("haforgednames")

    result = workflow.rotate(arn, dryRun=True)

    report = portal_result(result, arn)
    names = [m["name"] for m in report["machines"]]
    assert any("\\x1b[2K\\r" in name for name in names), names
    assert not [c for c in "\x1b\r\n\x07\x9b" if c in json.dumps(report, ensure_ascii=False)]


def test_an_account_without_the_default_administrator_role_is_told_which_role(
    workflow: Workflow,
) -> None:
    """Row 45: portaladmin/machines answers 403 to a "Security and Infrastructure"
    account: named, with the role and the way out, before any change; with the opt-out
    the run goes on without the list."""
    portal = workflow.emulator.portal("harole")
    arn = workflow.secret_for("harole")
    opted = workflow.secret_for("harole", checkMachines=False)

    refused = workflow.rotate(arn)
    dry = workflow.rotate(opted, dryRun=True)

    report = portal_result(refused, arn)
    assert report["error"]["name"] == "MachineListForbidden", report
    assert "default administrator role" in report["error"]["message"]
    assert portal.update_count == 0
    assert any("could not be listed" in n for n in portal_result(dry, opted)["notes"])


# --- row 47: one portal, one change at a time, whatever secret names it -------------------


def first_results(workflow: Workflow, run: str, arns: tuple[str, ...]) -> list[str]:
    """The secrets whose result the ledger holds in ``run``, as soon as one has one
    (polled for at most two minutes)."""
    dynamodb, table = workflow.aws.client("dynamodb"), workflow.aws.outputs["RunsTableName"]
    deadline = time.monotonic() + 120.0
    while True:
        found = [
            arn
            for arn in arns
            if "Item"
            in dynamodb.get_item(
                TableName=table, Key={"pk": {"S": f"run#{run}"}, "sk": {"S": f"result#{arn}"}}
            )
        ]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.5)


@pytest.mark.timeout(420)  # two minutes at most for the refusal, then the run's end
def test_two_secrets_of_one_portal_in_one_run_change_it_once(workflow: Workflow) -> None:
    """A Web Adaptor's URL and the portal's own, each in a secret of its own, in one run:
    whichever branch locks the portal first changes it; the other is refused with
    PortalBusy naming the first's run and secret, before any change. The first is held
    in its wait (health checks answer "down") until the second's refusal is recorded, so
    the two always overlap; then it finishes, and no lock is left."""
    portal = workflow.emulator.portal("alias113")
    adaptor = workflow.secret_for("alias113wa")
    direct = workflow.secret_for("alias113")
    hold = workflow.emulator.faults.add(
        Fault(action="health_flap", context="alias113", sequence=("down",), times=100_000)
    )
    payload = {
        "action": "rotate-shared-key",
        "portals": [{"secretArn": adaptor}, {"secretArn": direct}],
        "timing": {**TIMING, "maxRestartSeconds": 120},  # the deployment's bound
    }
    execution = workflow.start(payload)
    run = execution.rsplit(":", 1)[-1]
    try:
        recorded = first_results(workflow, run, (adaptor, direct))  # the holder cannot end
    finally:
        workflow.emulator.faults.remove(hold)
    result = workflow.aws.follow(execution, timeout_seconds=300)

    reports = {arn: portal_result(result, arn) for arn in (adaptor, direct)}
    (changed,) = [a for a, r in reports.items() if r["status"] == "verified"]
    (refused,) = [a for a, r in reports.items() if r["status"] == "failed"]
    assert recorded == [refused]
    assert reports[refused]["error"]["name"] == "PortalBusy"
    assert f"{run} for {changed}" in reports[refused]["error"]["message"]
    assert (portal.update_count, portal.restart_count) == (1, 1)
    assert workflow.secret_json(changed)["sharedKey"] == portal.shared_key
    assert list(workflow.stages(refused).values()) == [["AWSCURRENT"]]
    assert locks_held_for(workflow, adaptor, direct) == []
