"""Failure injection: every Fault action, matching and counting."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from portal_local.emulator import Fault, PortalEmulator
from portal_local.emulator.clock import ManualClock

from .helpers import HANG_GUARD, RawPortal, StartEmulator, fast, wait_for

pytestmark = pytest.mark.emulator

HEALTH = "portaladmin/healthCheck"
NEW_KEY = "f" * 32


def test_delay(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="delay", path=HEALTH, seconds=0.3, times=1))
    started = time.monotonic()
    assert raw.health().status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emu.faults.active() == []  # used up: nothing delays the next request


def test_slow_answer_does_what_was_asked_then_holds_the_answer(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    """The update lands before its (late) answer: a client that gave up or died meanwhile
    never learns it landed. A hold_answer fault after the slow answer stops the request
    at the moment the answer would go, so the test sees the key in place while the client
    still waits, whatever the machine's load."""
    token = raw.token()
    emu.faults.add(Fault(action="slow_answer", path="*/tokens/update", seconds=0.5, times=1))
    hold = emu.faults.add(Fault(action="hold_answer", path="*/tokens/update", times=1))
    key = "b" * 31 + "Z"
    answers: list[dict[str, object]] = []
    client = threading.Thread(target=lambda: answers.append(raw.update_key(token, key)))
    started = time.monotonic()
    client.start()

    assert emu.faults.wait_reached(hold, timeout=30)
    assert raw.portal.stored_shared_key == key
    assert answers == []  # the client has no answer yet
    emu.faults.remove(hold)
    client.join(timeout=30)

    assert time.monotonic() - started >= 0.5
    assert answers[0]["status"] == "success"


def test_hold_stops_a_request_before_the_portal_acts_until_released(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    token = raw.token()
    before = raw.portal.stored_shared_key
    hold = emu.faults.add(Fault(action="hold", path="*/tokens/update", times=1))
    answers: list[dict[str, object]] = []
    client = threading.Thread(target=lambda: answers.append(raw.update_key(token, NEW_KEY)))
    client.start()

    assert emu.faults.wait_reached(hold, timeout=30)
    assert raw.portal.stored_shared_key == before  # not acted on while held
    assert raw.portal.update_count == 0
    assert emu.faults.remove(hold)
    client.join(timeout=30)

    assert answers[0]["status"] == "success"
    assert raw.portal.stored_shared_key == NEW_KEY
    assert not emu.faults.wait_reached(Fault(action="hold"), timeout=0)  # never added


def test_error_in_both_shapes(raw: RawPortal, emu: PortalEmulator) -> None:
    token = raw.token()
    emu.faults.add(Fault(action="error", path="portaladmin", code=500, message="Boom.", times=1))
    emu.faults.add(
        Fault(action="error", path="portaladmin", code=499, message="No.", style="status")
    )
    assert raw.admin("portaladmin", token) == {
        "error": {"code": 500, "message": "Boom.", "details": []}
    }
    assert raw.admin("portaladmin", token) == {"status": "error", "messages": ["No."], "code": 499}


def test_status_failed_answers_instead_of_the_portal(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="status_failed", path="*/tokens/update", messages=["Disk full."]))
    before = raw.portal.stored_shared_key
    body = raw.update_key(raw.token(), NEW_KEY)
    assert body == {"status": "failed", "messages": ["Disk full."]}
    assert raw.portal.stored_shared_key == before
    assert raw.portal.update_count == 0


def test_http_status_with_html(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="http", path=HEALTH, status=502, times=1))
    emu.faults.add(Fault(action="http", path=HEALTH, status=504, body="<html>slow</html>"))
    first, second = raw.health(), raw.health()
    assert first.status_code == 502
    assert first.headers["Content-Type"].startswith("text/html")
    assert (second.status_code, second.text) == (504, "<html>slow</html>")


def test_html_where_json_was_asked(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="html", path="portaladmin/security/*"))
    response = raw.post("portaladmin/security/tokens", token=raw.token(), f="json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_reset_aborts_the_connection(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="reset", path=HEALTH, times=1))
    with pytest.raises(requests.ConnectionError):
        raw.health()
    assert emu.request_log[-1].status is None
    assert raw.health().status_code == 200


def test_restart_forever_until_cleared(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(fast(restart_seconds=0.1, restart_lag_seconds=0.05), clock=clock)
    raw = RawPortal(emu)
    fault = emu.faults.add(Fault(action="restart_forever", times=1))
    raw.update_key(raw.token(), NEW_KEY)
    clock.advance(0.05)
    assert raw.portal.is_restarting
    clock.advance(0.4)  # four times the restart time
    assert raw.portal.is_restarting
    assert raw.health().status_code == 503
    assert emu.faults.active() == [fault]  # used up, still holding its restart
    emu.faults.clear()
    assert raw.portal.phase == "up"  # up at the first look once the hold is gone
    assert raw.portal.shared_key == NEW_KEY
    # the next restart is not held
    raw.update_key(raw.token(), "g" * 32)
    clock.advance(0.05 + 0.1)
    assert raw.portal.phase == "up"
    assert raw.portal.restart_count == 2


def test_restart_forever_only_for_its_context(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(
        fast(context="a", restart_seconds=0.1, restart_lag_seconds=0),
        fast(context="b", restart_seconds=0.1, restart_lag_seconds=0),
        clock=clock,
    )
    emu.faults.add(Fault(action="restart_forever", context="a"))
    for context in ("a", "b"):
        raw = RawPortal(emu, context)
        raw.update_key(raw.token(), NEW_KEY)
    clock.advance(0.1)
    assert emu.portal("b").phase == "up"
    assert emu.portal("a").is_restarting
    assert emu.faults.remove(emu.faults.active()[0])
    assert emu.portal("a").phase == "up"


def test_health_flap_follows_a_sequence(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="health_flap", sequence=("down", "ok", "down")))
    codes = [raw.health().status_code for _ in range(5)]
    assert codes == [503, 200, 503, 200, 200]
    assert emu.faults.active() == []


def test_health_flap_alternates_even_while_restarting(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="restart_forever"))
    raw.update_key(raw.token(), NEW_KEY)
    assert wait_for(lambda: raw.portal.is_restarting, timeout=HANG_GUARD)  # then held
    emu.faults.add(Fault(action="health_flap", times=4))
    codes = [raw.health().status_code for _ in range(5)]
    assert codes == [200, 503, 200, 503, 503]  # the last one is the real restart


def test_health_flap_touches_only_the_health_check(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="health_flap", sequence=("down",), times=5))
    assert "version" in raw.admin("portaladmin", raw.token())
    assert raw.health().status_code == 503


def test_matching_by_method_context_and_glob(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(context="a"), fast(context="b"))
    a, b = RawPortal(emu, "a"), RawPortal(emu, "b")
    emu.faults.add(Fault(action="http", status=503, method="POST", path=HEALTH))
    emu.faults.add(Fault(action="http", status=500, context="b", path="portaladmin/*"))
    assert a.health().status_code == 200  # GET
    assert a.post(HEALTH, f="json").status_code == 503
    assert b.health().status_code == 500
    emu.faults.clear()
    emu.faults.add(Fault(action="http", status=502, path="/b/portaladmin/healthCheck"))
    assert (a.health().status_code, b.health().status_code) == (200, 502)


def test_first_answering_fault_wins_and_delays_add_up(raw: RawPortal, emu: PortalEmulator) -> None:
    emu.faults.add(Fault(action="delay", seconds=0.1))
    emu.faults.add(Fault(action="delay", seconds=0.1, path=HEALTH))
    emu.faults.add(Fault(action="http", status=502))
    emu.faults.add(Fault(action="http", status=504))
    started = time.monotonic()
    assert raw.health().status_code == 502
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "explode"},
        {"action": "error", "times": 0},
        {"action": "health_flap", "sequence": ("up",)},
        {"action": "error", "style": "xml"},
    ],
)
def test_invalid_faults(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError
        Fault(**kwargs)  # type: ignore[arg-type]


def test_fault_round_trips_as_a_dict() -> None:
    fault = Fault(action="health_flap", sequence=("ok", "down"), context="/arcgis/")
    copy = Fault.from_dict(fault.to_dict())
    assert copy.to_dict() == fault.to_dict()
    assert copy.context == "arcgis"
    with pytest.raises(ValueError, match="unknown fault fields"):
        Fault.from_dict({"action": "reset", "bogus": 1})


# --- hostile answers (issue 18) ---------------------------------------------------------


def test_drip_sends_the_answer_a_piece_at_a_time(raw: RawPortal, emu: PortalEmulator) -> None:
    """The answer takes the drip's seconds, twice the read timeout, and still arrives
    whole: each read got bytes in time (what a per-read timeout alone never cuts)."""
    token = raw.token()
    emu.faults.add(Fault(action="drip", path="portaladmin", seconds=3.0, times=1))
    started = time.monotonic()

    response = raw.session.post(
        f"{raw.url}/portaladmin",
        data={"token": token, "f": "json"},
        headers={"Referer": "https://automation.example.com"},
        verify=raw.verify,
        timeout=(5.0, 1.5),
    )

    assert time.monotonic() - started >= 3.0
    assert response.json()["version"] == raw.portal.version


def test_huge_pads_the_answer_after_doing_what_was_asked(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    token = raw.token()
    emu.faults.add(Fault(action="huge", path="*/tokens/update", size=3 * 1024 * 1024, times=1))
    key = "c" * 31 + "Y"

    response = raw.post_form(
        "portaladmin/security/tokens/update",
        {"token": token, "f": "json", "tokenConfig": json.dumps({"sharedKey": key})},
    )

    assert "Content-Length" not in response.headers
    assert len(response.content) == 3 * 1024 * 1024
    assert response.json()["status"] == "success"
    assert raw.portal.stored_shared_key == key  # the update landed


@pytest.mark.parametrize(("echo_as", "shown"), [("hex", "hex"), ("fragment", "middle")])
def test_an_error_echoes_a_submitted_field_as_hex_or_a_fragment(
    raw: RawPortal, emu: PortalEmulator, echo_as: str, shown: str
) -> None:
    password = raw.portal.settings.admin_password
    emu.faults.add(
        Fault(
            action="error",
            path="sharing/rest/generateToken",
            code=400,
            message="Unable to generate token.",
            echo="password",
            echo_as=echo_as,  # type: ignore[arg-type]
            times=1,
        )
    )

    message = raw.token_response()["error"]["message"]

    if shown == "hex":
        assert password.encode().hex() in message
    else:
        middle = len(password) // 2 - 5
        assert f"'{password[middle : middle + 10]}'" in message
    assert password not in message
