"""portaladmin/machines and machines/status for a portal of one machine (PORTAL_API.md 7a):
its adminURL is internal and must never be called."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests
from portal_local.emulator import PortalSettings

from .helpers import RawPortal, StartEmulator, fast, wait_for

pytestmark = pytest.mark.emulator

INTERNAL_NAME = "portal-machine-1.arcgis.internal.invalid"
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


# --- a compromised or misconfigured portal (issue 18) -----------------------------------


def test_each_portal_names_its_own_machines(start_emulator: StartEmulator) -> None:
    """Two portals never list the same machine name (real machines have their own)."""
    emu = start_emulator(fast(context="one"), fast(context="two"))
    assert emu.portal("one").machines[0].name != emu.portal("two").machines[0].name


def listed(emu_raw: RawPortal) -> list[dict[str, str]]:
    machines: list[dict[str, str]] = emu_raw.admin("portaladmin/machines", emu_raw.token())[
        "machines"
    ]
    return machines


@pytest.mark.parametrize(
    ("listing", "host"), [("other-host", "127.0.0.2"), ("other-port", "127.0.0.1")]
)
def test_a_listing_elsewhere_points_at_a_trap_that_logs_every_connection(
    start_emulator: StartEmulator, listing: str, host: str
) -> None:
    emu = start_emulator(fast(machines=2, machine_listing=listing))
    raw = RawPortal(emu)
    primary, elsewhere = listed(raw)
    assert primary["adminURL"] == emu.machine_urls()[0]
    parts = urlsplit(elsewhere["adminURL"])
    assert parts.hostname == host
    assert parts.port not in {urlsplit(u).port for u in emu.machine_urls()}
    assert not [r for r in emu.request_log if r.direct]

    with socket.create_connection((host, parts.port), timeout=5):
        pass

    assert wait_for(lambda: [r.method for r in emu.request_log if r.direct] == ["CONNECT"])


def test_a_private_address_and_userinfo_listing(start_emulator: StartEmulator) -> None:
    private = start_emulator(fast(machines=2, machine_listing="private-address"))
    assert listed(RawPortal(private))[1]["adminURL"] == "https://10.255.255.1:7443/arcgis"
    userinfo = start_emulator(fast(machines=2, machine_listing="userinfo"))
    url = urlsplit(listed(RawPortal(userinfo))[1]["adminURL"])
    assert (url.username, url.password) == ("portaladmin", "listed")
    assert url.port == urlsplit(userinfo.machine_urls()[1]).port


def test_thousands_of_machines_huge_and_forged_names(start_emulator: StartEmulator) -> None:
    many = listed(RawPortal(start_emulator(fast(machine_listing="thousands"))))
    assert len(many) == 1 + 1_500
    assert len({m["machineName"] for m in many}) == len(many)
    huge = listed(RawPortal(start_emulator(fast(machine_listing="huge-names"))))
    assert len(huge[0]["machineName"]) > 100_000
    forged = listed(RawPortal(start_emulator(fast(machine_listing="forged-names"))))
    assert {"\x1b", "\r", "\n", "\x07", "\x9b"} <= set(forged[0]["machineName"])


def test_an_administrator_without_the_default_role_may_not_list_machines(
    start_emulator: StartEmulator,
) -> None:
    """Esri: portaladmin/machines is for the default administrator role only; an
    account with "Security and Infrastructure" still manages the token key."""
    emu = start_emulator(fast(admin_role="security-and-infrastructure"))
    raw = RawPortal(emu)
    token = raw.token()

    assert raw.admin("portaladmin/machines", token)["error"]["code"] == 403
    assert "sharedKey" in raw.admin("portaladmin/security/tokens", token)
    assert raw.update_key(token, "d" * 32)["status"] == "success"


def test_an_alias_context_reaches_the_same_portal(start_emulator: StartEmulator) -> None:
    """A Web Adaptor in front of the portal: two URLs, one database."""
    emu = start_emulator(fast(context="arcgis", alias_contexts=("portal",)))
    direct, adaptor = RawPortal(emu), RawPortal(emu, "portal")
    assert adaptor.url.endswith("/portal")
    assert direct.url.endswith("/arcgis")

    assert adaptor.update_key(adaptor.token(), "e" * 32)["status"] == "success"

    assert emu.portal("portal") is emu.portal("arcgis")
    assert emu.portal().stored_shared_key == "e" * 32
    assert listed(adaptor) == listed(direct)
    with pytest.raises(ValueError, match="alias"):
        PortalSettings(context="arcgis", alias_contexts=("arcgis",))
