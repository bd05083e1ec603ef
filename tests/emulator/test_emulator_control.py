"""The /__emulator/ control API: state, faults, log, from another process's viewpoint."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from portal_local.emulator import PortalEmulator
from portal_local.emulator.clock import ManualClock

from .helpers import FAST, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator


class Control:
    def __init__(self, emu: PortalEmulator) -> None:
        self.url = emu.control_url
        self.verify = emu.ca_bundle or True
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method: str, route: str, **kwargs: Any) -> requests.Response:
        return self.session.request(
            method, f"{self.url}/{route}", verify=self.verify, timeout=5, **kwargs
        )


@pytest.fixture
def control(emu: PortalEmulator) -> Control:
    return Control(emu)


def test_state_summary_has_no_key_values(start_emulator: StartEmulator) -> None:
    clock = ManualClock()
    emu = start_emulator(fast(), clock=clock)
    control, raw = Control(emu), RawPortal(emu)
    raw.update_key(raw.token(), "s" * 32)
    (state,) = control.call("GET", "state").json()["portals"]
    assert state["context"] == "arcgis"
    assert state["version"] == "11.3.0"
    assert state["update_count"] == 1
    assert state["phase"] == "lag"
    assert state["shared_key_fingerprint"] != state["stored_shared_key_fingerprint"]
    text = control.call("GET", "state").text
    assert "s" * 32 not in text
    assert raw.portal.shared_key not in text
    assert raw.portal.security_config["webgisServerTrustKey"] not in text
    clock.advance(FAST["restart_lag_seconds"] + FAST["restart_seconds"])
    assert control.call("GET", "state").json()["portals"][0]["phase"] == "up"
    (state,) = control.call("GET", "state").json()["portals"]
    assert state["restart_count"] == 1
    assert state["shared_key_fingerprint"] == state["stored_shared_key_fingerprint"]


def test_add_list_and_clear_faults(control: Control, raw: RawPortal, emu: PortalEmulator) -> None:
    added = control.call(
        "POST", "faults", json={"action": "http", "path": "portaladmin/healthCheck", "status": 502}
    )
    assert added.status_code == 201
    assert raw.health().status_code == 502
    listed = control.call("GET", "faults").json()["faults"]
    assert [f["action"] for f in listed] == ["http"]
    assert control.call("POST", "faults/clear").status_code == 200
    assert raw.health().status_code == 200
    control.call("POST", "faults", json={"action": "reset"})
    assert control.call("DELETE", "faults").status_code == 200
    assert emu.faults.active() == []


@pytest.mark.parametrize("body", [{"action": "explode"}, {"action": "reset", "x": 1}, [1]])
def test_invalid_fault_is_400(control: Control, body: object) -> None:
    response = control.call("POST", "faults", json=body)
    assert response.status_code == 400
    assert "invalid fault" in response.json()["error"]


def test_read_and_clear_the_log(control: Control, raw: RawPortal) -> None:
    token = raw.token()
    raw.admin("portaladmin", token)
    records = control.call("GET", "log").json()["records"]
    assert [r["path"] for r in records] == [
        "/arcgis/sharing/rest/generateToken",
        "/arcgis/portaladmin",
    ]
    assert records[1]["body_keys"] == ["token", "f"]
    assert token not in control.call("GET", "log").text
    assert control.call("GET", "log", params={"context": "other"}).json()["records"] == []
    assert control.call("POST", "log/clear").status_code == 200
    assert control.call("GET", "log").json()["records"] == []


def test_control_requests_are_not_logged(control: Control, emu: PortalEmulator) -> None:
    control.call("GET", "state")
    assert emu.request_log == []


def test_expire_tokens(control: Control, raw: RawPortal) -> None:
    token = raw.token()
    assert control.call("POST", "portals/arcgis/expire-tokens").status_code == 200
    assert raw.admin("portaladmin", token)["error"]["code"] == 498
    assert control.call("POST", "portals/nope/expire-tokens").status_code == 404


def test_unknown_route_is_404(control: Control) -> None:
    assert control.call("GET", "nothing").status_code == 404


def test_state_lists_machines_and_settings(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(machines=2, token_warmup_seconds=2.0))
    control = Control(emu)
    (state,) = control.call("GET", "state").json()["portals"]
    assert [m["role"] for m in state["machines"]] == ["primary", "standby"]
    assert [m["admin_url"] for m in state["machines"]] == emu.machine_urls()
    assert state["token_warmup_seconds"] == 2.0
    assert state["flavour"] == "enterprise"
    assert state["config_booleans_as_strings"] is True
    assert emu.portal().stored_shared_key not in control.call("GET", "state").text


def test_machine_fault_and_log_filter(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(machines=2))
    control = Control(emu)
    standby = emu.portal().machine(2).name
    added = control.call(
        "POST", "faults", json={"action": "http", "status": 502, "machine": standby}
    )
    assert added.status_code == 201
    assert added.json()["fault"]["machine"] == standby
    raw = RawPortal(emu)
    assert [raw.health().status_code for _ in range(2)] == [200, 502]
    records = control.call("GET", "log", params={"machine": standby}).json()["records"]
    assert [(r["machine"], r["status"], r["direct"]) for r in records] == [(standby, 502, False)]
