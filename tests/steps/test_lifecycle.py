"""No lock, secret or key outlives its run (FAULTS rows 46-48), on the fakes: the lock is
held from Preflight until Finalize and renewed by every step in between; a branch whose
lock another run took stops before it touches the portal; Finalize says so when its
lock was gone; a stopped run is cleaned up (scratch but a snapshot, AWSPENDING, every
lock), whether Summarize or the run's status-change event finds it."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from portal_automation.aws.work_store import SHORT_LIVED
from portal_automation.errors import (
    InvalidExecutionInput,
    InvalidTriggerEvent,
    LockLost,
    PortalBusy,
    PortalRequestRejected,
)
from portal_automation.sensitive import Secret
from portal_automation.settings import PlanExecutionSettings
from portal_automation.workflow import locks
from portal_automation.workflow.change import CONFIG_SNAPSHOT, PROBE_TOKEN, apply_change
from portal_automation.workflow.cleanup import CHILD_ENDED, clean_up_run, on_execution_ended
from portal_automation.workflow.failure import record_failure
from portal_automation.workflow.finalize import finalize
from portal_automation.workflow.holding import holding
from portal_automation.workflow.models import PortalItem
from portal_automation.workflow.plan import Planner, manifest_key, plan_execution
from portal_automation.workflow.portal_lock import holder
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.regimes import Rotation
from portal_automation.workflow.regimes.supplied import SuppliedKey
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.rollback import rollback_config
from portal_automation.workflow.services import work_prefix
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.verify import verify

from tests.fakes.executions import FakeExecutions
from tests.fakes.services import FakeWorld

from .conftest import FakeClock, change_part, item, preflight_part

VERIFIED = {"outcome": "verified", "verifiedAt": 1.0, "checks": {"health": "ok"}}
TTL = 3600


@pytest.fixture
def clocked(world: FakeWorld, clock: FakeClock) -> FakeWorld:
    """The world's ledger on the test's clock, so a lock can be made to expire."""
    world.ledger._clock = clock
    return world


def dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True, exclude_none=True))


def run_steps(world: FakeWorld, entry: dict[str, Any]) -> dict[str, Any]:
    """A rotation branch through Preflight and ApplyChange, as the handlers run each
    step (holding its locks); the parts so far."""
    parts: dict[str, Any] = {"item": entry}
    steps = [
        ("preflight", holding(preflight, "Preflight", renews=False)),
        ("change", holding(apply_change, "ApplyChange")),
    ]
    for key, step in steps:
        parts[key] = dump(step(PortalState.model_validate(parts), world.services))
    return parts


# --- item 10: the lock is held until Finalize --------------------------------------------


def test_the_lock_is_held_from_preflight_until_finalize_and_refuses_a_second_run(
    clocked: FakeWorld, clock: FakeClock
) -> None:
    world = clocked
    portal, arn = world.portal()
    parts = run_steps(world, item(arn))
    portal.restart()
    after_change = world.ledger.expires_at(arn)
    clock.now += 600  # the wait
    window = holding(functools.partial(poll_health, sleep=clock.sleep, clock=clock), "PollHealth")
    parts["poll"] = dump(window(PortalState.model_validate(parts), world.services))
    parts["verify"] = dump(
        holding(verify, "Verify")(PortalState.model_validate(parts), world.services)
    )
    held = world.ledger.holder(arn), world.ledger.lock_stage(arn, "run-1")
    after_verify = world.ledger.expires_at(arn)

    with pytest.raises(PortalBusy):  # a second run on the same portal, meanwhile
        preflight(PortalState.model_validate({"item": item(arn, run_id="run-2")}), world.services)
    report = finalize(PortalState.model_validate(parts), world.services)

    assert held == ("run-1", "Verify")
    assert world.ledger.expires_at(arn) is None  # released by Finalize, not before
    assert after_change is not None
    assert after_verify == clock.now + TTL > after_change  # renewed after the wait
    assert report["status"] == "verified"
    assert portal.updates == 1


@pytest.mark.parametrize(
    ("stage", "step"),
    [
        ("ApplyChange", apply_change),
        ("PollHealth", functools.partial(poll_health, sleep=lambda _: None)),
        ("Verify", verify),
        ("RollbackConfig", rollback_config),
    ],
)
def test_each_step_after_preflight_renews_the_lock_before_it_touches_the_portal(
    clocked: FakeWorld, clock: FakeClock, stage: str, step: Any
) -> None:
    """FAULTS row 46: a wait longer than the TTL does not lose the lock while the run
    lives: each step pushes its expiry on, so no second run can take it meanwhile."""
    world = clocked
    _portal, arn = world.portal()
    action = "apply-security-config" if stage == "RollbackConfig" else "rotate-shared-key"
    entry = item(arn, action, security_config={"disableServicesDirectory": True})
    world.ledger.acquire(arn, "run-1")
    parts: dict[str, Any] = {
        "item": entry,
        "preflight": preflight_part(None if stage == "RollbackConfig" else "supplied"),
    }
    if stage != "ApplyChange":
        parts["change"] = dump(apply_change(PortalState.model_validate(parts), world.services))
    clock.now += TTL - 1  # nearly the whole TTL passes in a wait

    holding(step, stage)(PortalState.model_validate(parts), world.services)
    clock.now += TTL - 1
    with pytest.raises(PortalBusy):
        world.ledger.acquire(arn, "run-2")

    assert world.ledger.lock_stage(arn, "run-1") == stage


@pytest.mark.parametrize("stage", ["ApplyChange", "PollHealth", "Verify", "RollbackConfig"])
def test_a_step_whose_lock_another_run_took_stops_before_touching_the_portal(
    clocked: FakeWorld, clock: FakeClock, stage: str
) -> None:
    world = clocked
    portal, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    clock.now += TTL + 1  # the lock expired (a wait the renewals did not cover) ...
    world.ledger.acquire(arn, "run-2")  # ... and another run took the portal
    parts = {"item": item(arn), "preflight": preflight_part(), "change": change_part()}
    step = {"ApplyChange": apply_change, "PollHealth": poll_health, "Verify": verify}.get(
        stage, rollback_config
    )

    with pytest.raises(LockLost) as lost:
        holding(step, stage)(PortalState.model_validate(parts), world.services)

    assert "run run-2 holds it" in lost.value.message
    assert portal.calls == []  # not one request
    assert world.ledger.holder(arn) == "run-2"


def test_a_preflight_lock_of_another_key_is_renewed_and_released_with_the_secrets(
    world: FakeWorld,
) -> None:
    """PreflightResult.locks (a portal's own lock, taken after the secret's) is renewed
    by each step and released by Finalize with the secret's."""
    portal, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    world.ledger.acquire("portal#abc", "run-1", owner=holder(PortalItem.model_validate(item(arn))))
    parts = {"item": item(arn), "preflight": {**preflight_part(), "locks": ["portal#abc"]}}
    parts["change"] = dump(
        holding(apply_change, "ApplyChange")(PortalState.model_validate(parts), world.services)
    )
    portal.restart()
    parts["verify"] = VERIFIED

    assert world.ledger.stages["portal#abc"] == "ApplyChange"
    finalize(PortalState.model_validate(parts), world.services)
    assert world.ledger.locks == {}


def test_finalize_reports_a_lock_it_no_longer_owned_and_promotes_nothing(
    clocked: FakeWorld, clock: FakeClock
) -> None:
    world = clocked
    portal, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    parts = {"item": item(arn), "preflight": preflight_part()}
    parts["change"] = dump(apply_change(PortalState.model_validate(parts), world.services))
    portal.restart()
    clock.now += TTL + 1
    world.ledger.acquire(arn, "run-2")
    stages = world.secrets.stages(arn)

    with pytest.raises(LockLost):
        finalize(PortalState.model_validate({**parts, "verify": VERIFIED}), world.services)

    assert world.secrets.stages(arn) == stages  # nothing promoted
    assert world.ledger.holder(arn) == "run-2"
    failed = record_failure(
        PortalState.model_validate(
            {**parts, "verify": VERIFIED, "error": {"Error": "LockLost", "Cause": "{}"}}
        ),
        world.services,
    )
    assert failed["error"]["name"] == "LockLost"
    assert any("no longer this run's" in note for note in failed["error"]["notes"])


def test_finalize_reports_a_release_that_found_the_lock_gone(world: FakeWorld) -> None:
    """The lock was renewed at the start of Finalize and gone at its end: reported, not
    silently a success."""
    _, arn = world.portal()
    world.ledger.acquire(arn, "run-1")
    st = PortalState.model_validate(
        {"item": item(arn), "preflight": preflight_part(next_step="done", outcome="no-change")}
    )
    original = world.ledger.release

    def release_after_another_run_took_it(key: str, run_id: str, **owner: str | None) -> bool:
        world.ledger.locks[key] = ("run-2", 0.0)
        return original(key, run_id, **owner)

    world.ledger.release = release_after_another_run_took_it  # type: ignore[method-assign]

    with pytest.raises(LockLost) as lost:
        finalize(st, world.services)

    assert "no longer this run's at the end" in lost.value.message


# --- a refused timing: the lock would expire between two renewals --------------------------


@pytest.mark.parametrize(
    ("ttl", "timing", "refused"),
    [
        (1200, {}, False),  # the template's minimum holds the defaults
        (1200, {"recheckSeconds": 600}, True),
        (1200, {"pollIntervalSeconds": 300}, True),
        (1800, {"recheckSeconds": 600}, False),
        (7200, {"recheckSeconds": 600, "pollIntervalSeconds": 300}, False),
    ],
)
def test_a_timing_whose_wait_could_outlive_the_lock_is_refused(
    world: FakeWorld, ttl: int, timing: dict[str, int], refused: bool
) -> None:
    _, arn = world.portal()
    settings = PlanExecutionSettings(
        secret_arn_prefix="arn:aws:secretsmanager:",
        runs_table="runs",
        work_bucket="work",
        lock_ttl_seconds=ttl,
    )
    raw = {"action": "rotate-shared-key", "portals": [{"secretArn": arn}], "timing": timing}
    planner = Planner(settings, world.secrets, world.ledger, world.work)
    execution = "arn:aws:states:us-east-1:123456789012:execution:sm:run-9"

    if refused:
        with pytest.raises(InvalidExecutionInput) as raised:
            plan_execution(raw, execution, planner)
        assert f"LockTtlSeconds ({ttl} s)" in raised.value.message
    else:
        plan_execution(raw, execution, planner)


def test_a_portals_own_recheck_is_capped_so_the_first_wait_stays_inside_the_lock(
    world: FakeWorld,
) -> None:
    _portal, arn = world.portal(recheck_after_seconds=86_400)
    parts = {
        "item": {**item(arn), "timing": {**item(arn)["timing"]}},
        "preflight": preflight_part(),
    }
    parts["item"]["timing"].pop("recheckSeconds")
    world.ledger.acquire(arn, "run-1")

    change = apply_change(PortalState.model_validate(parts), world.services)

    assert change.recheck_seconds == locks.MAX_RECHECK_SECONDS


# --- a stopped run leaves nothing behind --------------------------------------------------


def planned(world: FakeWorld, *arns: str, action: str = "rotate-shared-key") -> str:
    """A run PlanExecution recorded (its manifest in the work store); its id."""
    settings = PlanExecutionSettings(
        secret_arn_prefix="arn:aws:secretsmanager:", runs_table="runs", work_bucket="work"
    )
    raw: dict[str, Any] = {"action": action, "portals": [{"secretArn": a} for a in arns]}
    if action == "apply-security-config":
        raw["securityConfig"] = {"disableServicesDirectory": True}
    execution = "arn:aws:states:us-east-1:123456789012:execution:portal-security:run-1"
    plan_execution(raw, execution, Planner(settings, world.secrets, world.ledger, world.work))
    return "run-1"


def manifest_item(world: FakeWorld, run_id: str, arn: str) -> dict[str, Any]:
    items = world.work.get_json(manifest_key(run_id))
    return dict(next(i for i in items if i["secretArn"] == arn))


def test_a_rotation_stopped_after_its_change_is_cleaned_up_by_summarize(
    world: FakeWorld,
) -> None:
    """The child stopped while the portal restarted: no probe token or pre-change key is
    left, the lock is released, AWSPENDING is settled (the portal runs it: kept), and the
    portal is reported stopped, naming its last step."""
    portal, arn = world.portal(version="11.3")
    run_id = planned(world, arn)
    entry = manifest_item(world, run_id, arn)
    parts = {"item": entry}
    parts["preflight"] = dump(
        holding(preflight, "Preflight", renews=False)(
            PortalState.model_validate(parts), world.services
        )
    )
    parts["change"] = dump(
        holding(apply_change, "ApplyChange")(PortalState.model_validate(parts), world.services)
    )
    portal.restart()
    assert world.work.tags[work_prefix(run_id, arn) + PROBE_TOKEN] == SHORT_LIVED

    [report] = clean_up_run(run_id, world.services, reason=CHILD_ENDED)

    assert world.work.keys(f"runs/{run_id}/") == []
    assert world.ledger.locks == {}
    assert world.ledger.held_locks(run_id) == []
    assert world.secrets.pending_version_id(arn) == entry["versionId"]  # the portal runs it
    assert report["status"] == "stopped"
    assert report["error"]["name"] == "NoResultRecorded"
    assert report["error"]["stage"] == "ApplyChange"
    assert world.ledger.result_of(run_id, arn)["status"] == "stopped"
    assert clean_up_run(run_id, world.services, reason=CHILD_ENDED) == []  # recorded now


def test_a_rotation_stopped_before_its_change_was_sent_drops_the_unused_pending_version(
    world: FakeWorld,
) -> None:
    """The new key went to AWSPENDING and the branch stopped before the probe token was
    stored (so before the update was sent): the portal cannot run it, it is removed."""
    portal, arn = world.portal(version="11.3")
    run_id = planned(world, arn)
    entry = manifest_item(world, run_id, arn)
    parts = {"item": entry}
    parts["preflight"] = dump(preflight(PortalState.model_validate(parts), world.services))
    SuppliedKey().prepare(
        Rotation(PortalItem.model_validate(entry), world.services), Secret(portal.running_key)
    )
    assert world.secrets.pending_version_id(arn) == entry["versionId"]

    [report] = clean_up_run(run_id, world.services, reason=CHILD_ENDED)

    assert world.secrets.pending_version_id(arn) is None
    assert any("removed" in note for note in report["error"]["notes"])
    assert world.ledger.locks == {}


def test_a_rotation_stopped_after_its_update_was_sent_keeps_the_key_it_may_run(
    world: FakeWorld,
) -> None:
    """The update was sent (the probe token stored before it) and the portal still runs
    its previous key: it may be about to restart into the new one, so the new key stays
    in AWSPENDING and the report says why (RecordFailure, which knows the update's
    answer, removes it then)."""
    portal, arn = world.portal(version="11.3")
    run_id = planned(world, arn)
    entry = manifest_item(world, run_id, arn)
    parts = {"item": entry}
    parts["preflight"] = dump(preflight(PortalState.model_validate(parts), world.services))
    portal.fail("update_shared_key", PortalRequestRejected("refused", code=500))
    with pytest.raises(PortalRequestRejected):
        apply_change(PortalState.model_validate(parts), world.services)

    [report] = clean_up_run(run_id, world.services, reason=CHILD_ENDED)

    assert world.secrets.pending_version_id(arn) == entry["versionId"]
    assert any("may have been sent" in note for note in report["error"]["notes"])
    assert world.work.keys(f"runs/{run_id}/") == []
    assert world.ledger.locks == {}


def test_a_config_change_stopped_keeps_only_its_snapshot(world: FakeWorld) -> None:
    _portal, arn = world.portal(version="11.3")
    run_id = planned(world, arn, action="apply-security-config")
    entry = manifest_item(world, run_id, arn)
    parts = {"item": entry}
    parts["preflight"] = dump(preflight(PortalState.model_validate(parts), world.services))
    parts["change"] = dump(
        holding(apply_change, "ApplyChange")(PortalState.model_validate(parts), world.services)
    )
    world.work.put_secret(
        work_prefix(run_id, arn) + "stray", world.secrets.read(arn).credentials.password
    )

    [report] = clean_up_run(run_id, world.services, reason=CHILD_ENDED)

    assert world.work.keys(f"runs/{run_id}/") == [work_prefix(run_id, arn) + CONFIG_SNAPSHOT]
    assert "snapshot" in " ".join(report["error"]["notes"])
    assert world.ledger.locks == {}


def test_a_step_still_running_when_its_run_was_cleaned_up_undoes_what_it_added(
    world: FakeWorld,
) -> None:
    """Lambda goes on after its execution stops: the ApplyChange of a stopped run stores
    its probe token after the cleanup ran. It finds its branch closed (a result is
    recorded), deletes what it added, releases the lock and fails."""
    _portal, arn = world.portal(version="11.4")
    run_id = planned(world, arn)
    entry = manifest_item(world, run_id, arn)
    parts = {"item": entry}
    parts["preflight"] = dump(preflight(PortalState.model_validate(parts), world.services))
    original = world.ledger.renew

    def renew_then_the_run_is_cleaned_up(
        key: str, run: str, stage: str, **owner: str | None
    ) -> None:
        original(key, run, stage, **owner)
        world.ledger.renew = original  # type: ignore[method-assign]
        world.ledger.put_result(run, arn, {"secretArn": arn, "status": "stopped"})

    world.ledger.renew = renew_then_the_run_is_cleaned_up  # type: ignore[method-assign]

    with pytest.raises(LockLost):
        holding(apply_change, "ApplyChange")(PortalState.model_validate(parts), world.services)

    assert world.work.keys(f"runs/{run_id}/") == []  # probe token, pre-change key: gone
    assert world.ledger.locks == {}


def test_a_preflight_that_ends_after_its_run_was_cleaned_up_releases_what_it_took(
    world: FakeWorld,
) -> None:
    _, arn = world.portal()
    run_id = planned(world, arn)
    entry = manifest_item(world, run_id, arn)
    world.ledger.put_result(run_id, arn, {"secretArn": arn, "status": "stopped"})

    with pytest.raises(LockLost):
        holding(preflight, "Preflight", renews=False)(
            PortalState.model_validate({"item": entry}), world.services
        )

    assert world.ledger.locks == {}


def test_every_lock_the_run_took_is_released_even_for_a_recorded_portal(world: FakeWorld) -> None:
    """A portal lock taken in Preflight (part of a branch's locks) that its Finalize never
    released (it crashed after recording): the run's cleanup releases it."""
    _, arn = world.portal()
    run_id = planned(world, arn)
    world.ledger.acquire("portal#abc", run_id, owner=f"{run_id} for {arn}")
    world.ledger.put_result(run_id, arn, {"secretArn": arn, "status": "verified"})

    assert clean_up_run(run_id, world.services, reason=CHILD_ENDED) == []
    assert world.ledger.locks == {}


def status_change(run_id: str, status: str = "ABORTED", **changes: Any) -> dict[str, Any]:
    executions = FakeExecutions()
    event = {
        "version": "0",
        "id": "e-1",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": executions.arn_for(run_id),
            "stateMachineArn": executions.state_machine_arn,
            "name": run_id,
            "status": status,
        },
    }
    event.update(changes)
    return event


def test_a_stopped_runs_status_change_cleans_it_up_once_step_functions_confirms_it(
    world: FakeWorld,
) -> None:
    _portal, arn = world.portal()
    run_id = planned(world, arn)
    parts = run_steps(world, manifest_item(world, run_id, arn))
    executions = FakeExecutions()
    executions.runs[run_id] = {"status": "RUNNING", "input": {}}

    with pytest.raises(InvalidTriggerEvent):  # the event says ABORTED; it is not
        on_execution_ended(status_change(run_id), world.services, executions)
    assert world.ledger.holder(arn) == run_id
    executions.finish(run_id, "ABORTED")
    answer = on_execution_ended(status_change(run_id), world.services, executions)

    assert answer == {
        "runId": run_id,
        "status": "ABORTED",
        "cleaned": 1,
        "report": f"reports/{run_id}.json",
    }
    assert world.ledger.locks == {}
    assert world.work.keys(f"runs/{run_id}/") == []
    assert world.work.get_json(f"reports/{run_id}.json")["portals"][0]["status"] == "stopped"
    assert parts["change"]["outcome"] == "accepted"


@pytest.mark.parametrize(
    "changes",
    [
        {"source": "someone.else"},
        {"detail-type": "Something Else"},
        {
            "detail": {
                "name": "run-1",
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:other:run-1",
            }
        },
        {"detail": ["not", "a", "mapping"]},
    ],
)
def test_a_status_change_that_is_not_this_runs_is_refused(
    world: FakeWorld, changes: dict[str, Any]
) -> None:
    _, arn = world.portal()
    run_id = planned(world, arn)
    world.ledger.acquire(arn, run_id)
    executions = FakeExecutions()
    executions.runs[run_id] = {"status": "ABORTED", "input": {}}

    with pytest.raises(InvalidTriggerEvent):
        on_execution_ended(status_change(run_id, **changes), world.services, executions)

    assert world.ledger.holder(arn) == run_id
