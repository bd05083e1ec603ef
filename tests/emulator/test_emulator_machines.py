"""portaladmin/machines and machines/status for a portal of one machine (PORTAL_API.md 7a):
its adminURL is internal and must never be called."""

from __future__ import annotations

import pytest
import requests
from portal_local.emulator import PortalSettings

from .helpers import RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

INTERNAL_NAME = "portal-machine-1.internal.invalid"
INTERNAL_URL = f"https://{INTERNAL_NAME}:7443/arcgis"


def test_one_machine_is_listed_with_an_internal_admin_url(raw: RawPortal) -> None:
    body = raw.get_admin("portaladmin/machines", raw.token(), f="json").json()
    (machine,) = body["machines"]
    assert machine["machineName"] == INTERNAL_NAME
    assert machine["adminURL"] == INTERNAL_URL
    assert machine["role"] == "primary"
    assert machine["platform"]
    assert raw.emu.machine_urls() == [INTERNAL_URL]
    assert raw.admin("portaladmin/machines", raw.token()) == body  # POST works as well


def test_requests_name_the_machine_that_answered(raw: RawPortal) -> None:
    raw.health()
    (record,) = raw.emu.request_log
    assert record.machine == INTERNAL_NAME
    assert record.direct is False
    assert raw.emu.requests_for(machine=1) == [record]


def test_machine_status(raw: RawPortal) -> None:
    token = raw.token()
    for name in (INTERNAL_NAME, INTERNAL_NAME.upper()):
        body = raw.get_admin(f"portaladmin/machines/status/{name}", token, f="json").json()
        assert body == {"status": "success"}
    unknown = raw.admin("portaladmin/machines/status/other.example.com", token)
    assert unknown["error"]["code"] == 404
    assert raw.admin(f"portaladmin/machines/status/{INTERNAL_NAME}", "nope")["error"]["code"] == 498


def test_machines_need_an_administrator(raw: RawPortal) -> None:
    viewer = raw.viewer_token()
    assert raw.admin("portaladmin/machines", viewer)["error"]["code"] == 403
    path = f"portaladmin/machines/status/{INTERNAL_NAME}"
    assert raw.admin(path, viewer)["error"]["code"] == 403
    assert raw.get("portaladmin/machines", f="json").json()["error"]["code"] == 499


@pytest.mark.parametrize(("version", "exists"), [("10.7.1", False), ("10.8", True)])
def test_machine_resource_from_10_8(
    start_emulator: StartEmulator, version: str, exists: bool
) -> None:
    raw = RawPortal(start_emulator(fast(version=version)))
    body = raw.admin(f"portaladmin/machines/{INTERNAL_NAME}", raw.token())
    if exists:
        assert body == raw.admin("portaladmin/machines", raw.token())["machines"][0]
    else:
        assert body["error"]["code"] == 404


def test_trap_mode_logs_any_call_to_the_internal_admin_url(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(single_machine_url="trap"))
    raw = RawPortal(emu)
    (url,) = emu.machine_urls()
    assert url.startswith("https://127.0.0.1:")
    assert url.endswith("/arcgis")
    assert raw.admin("portaladmin/machines", raw.token())["machines"][0]["adminURL"] == url
    assert not [r for r in emu.request_log if r.direct]
    direct = RawPortal(emu, machine=1)
    with pytest.raises(requests.ConnectionError):
        direct.health()
    (trapped,) = [r for r in emu.request_log if r.direct]
    assert trapped.machine == INTERNAL_NAME
    assert trapped.status is None
    assert trapped.path == "/arcgis/portaladmin/healthCheck"


def test_machine_settings_are_checked() -> None:
    for bad in (
        {"machines": 3},
        {"machines": 0},
        {"unreachable_machine": 1},  # needs two machines
        {"machines": 2, "unreachable_machine": 3},
        {"machines": 2, "single_machine_url": "trap"},
        {"machines": 2, "standby_restart_delay_seconds": -1},
        {"machines": 2, "flavour": "kubernetes"},
        {"single_machine_url": "dns"},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies
            PortalSettings(**bad)  # type: ignore[arg-type]
