"""PollHealth: one window of health checks; "not ready" is an answer, the bound is a failure."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.errors import PortalRestartTimeout, PortalUnavailable
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.state import PollResult, PortalState

from tests.fakes.services import FakeWorld

from .conftest import FakeClock, change_part, item, preflight_part, state


def poll(world: FakeWorld, clock: FakeClock, st: PortalState, **kw: Any) -> PollResult:
    return poll_health(st, world.services, sleep=clock.sleep, clock=clock, **kw)


def changed(
    arn: str, ago: float = 0.0, timing: dict[str, float] | None = None, **parts: Any
) -> PortalState:
    windows = {"pollWindowSeconds": 2, "healthPollSeconds": 0.5, "downPollSeconds": 0.5}
    return state(
        item(arn, **{**windows, **(timing or {})}),
        preflight=preflight_part(),
        change=change_part(ago=ago),
        **parts,
    )


def test_the_return_of_the_portal_is_seen_within_the_window(
    world: FakeWorld, clock: FakeClock
) -> None:
    portal, arn = world.portal()
    portal.go_down()
    clock.on_sleep[2] = portal.come_up

    result = poll(world, clock, changed(arn))

    assert (result.ready, result.went_down, result.polls) == (True, True, 3)
    assert result.healthy_at == clock.now


def test_a_window_that_ends_down_asks_for_a_free_wait(world: FakeWorld, clock: FakeClock) -> None:
    portal, arn = world.portal()
    portal.go_down()

    result = poll(world, clock, changed(arn))

    assert (result.ready, result.went_down) == (False, True)
    assert result.wait_seconds == 1  # the item's pollIntervalSeconds
    assert result.polls == 4  # 2 s window, one check every 0.5 s


def test_the_window_never_outlasts_the_function(world: FakeWorld, clock: FakeClock) -> None:
    portal, arn = world.portal()
    portal.go_down()
    timing = {"pollWindowSeconds": 600, "healthPollSeconds": 1, "downPollSeconds": 1}
    st = changed(arn, timing=timing)

    result = poll(world, clock, st, remaining_seconds=lambda: 15.0)

    assert result.polls == 5  # 15 s left - 10 s safety margin


def test_a_restart_past_the_bound_is_a_named_failure(world: FakeWorld, clock: FakeClock) -> None:
    portal, arn = world.portal()
    portal.go_down()

    with pytest.raises(PortalRestartTimeout) as raised:
        poll(world, clock, changed(arn, ago=3600))

    assert "60 s" in raised.value.message


def test_the_deployment_bound_caps_the_execution_bound(world: FakeWorld, clock: FakeClock) -> None:
    portal, arn = world.portal()
    portal.go_down()
    world.max_restart_seconds = 10

    with pytest.raises(PortalRestartTimeout):
        poll(world, clock, changed(arn, ago=30))


def test_healthy_at_once_is_ready_but_not_seen_down(world: FakeWorld, clock: FakeClock) -> None:
    _, arn = world.portal()

    result = poll(world, clock, changed(arn))

    assert (result.ready, result.went_down, result.polls) == (True, False, 1)


OLD_PROCESS = {"outcome": "restart-pending", "checks": {"oldTokenRejected": False}}


def test_after_verify_saw_the_old_process_it_watches_for_the_restart(
    world: FakeWorld, clock: FakeClock
) -> None:
    """The old process still answers: a healthy answer says nothing new until the
    portal has gone down, so one invocation watches for the restart."""
    portal, arn = world.portal()
    clock.on_sleep[1] = portal.go_down
    clock.on_sleep[2] = portal.come_up

    old = {"outcome": "restart-pending", "checks": {"oldTokenRejected": False}}
    result = poll(world, clock, changed(arn, verify=old))

    assert (result.ready, result.went_down, result.polls) == (True, True, 3)


def test_an_old_process_still_healthy_is_reported_at_the_end_of_the_window(
    world: FakeWorld, clock: FakeClock
) -> None:
    _, arn = world.portal()

    old = {"outcome": "restart-pending", "checks": {"oldTokenRejected": False}}
    result = poll(world, clock, changed(arn, verify=old))

    assert (result.ready, result.went_down, result.polls) == (True, False, 4)


def test_a_token_service_warming_up_is_waited_for(world: FakeWorld, clock: FakeClock) -> None:
    """FAULTS row 30: health OK but generateToken answers 503: not back yet."""
    portal, arn = world.portal()
    warming = PortalUnavailable("generateToken: portal answered HTTP 503 (not available)")
    portal.fail("generate_token", warming, times=2)

    result = poll(world, clock, changed(arn))

    assert (result.ready, result.polls) == (True, 3)
    assert portal.count("generate_token") == 3


def test_a_pending_verify_for_another_reason_does_not_wait_for_a_restart(
    world: FakeWorld, clock: FakeClock
) -> None:
    _, arn = world.portal()
    warming = {"outcome": "restart-pending", "checks": {"tokenService": "not ready"}}

    assert poll(world, clock, changed(arn, verify=warming)).polls == 1


def test_polls_add_up_over_windows(world: FakeWorld, clock: FakeClock) -> None:
    _, arn = world.portal()
    earlier = {"ready": False, "polls": 7, "elapsedSeconds": 5.0, "wentDown": True}

    assert poll(world, clock, changed(arn, poll=earlier)).polls == 8


def test_while_the_portal_does_not_answer_it_is_polled_more_often(
    world: FakeWorld, clock: FakeClock
) -> None:
    """Issue 19 item 8: its return is what the run waits for, so the gap between polls
    while it is down bounds the lag to Verify; while it answers (the old process before
    its restart), the checks keep to healthPollSeconds."""
    portal, arn = world.portal()
    slept: list[float] = []
    clock.on_sleep[2] = portal.go_down
    clock.on_sleep[6] = portal.come_up
    st = changed(arn, timing={"downPollSeconds": 0.1}, verify=OLD_PROCESS)

    result = poll_health(
        st, world.services, sleep=lambda s: (slept.append(s), clock.sleep(s)), clock=clock
    )

    assert result.ready
    assert slept == [0.5, 0.5, 0.1, 0.1, 0.1, 0.1]


def test_a_down_poll_never_waits_longer_than_a_health_poll(
    world: FakeWorld, clock: FakeClock
) -> None:
    portal, arn = world.portal()
    portal.go_down()
    st = changed(arn, timing={"healthPollSeconds": 0.25, "downPollSeconds": 0.5})

    assert poll(world, clock, st).polls == 8
