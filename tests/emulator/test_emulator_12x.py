"""Portals 11.4 to 12.x as ARCGIS_FACTS_12X.md describes them: Esri's default proxy
hosts, the nested Content-Security-Policy, user types from the license, federated server
validation, and an update whose answer is lost after it applied (PORTAL_API.md 6a-6d)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from portal_local.emulator import Fault, PortalEmulator
from portal_local.emulator.security_config import ESRI_PROXY_HOSTS

from .helpers import REFERER, RawPortal, StartEmulator, fast, wait_for

pytestmark = pytest.mark.emulator

CONFIG = "portaladmin/security/config"
SET_DEFAULTS = "sharing/rest/portals/self/setUserDefaultSettings"
VALIDATE = "portaladmin/federation/servers/validate"
ESRI = ",".join(ESRI_PROXY_HOSTS)


def portal(start_emulator: StartEmulator, **settings: Any) -> RawPortal:
    return RawPortal(start_emulator(fast(**settings)))


def config_of(raw: RawPortal) -> dict[str, Any]:
    return raw.admin(CONFIG, raw.token())


# --- proxy hosts ----------------------------------------------------------------------


def test_a_12_0_portal_restricts_its_proxy_to_esris_hosts(start_emulator: StartEmulator) -> None:
    assert config_of(portal(start_emulator, version="12.0"))["allowedProxyHosts"] == ESRI
    assert config_of(portal(start_emulator, version="11.5"))["allowedProxyHosts"] == ""


def test_an_upgraded_12_0_portal_keeps_its_hosts_and_gains_esris(
    start_emulator: StartEmulator,
) -> None:
    raw = portal(
        start_emulator,
        version="12.1",
        initial_security_config={"allowedProxyHosts": "maps.example.com,(.*).arcgis.com"},
    )
    hosts = config_of(raw)["allowedProxyHosts"].split(",")
    assert hosts[:2] == ["maps.example.com", "(.*).arcgis.com"]
    assert sorted(hosts) == sorted({"maps.example.com", *ESRI_PROXY_HOSTS})


def test_a_12_0_update_that_leaves_the_hosts_out_restores_esris(
    start_emulator: StartEmulator,
) -> None:
    raw = portal(start_emulator, version="12.0")
    config = config_of(raw)
    raw.update_config(raw.token(), {**config, "allowedProxyHosts": "maps.example.com"})
    assert raw.portal.security_config["allowedProxyHosts"] == "maps.example.com"
    config.pop("allowedProxyHosts")
    raw.update_config(raw.token(), config)
    assert raw.portal.security_config["allowedProxyHosts"] == ESRI


@pytest.mark.parametrize(("mode", "stored"), [("kept", ""), ("defaults", ESRI)])
def test_what_an_empty_list_means_on_12_0_is_a_setting(
    start_emulator: StartEmulator, mode: str, stored: str
) -> None:
    raw = portal(start_emulator, version="12.0", empty_proxy_hosts=mode)
    raw.update_config(raw.token(), {**config_of(raw), "allowedProxyHosts": ""})
    assert raw.portal.security_config["allowedProxyHosts"] == stored


# --- the nested Content-Security-Policy ------------------------------------------------


def test_the_csp_object_is_in_the_config_from_11_4(start_emulator: StartEmulator) -> None:
    csp = config_of(portal(start_emulator, version="11.4"))["contentSecurityPolicy"]
    assert set(csp) == {"home", "apps", "sharing"}
    assert "contentSecurityPolicy" not in config_of(portal(start_emulator, version="11.3"))


def test_an_update_that_drops_the_csp_object_or_a_member_resets_it(
    start_emulator: StartEmulator,
) -> None:
    raw = portal(start_emulator, version="12.0")
    config = config_of(raw)
    factory = dict(config["contentSecurityPolicy"])
    mine = {"home": "frame-ancestors 'none'", "apps": "frame-ancestors 'none'", "sharing": "x"}
    raw.update_config(raw.token(), {**config, "contentSecurityPolicy": mine})
    assert raw.portal.security_config["contentSecurityPolicy"] == mine

    raw.update_config(raw.token(), {**config, "contentSecurityPolicy": {"home": "h"}})
    assert raw.portal.security_config["contentSecurityPolicy"] == {**factory, "home": "h"}
    config.pop("contentSecurityPolicy")
    raw.update_config(raw.token(), config)
    assert raw.portal.security_config["contentSecurityPolicy"] == factory


def test_a_csp_that_is_not_an_object_of_strings_is_refused(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="11.4")
    config = config_of(raw)
    answer = raw.update_config(raw.token(), {**config, "contentSecurityPolicy": {"home": 1}})
    assert answer["error"]["code"] == 400
    assert raw.portal.update_count == 0


# --- user types --------------------------------------------------------------------------


def license_types(raw: RawPortal) -> list[str]:
    body = raw.admin("portaladmin/license", raw.token())
    assert {"currentRegisteredMembers", "maximumRegisteredMembers", "userTypes"} <= set(body)
    return [entry["id"] for entry in body["userTypes"]]


@pytest.mark.parametrize(
    ("version", "ids", "listed", "absent"),
    [
        ("11.3", "kept", {"GISProfessionalBasicUT", "editorUT"}, {"viewerUT"}),
        ("11.4", "kept", {"viewerUT", "GISProfessionalStdUT", "GISProfessionalBasicUT"}, set()),
        ("12.0", "renamed", {"professionalUT", "contributorUT"}, {"GISProfessionalBasicUT"}),
    ],
)
def test_the_license_lists_the_user_types_of_the_version(
    start_emulator: StartEmulator, version: str, ids: str, listed: set[str], absent: set[str]
) -> None:
    types = set(license_types(portal(start_emulator, version=version, user_type_ids=ids)))
    assert listed <= types
    assert not absent & types


def set_defaults(raw: RawPortal, user_type: str, role: str = "account_user") -> dict[str, Any]:
    return raw.admin(SET_DEFAULTS, raw.token(), role=role, userLicenseType=user_type)


def test_a_retired_user_type_cannot_be_the_default_from_11_4(start_emulator: StartEmulator) -> None:
    assert "success" in set_defaults(
        portal(start_emulator, version="11.3"), "GISProfessionalBasicUT"
    )
    raw = portal(start_emulator, version="11.4")
    answer = set_defaults(raw, "GISProfessionalBasicUT")
    assert answer["error"]["code"] == 400
    assert raw.portal.user_defaults_update_count == 0


def test_renamed_user_types_are_the_defaults_a_portal_takes(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="12.1", user_type_ids="renamed")
    assert set_defaults(raw, "GISProfessionalStdUT")["error"]["code"] == 400
    assert "success" in set_defaults(raw, "professionalUT", "account_publisher")
    assert set_defaults(raw, "contributorUT", "account_publisher")["error"]["code"] == 400


# --- federated servers ------------------------------------------------------------------


def test_validate_servers_reports_each_server(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="12.0", federated_servers=("success", "failure"))
    body = raw.get_admin(VALIDATE, raw.token(), f="json").json()
    assert body["status"] == "success"
    first, second = body["serversStatus"]
    assert (first["status"], second["status"]) == ("success", "failure")
    assert first["adminUrl"].startswith("https://")
    assert len(first["serverId"]) == 16
    assert "is not accessible" in second["messages"][0]
    assert raw.admin(VALIDATE, raw.token())["serversStatus"][0]["status"] == "success"


def test_before_11_1_the_answer_has_no_admin_url(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="11.0")
    (server,) = raw.admin(VALIDATE, raw.token())["serversStatus"]
    assert "adminUrl" not in server


def test_validation_can_fail_for_a_while_after_a_restart(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="12.0", federation_failure_after_restart_seconds=0.6)
    raw.update_key(raw.token(), None)
    assert raw.portal.wait_until_up(5)
    statuses = raw.admin(VALIDATE, raw.token())["serversStatus"]
    assert [s["status"] for s in statuses] == ["failure"]
    assert wait_for(
        lambda: raw.admin(VALIDATE, raw.token())["serversStatus"][0]["status"] == "success"
    )


def test_validation_needs_an_administrator(raw: RawPortal) -> None:
    assert raw.admin(VALIDATE, raw.viewer_token())["error"]["code"] == 403


# --- an answer lost after the update applied ---------------------------------------------


@pytest.mark.parametrize("status", [504, 0])
def test_a_lost_answer_comes_after_the_update_landed(
    raw: RawPortal, emu: PortalEmulator, status: int
) -> None:
    token = raw.token()
    emu.faults.add(
        Fault(action="lost_answer", path="*/config/update", seconds=0.2, status=status, times=1)
    )
    config = config_of(raw)
    started = time.monotonic()
    if status:
        response = raw.post_form(
            "portaladmin/security/config/update",
            {"token": token, "f": "json", "securityConfig": json.dumps(config)},
        )
        assert response.status_code == 504
        assert response.headers["Content-Type"].startswith("text/html")
    else:
        with pytest.raises(requests.exceptions.ConnectionError):
            raw.update_config(token, config)
    assert time.monotonic() - started >= 0.2
    assert raw.portal.update_count == 1


def test_a_lost_answer_is_a_5xx_page_or_a_reset() -> None:
    with pytest.raises(ValueError, match="5xx page or a reset"):
        Fault(action="lost_answer", status=200)


def test_a_test_can_wait_until_every_request_is_answered(
    raw: RawPortal, emu: PortalEmulator
) -> None:
    """A held update that lands after its client gave up is counted only once answered."""
    token = raw.token()
    emu.faults.add(Fault(action="delay", path="*/config/update", seconds=0.5, times=1))
    config = config_of(raw)
    with pytest.raises(requests.exceptions.ReadTimeout):
        raw.session.post(
            f"{raw.url}/portaladmin/security/config/update",
            data={"token": token, "f": "json", "securityConfig": json.dumps(config)},
            headers={"Referer": REFERER},
            verify=raw.verify,
            timeout=(5, 0.1),
        )
    assert not emu.wait_until_answered(timeout=0.01)  # still held
    assert emu.wait_until_answered(timeout=5)
    assert raw.portal.update_count == 1
