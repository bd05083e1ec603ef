"""security/config and config/update: replace semantics, validation (PORTAL_API.md 6)."""

from __future__ import annotations

from typing import Any

import pytest
from portal_local.emulator import PortalEmulator

from .helpers import RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

USER_SETTABLE = {
    "allowedProxyHosts": "",
    "enableAutomaticAccountCreation": False,
    "disableServicesDirectory": False,
    "defaultRoleForUser": "account_user",
    "defaultIDPUsernameSuffix": "",
    "defaultUserTypeIdForUser": "creatorUT",
}
LDAP = {
    "type": "LDAP",
    "properties": {"ldapURLForUsers": "ldaps://ldap.example.com", "password": "canary-ldap"},
}


def read(raw: RawPortal, token: str) -> dict[str, Any]:
    return raw.admin("portaladmin/security/config", token)


def test_config_has_sensitive_parts_and_defaults(raw: RawPortal) -> None:
    config = read(raw, raw.token())
    assert config["userStoreConfig"]["type"] == "BUILTIN"
    assert config["groupStoreConfig"]["type"] == "BUILTIN"
    assert len(config["webgisServerTrustKey"]) == 64
    for name, default in USER_SETTABLE.items():
        assert config[name] == default
    assert config["allowInternetCORSAccess"] is True
    assert config == raw.portal.security_config


@pytest.mark.parametrize(("version", "has_cors"), [("10.9", False), ("10.9.1", True)])
def test_cors_property_from_10_9_1(
    start_emulator: StartEmulator, version: str, has_cors: bool
) -> None:
    raw = RawPortal(start_emulator(fast(version=version)))
    token = raw.token()
    assert ("allowInternetCORSAccess" in read(raw, token)) is has_cors
    raw.update_config(token, {**read(raw, token), "allowInternetCORSAccess": False})
    assert ("allowInternetCORSAccess" in raw.portal.security_config) is has_cors


def test_update_replaces_the_whole_config(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(initial_security_config={"userStoreConfig": LDAP})))
    token = raw.token()
    assert read(raw, token)["userStoreConfig"] == LDAP
    body = raw.update_config(token, {"disableServicesDirectory": True})
    assert body == {"status": "success", "recheckAfterSeconds": 10}
    config = raw.portal.security_config
    assert config["disableServicesDirectory"] is True
    assert config["webgisServerTrustKey"] == ""  # the danger: federation broken
    assert config["userStoreConfig"]["type"] == "BUILTIN"  # LDAP store gone


def test_merged_update_preserves_everything(raw: RawPortal) -> None:
    token = raw.token()
    current = read(raw, token)
    desired = {
        **current,
        "allowedProxyHosts": "(.*).example.com",
        "defaultRoleForUser": "account_publisher",
    }
    raw.update_config(token, desired)
    assert raw.portal.security_config == desired
    assert raw.portal.running_security_config == current  # until the restart
    assert raw.portal.wait_until_up(5)
    assert raw.portal.running_security_config == desired
    assert raw.portal.restart_count == 1


@pytest.mark.parametrize(
    "change",
    [
        {"enableAutomaticAccountCreation": "true"},
        {"disableServicesDirectory": 1},
        {"allowInternetCORSAccess": "yes"},
        {"allowedProxyHosts": ["a.example.com"]},
        {"defaultIDPUsernameSuffix": None},
        {"webgisServerTrustKey": 42},
        {"defaultRoleForUser": "account_admin"},
        {"defaultUserTypeIdForUser": "viewerUT"},
        {"defaultRoleForUser": "account_publisher", "defaultUserTypeIdForUser": "fieldWorkerUT"},
        {"userStoreConfig": "BUILTIN"},
        {"groupStoreConfig": {"type": "FTP"}},
    ],
)
def test_invalid_values_change_nothing(raw: RawPortal, change: dict[str, Any]) -> None:
    token = raw.token()
    before = read(raw, token)
    body = raw.update_config(token, {**before, **change})
    assert body["error"]["code"] == 400
    assert body["error"]["details"]
    assert raw.portal.security_config == before
    assert raw.portal.update_count == 0
    assert raw.portal.phase == "up"


@pytest.mark.parametrize(
    "fields", [{}, {"securityConfig": "{broken"}, {"securityConfig": "[]"}, {"securityConfig": "7"}]
)
def test_missing_or_malformed_security_config(raw: RawPortal, fields: dict[str, str]) -> None:
    body = raw.admin("portaladmin/security/config/update", raw.token(), **fields)
    assert body["error"]["code"] == 400
    assert raw.portal.update_count == 0


def test_custom_role_is_accepted(raw: RawPortal) -> None:
    token = raw.token()
    role = raw.portal.settings.custom_role_ids[0]
    raw.update_config(token, {**read(raw, token), "defaultRoleForUser": role})
    assert raw.portal.security_config["defaultRoleForUser"] == role


def test_unknown_properties_are_dropped(raw: RawPortal) -> None:
    token = raw.token()
    raw.update_config(token, {**read(raw, token), "somethingNew": True})
    assert "somethingNew" not in raw.portal.security_config


def test_trust_key_can_be_overwritten(raw: RawPortal) -> None:
    token = raw.token()
    raw.update_config(token, {**read(raw, token), "webgisServerTrustKey": "changed"})
    assert raw.portal.security_config["webgisServerTrustKey"] == "changed"


def test_config_update_without_restart(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(config_update_restarts=False)))
    token = raw.token()
    desired = {**read(raw, token), "disableServicesDirectory": True}
    raw.update_config(token, desired)
    assert raw.portal.running_security_config == desired
    assert raw.portal.phase == "up"
    assert raw.portal.update_count == 1
    assert raw.portal.restart_count == 0


def test_config_tokens_survive_a_config_restart(raw: RawPortal, emu: PortalEmulator) -> None:
    token = raw.token()
    raw.update_config(token, read(raw, token))
    assert raw.portal.wait_until_up(5)
    assert raw.portal.restart_count == 1
    assert read(raw, token)["userStoreConfig"]["type"] == "BUILTIN"


def test_config_json_is_posted_as_a_form_field(raw: RawPortal) -> None:
    token = raw.token()
    response = raw.session.post(
        f"{raw.url}/portaladmin/security/config/update",
        json={"securityConfig": {"disableServicesDirectory": True}, "token": token},
        params={"f": "json"},
        headers={"Referer": "https://automation.example.com"},
        verify=raw.verify,
        timeout=5,
    )
    assert response.json()["error"]["code"] == 499  # a JSON body carries no form fields
    assert raw.portal.security_config["disableServicesDirectory"] is False
