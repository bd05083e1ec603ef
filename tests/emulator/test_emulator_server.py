"""ArcGIS Server sites (SERVER_API.md): the Administrator Directory and the services
directory's health check, hosted at a context beside portals, with the shared HTTP, TLS,
routing, faults, request log and restarts."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from portal_local.emulator import Fault, PortalEmulator, ServerSettings
from portal_local.leaks import secret_values

from .helpers import RawPortal, RawServer, StartEmulator, fast, fast_server, wait_for

pytestmark = pytest.mark.emulator

KEY = "K3yOfFortyThreeAlphanumericCharactersXyz012"  # 43 characters
OTHER_KEY = "An0therKeyOfFortyThreeAlphanumericCharsQ987"
DECRYPT = "Could not decrypt token. Token may not be valid."


def server(start_emulator: StartEmulator, **overrides: Any) -> RawServer:
    return RawServer(start_emulator(fast_server(**overrides)))


def error(body: dict[str, Any]) -> tuple[str, int, list[str]]:
    return body["status"], body["code"], body["messages"]


# ---- a site beside a portal, and what it says about itself ----


def test_a_site_and_a_portal_on_one_emulator(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(context="portal"), fast_server(context="server"))
    portal, site = RawPortal(emu, "portal"), RawServer(emu, "server")
    assert site.url == f"{emu.base_url}/server"
    assert emu.server().kind == "server"
    assert emu.portal().kind == "portal"
    assert [s.context for s in emu.sites] == ["portal", "server"]
    assert site.admin("admin/info", site.token())["currentversion"] == "11.3"
    assert "version" in portal.admin("portaladmin", portal.token())
    # a portal's token is nothing to the site, and the other way round
    assert error(site.admin("admin/info", portal.token()))[1] == 498
    assert portal.admin("portaladmin", site.token())["error"]["code"] == 498
    assert {r.context for r in emu.request_log} == {"portal", "server"}


@pytest.mark.parametrize(
    ("version", "build", "full"),
    [("11.3", "51575", "11.3.0"), ("11.5", "56632", "11.5.0"), ("12.0", "60100", "12.0.0")],
)
def test_info_per_version(
    start_emulator: StartEmulator, version: str, build: str, full: str
) -> None:
    raw = server(start_emulator, version=version)
    info = raw.admin("admin/info", raw.token())
    assert (info["currentversion"], info["currentbuild"], info["fullVersion"]) == (
        version,
        build,
        full,
    )
    root = raw.admin("admin", raw.token())
    assert root["fullVersion"] == full
    assert "security" in root["resources"]


def test_info_of_an_older_site_has_no_full_version(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator, version="10.9.1")
    info = raw.admin("admin/info", raw.token())
    assert info["currentversion"] == "10.9.1"
    assert "fullVersion" not in info


def test_json_comes_as_text_plain(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    response = raw.post_form("admin/info", {"f": "json", "token": raw.token()})
    assert response.headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert response.json()["currentversion"] == "11.3"


# ---- tokens ----


def test_generate_token_is_post_only_and_its_expiry_a_string(
    start_emulator: StartEmulator,
) -> None:
    raw = server(start_emulator)
    before = int(time.time() * 1000)
    body = raw.token_response(expiration="5")
    after = int(time.time() * 1000)
    assert isinstance(body["expires"], str)
    assert before + 5 * 60_000 <= int(body["expires"]) <= after + 5 * 60_000
    got = raw.get("admin/generateToken", f="json")
    assert got.status_code == 200
    assert error(got.json())[:2] == ("error", 405)


def test_generate_token_is_capped_at_the_long_timeout(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator, initial_token_properties={"longTimeout": "10"})
    expires = int(raw.token_response(expiration="600")["expires"])
    assert expires <= int(time.time() * 1000) + 10 * 60_000


def test_generate_token_refusals_are_status_errors(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    assert error(raw.token_response(password="wrong")) == (
        "error",
        400,
        ["Unable to generate token.", "Invalid user name or password."],
    )
    assert error(raw.token_response(client="referer", referer=""))[1] == 400
    assert error(raw.token_response(client="ip"))[1] == 400
    assert error(raw.token_response(client="nobody"))[1] == 400


def test_tokens_are_bound_to_the_referer_or_the_address(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    token = raw.token()
    other = raw.post_form(
        "admin/info", {"f": "json", "token": token}, referer_header="https://elsewhere.example"
    )
    assert error(other.json())[1] == 498
    by_address = raw.token(client="requestip")
    assert raw.admin("admin/info", by_address)["currentversion"] == "11.3"


def test_admin_refusals(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    assert error(raw.post_form("admin/info", {"f": "json"}).json())[1:] == (
        499,
        [
            "Unauthorized access. Token not found. You can generate a token using the "
            "'generateToken' operation."
        ],
    )
    assert error(raw.admin("admin/info", "not-a-token"))[1:] == (498, [DECRYPT])
    expired = raw.token()
    raw.portal.expire_tokens()
    assert error(raw.admin("admin/info", expired))[1:] == (498, ["Token Expired."])
    assert raw.admin("admin/info", raw.token())["currentversion"] == "11.3"
    assert error(raw.admin("admin/security/tokens", raw.publisher_token()))[1] == 403


def test_resources_answer_get_with_the_token_in_the_query(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    got = raw.get("admin/machines", f="json", token=raw.token()).json()
    assert [m["adminURL"] for m in got["machines"]] == raw.emu.machine_urls()


# ---- the services directory ----


def test_health_check_and_the_services_directory_error_shape(
    start_emulator: StartEmulator,
) -> None:
    raw = server(start_emulator)
    health = raw.health()
    assert (health.status_code, health.json()) == (200, {"success": True})
    missing = raw.get("rest/services/Nothing/MapServer", f="json").json()
    assert missing["error"]["code"] == 404
    unknown_admin = raw.admin("admin/nothing/here", raw.token())
    assert error(unknown_admin)[:2] == ("error", 404)
    assert raw.get("rest/info", f="json").json()["fullVersion"] == "11.3.0"


# ---- the token manager configuration and its update ----


def test_token_config_and_an_update_without_a_restart(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator, machines=1, initial_token_properties={"custom": {"a": 1}})
    token = raw.token()
    config = raw.admin("admin/security/tokens", token)
    assert config["type"] == "BUILTIN"
    assert config["properties"]["longTimeout"] == "2880"
    assert config["properties"]["custom"] == {"a": 1}
    assert config["properties"]["sharedKey"] == raw.portal.stored_shared_key
    config["properties"]["sharedKey"] = KEY
    assert raw.update_token_config(token, config) == {"status": "success"}

    # no restart: the old token is dead at once, a fresh one works, the rest is kept
    assert raw.portal.phase == "up"
    assert raw.portal.restart_count == 0
    assert raw.portal.update_count == 1
    assert raw.portal.shared_key == KEY
    assert error(raw.admin("admin/info", token))[1:] == (498, [DECRYPT])
    read = raw.admin("admin/security/tokens", raw.token())
    assert read == config


def test_an_update_replaces_the_whole_configuration(start_emulator: StartEmulator) -> None:
    """A property the update leaves out goes back to its factory value."""
    raw = server(start_emulator, initial_token_properties={"custom": "kept?"})
    raw.update_token_config(raw.token(), {"type": "BUILTIN", "properties": {"sharedKey": KEY}})
    properties = raw.portal.token_manager_config["properties"]
    assert properties == {"sharedKey": KEY, "longTimeout": "1440", "shortTimeout": "60"}


def test_an_update_with_a_restart(start_emulator: StartEmulator) -> None:
    raw = server(
        start_emulator, key_update_restarts=True, restart_lag_seconds=0.3, restart_seconds=0.6
    )
    token = raw.token()
    assert raw.update_key(token, KEY) == {"status": "success"}
    # lag: the old process answers with the old key
    assert raw.portal.phase == "lag"
    assert raw.admin("admin/info", token)["currentversion"] == "11.3"
    assert raw.portal.stored_shared_key == KEY
    assert raw.portal.shared_key != KEY
    # down: behind the Web Adaptor, 503 on the health check and 502 elsewhere
    assert wait_for(lambda: raw.portal.is_restarting, timeout=2)
    assert raw.health().status_code == 503
    assert raw.post("admin/info", token=token, f="json").status_code == 502
    # up with the new key
    assert wait_for(lambda: raw.health().status_code == 200, timeout=3)
    assert raw.portal.shared_key == KEY
    assert raw.portal.restart_count == 1
    assert error(raw.admin("admin/info", token))[1:] == (498, [DECRYPT])
    assert raw.admin("admin/info", raw.token())["currentversion"] == "11.3"


def test_a_site_that_refuses_the_key(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator, refused_key_length=32, alphanumeric_keys_only=True)
    before = raw.portal.stored_shared_key
    token = raw.token()
    status, code, messages = error(raw.update_key(token, KEY))
    assert (status, code) == ("error", 500)
    assert "alphanumeric" in messages[0]
    assert error(raw.update_key(token, "short-but-not-alphanumeric"))[1] == 500
    assert raw.portal.stored_shared_key == before
    assert raw.portal.update_count == 0
    assert raw.update_key(token, "Sh0rtAndAlphanumeric") == {"status": "success"}


def test_a_token_manager_other_than_builtin(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator, token_manager_type="EXTERNAL")
    config = raw.admin("admin/security/tokens", raw.token())
    assert config["type"] == "EXTERNAL"
    assert "sharedKey" not in config["properties"]
    assert raw.portal.secret_values_seen()  # its own signing key, for the leak search


def test_update_refusals(start_emulator: StartEmulator) -> None:
    raw = server(start_emulator)
    token = raw.token()
    got = raw.get("admin/security/tokens/update", f="json", token=token).json()
    assert error(got)[1] == 405
    assert error(raw.admin("admin/security/tokens/update", token))[1] == 500
    assert error(raw.update_token_config(token, {"properties": {}}))[1] == 500
    assert error(raw.update_token_config(token, {"type": "BUILTIN"}))[1] == 500
    config = raw.portal.token_manager_config
    assert error(raw.update_token_config(raw.publisher_token(), config))[1] == 403
    assert raw.portal.update_count == 0


# ---- machines ----


def test_several_machines_share_the_key_through_the_config_store(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(
        fast_server(
            machines=3,
            key_update_restarts=True,
            restart_lag_seconds=0.1,
            restart_seconds=0.3,
            restart_stagger_seconds=0.6,
        )
    )
    raw = RawServer(emu)
    token = raw.token()
    listed = raw.admin("admin/machines", token)["machines"]
    names = [m["machineName"] for m in listed]
    assert names == [f"SERVER-{n}.SERVER.INTERNAL.INVALID" for n in (1, 2, 3)]
    urls = [m["adminURL"] for m in listed]
    assert urls == emu.machine_urls()
    assert all(u.startswith("https://127.0.0.1:") and u.endswith("/arcgis/admin") for u in urls)
    assert len({urlsplit(u).port for u in urls} | {emu.port}) == 4

    # a token made at the site's URL works on each machine directly (same key, referer)
    direct = [RawServer(emu, machine=n) for n in (1, 2, 3)]
    for machine in direct:
        assert machine.admin("admin/info", token)["currentversion"] == "11.3"
        assert machine.health().json() == {"success": True}

    raw.update_key(token, KEY)
    first, _, last = raw.portal.machines
    assert wait_for(lambda: first.shared_key == KEY and first.phase == "up", timeout=3)
    assert last.shared_key != KEY  # staggered: the last one still runs the old key
    assert direct[2].admin("admin/info", token)["currentversion"] == "11.3"
    assert error(direct[0].admin("admin/info", token))[1] == 498
    assert raw.portal.wait_until_up(timeout=4)
    assert {m.shared_key for m in raw.portal.machines} == {KEY}
    assert [m.restart_count for m in raw.portal.machines] == [1, 1, 1]
    assert {r.machine for r in emu.requests_for(machine=3)} == {names[2]}


def test_without_a_restart_every_machine_runs_the_new_key_at_once(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(fast_server(machines=2))
    raw = RawServer(emu)
    raw.update_key(raw.token(), KEY)
    assert [m.shared_key for m in raw.portal.machines] == [KEY, KEY]
    assert raw.portal.restart_count == 0


def test_an_unreachable_machine_refuses_connections(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast_server(machines=2, unreachable_machine=2))
    url = emu.machine_urls()[1]
    parts = urlsplit(url)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    assert RawServer(emu).health().status_code == 200  # the balancer still serves it


def test_one_machine_is_listed_at_a_name_that_never_resolves(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(fast_server())
    (url,) = emu.machine_urls()
    assert url == "https://SERVER-1.SERVER.INTERNAL.INVALID:6443/arcgis/admin"


# ---- the shared machinery: faults, refuse mode, control API ----


def test_faults_apply_to_a_site(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast_server(key_update_restarts=True))
    raw = RawServer(emu)
    emu.faults.add(Fault(action="http", path="admin/security/tokens/update", status=502, times=1))
    token = raw.token()
    assert raw.post("admin/security/tokens/update", token=token, f="json").status_code == 502
    emu.faults.add(Fault(action="error", path="admin/info", code=500, style="status", times=1))
    assert error(raw.admin("admin/info", token))[1] == 500
    hold = emu.faults.add(Fault(action="restart_forever", context="server"))
    raw.update_key(token, KEY)
    assert wait_for(lambda: raw.portal.is_restarting, timeout=2)
    assert not raw.portal.wait_until_up(timeout=1.0)  # past restart_seconds: held down
    emu.faults.remove(hold)
    assert raw.portal.wait_until_up(timeout=3)


def test_refuse_mode_while_a_single_site_restarts(start_emulator: StartEmulator) -> None:
    emu = start_emulator(
        fast_server(down_mode="refuse", key_update_restarts=True, restart_seconds=0.8)
    )
    raw = RawServer(emu)
    raw.update_key(raw.token(), KEY)
    assert wait_for(lambda: raw.portal.is_restarting, timeout=2)
    with pytest.raises(requests.ConnectionError):
        raw.health()
    assert wait_for(lambda: raw.portal.phase == "up", timeout=3)
    assert wait_for(lambda: _answers(raw), timeout=2)


def _answers(raw: RawServer) -> bool:
    try:
        return raw.health().status_code == 200
    except requests.ConnectionError:
        return False


def test_control_api_lists_sites(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(), fast_server())
    session = requests.Session()
    session.trust_env = False
    verify = emu.ca_bundle or True
    state = session.get(f"{emu.control_url}/state", verify=verify, timeout=5).json()
    (site,) = state["servers"]
    assert site["kind"] == "server"
    assert site["token_manager_type"] == "BUILTIN"
    assert KEY not in json.dumps(state)
    raw = RawServer(emu)
    token = raw.token()
    expired = session.post(
        f"{emu.control_url}/servers/server/expire-tokens", verify=verify, timeout=5
    )
    assert expired.json() == {"status": "success"}
    assert error(raw.admin("admin/info", token))[1:] == (498, ["Token Expired."])
    wrong_kind = session.post(
        f"{emu.control_url}/portals/server/expire-tokens", verify=verify, timeout=5
    )
    assert wrong_kind.status_code == 404


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="unsupported server version"):
        ServerSettings(version="9.0")
    with pytest.raises(ValueError, match="machines"):
        ServerSettings(machines=5)
    with pytest.raises(ValueError, match="unreachable_machine"):
        ServerSettings(machines=1, unreachable_machine=1)
    with pytest.raises(ValueError, match="reserved"):
        ServerSettings(context="__emulator")
    with pytest.raises(KeyError, match="not a server"):
        PortalEmulator(fast()).server("arcgis")


def test_the_leak_search_knows_every_key_and_token_of_a_site(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(fast(), fast_server())
    raw = RawServer(emu)
    first_key = raw.portal.stored_shared_key
    token = raw.token()
    raw.update_key(token, KEY)
    values = secret_values(emu, ["a-password"])
    assert {first_key, KEY, token, "a-password"} <= values
    assert emu.portal().stored_shared_key in values
