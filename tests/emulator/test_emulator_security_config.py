"""security/config and config/update: replace semantics, validation, booleans as strings
(PORTAL_API.md 6; FAULTS row 29)."""

from __future__ import annotations

from typing import Any

import pytest
from portal_local.emulator import PortalEmulator

from .helpers import HANG_GUARD, RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

# As GET answers them by default: booleans as strings (Esri's documented example).
USER_SETTABLE = {
    "allowedProxyHosts": "",
    "enableAutomaticAccountCreation": "false",
    "disableServicesDirectory": "false",
    "defaultIDPUsernameSuffix": "",
}
# Below 10.8 only: from 10.8 they are new member defaults (test_emulator_user_defaults).
USER_DEFAULTS_IN_CONFIG = {
    "defaultRoleForUser": "account_user",
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
    assert config["allowInternetCORSAccess"] == "true"
    assert config == raw.portal.security_config_answer
    stored = raw.portal.security_config  # by meaning
    assert stored["enableAutomaticAccountCreation"] is False
    assert stored["allowInternetCORSAccess"] is True
    assert config["userStoreConfig"] == stored["userStoreConfig"]  # its flags are strings
    assert not set(USER_DEFAULTS_IN_CONFIG) & set(config)  # 11.3: not in the config


def test_config_below_10_8_has_the_default_role_and_user_type(
    start_emulator: StartEmulator,
) -> None:
    raw = RawPortal(start_emulator(fast(version="10.7.1")))
    config = read(raw, raw.token())
    for name, default in {**USER_SETTABLE, **USER_DEFAULTS_IN_CONFIG}.items():
        assert config[name] == default
    assert "allowInternetCORSAccess" not in config


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
    before = raw.portal.security_config
    desired = {
        **current,
        "allowedProxyHosts": "(.*).example.com",
        "defaultIDPUsernameSuffix": "corp",
    }
    raw.update_config(token, desired)
    assert raw.portal.security_config_answer == desired
    assert read(raw, token) == desired  # the booleans read back as they were posted
    assert raw.portal.running_security_config == before  # until the restart
    assert raw.portal.wait_until_up(HANG_GUARD)
    assert raw.portal.running_security_config == raw.portal.security_config
    changed = {"allowedProxyHosts": "(.*).example.com", "defaultIDPUsernameSuffix": "corp"}
    assert raw.portal.security_config == {**before, **changed}
    assert raw.portal.restart_count == 1


@pytest.mark.parametrize(
    "change",
    [
        {"enableAutomaticAccountCreation": "yes"},
        {"enableAutomaticAccountCreation": "TRUE"},
        {"enableAutomaticAccountCreation": None},
        {"disableServicesDirectory": 1},
        {"disableServicesDirectory": "1"},
        {"allowInternetCORSAccess": "yes"},
        {"allowedProxyHosts": ["a.example.com"]},
        {"defaultIDPUsernameSuffix": None},
        {"webgisServerTrustKey": 42},
        {"userStoreConfig": "BUILTIN"},
        {"groupStoreConfig": {"type": "FTP"}},
    ],
)
def test_invalid_values_change_nothing(raw: RawPortal, change: dict[str, Any]) -> None:
    token = raw.token()
    before = raw.portal.security_config
    body = raw.update_config(token, {**read(raw, token), **change})
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


@pytest.mark.parametrize(
    "change",
    [
        {"defaultRoleForUser": "account_admin"},
        {"defaultRoleForUser": "org_user"},  # the sharing API's name: not a config value
        {"defaultUserTypeIdForUser": "viewerUT"},
        {"defaultRoleForUser": "account_publisher", "defaultUserTypeIdForUser": "fieldWorkerUT"},
    ],
)
def test_invalid_role_or_user_type_below_10_8_changes_nothing(
    start_emulator: StartEmulator, change: dict[str, Any]
) -> None:
    raw = RawPortal(start_emulator(fast(version="10.7.1")))
    token = raw.token()
    before = raw.portal.security_config
    body = raw.update_config(token, {**read(raw, token), **change})
    assert body["error"]["code"] == 400
    assert body["error"]["details"]
    assert raw.portal.security_config == before
    assert raw.portal.update_count == 0


def test_custom_role_is_accepted_below_10_8(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(version="10.7.1")))
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
    assert raw.portal.running_security_config == raw.portal.security_config
    assert raw.portal.security_config["disableServicesDirectory"] is True
    assert raw.portal.phase == "up"
    assert raw.portal.update_count == 1
    assert raw.portal.restart_count == 0


def test_config_tokens_survive_a_config_restart(raw: RawPortal, emu: PortalEmulator) -> None:
    token = raw.token()
    raw.update_config(token, read(raw, token))
    assert raw.portal.wait_until_up(HANG_GUARD)
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


# ---- booleans: stored by meaning, answered as strings unless told otherwise (row 29) ----

BOOLEANS = ("enableAutomaticAccountCreation", "disableServicesDirectory", "allowInternetCORSAccess")


@pytest.mark.parametrize(
    ("posted", "meaning"), [(True, True), ("true", True), (False, False), ("false", False)]
)
def test_a_boolean_is_accepted_as_json_or_as_a_string(
    raw: RawPortal, posted: object, meaning: bool
) -> None:
    token = raw.token()
    body = raw.update_config(token, {**read(raw, token), **dict.fromkeys(BOOLEANS, posted)})
    assert body["status"] == "success"
    stored = raw.portal.security_config
    assert all(stored[name] is meaning for name in BOOLEANS)
    answered = read(raw, token)
    assert all(answered[name] == ("true" if meaning else "false") for name in BOOLEANS)
    assert raw.portal.update_count == 1


def test_booleans_as_json_booleans_when_configured(start_emulator: StartEmulator) -> None:
    raw = RawPortal(start_emulator(fast(config_booleans_as_strings=False)))
    token = raw.token()
    config = read(raw, token)
    assert config["enableAutomaticAccountCreation"] is False
    assert config["allowInternetCORSAccess"] is True
    assert config["userStoreConfig"]["caseSensitive"] == "true"  # store flags stay strings
    raw.update_config(token, {**config, "disableServicesDirectory": "true"})
    assert read(raw, token)["disableServicesDirectory"] is True
    assert read(raw, token) == raw.portal.security_config == raw.portal.security_config_answer


def test_posting_back_what_was_read_changes_no_meaning(raw: RawPortal) -> None:
    token = raw.token()
    before = raw.portal.security_config
    raw.update_config(token, read(raw, token))  # the strings posted back as read
    assert raw.portal.security_config == before
    assert raw.portal.update_count == 1  # the portal does not compare: it is an update


def test_initial_config_booleans_are_kept_by_meaning(start_emulator: StartEmulator) -> None:
    raw = RawPortal(
        start_emulator(fast(initial_security_config={"disableServicesDirectory": "true"}))
    )
    assert raw.portal.security_config["disableServicesDirectory"] is True
    assert read(raw, raw.token())["disableServicesDirectory"] == "true"


# ---- recheckAfterSeconds: present by default, absent or another number when told ----


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (True, {"status": "success", "recheckAfterSeconds": 10}),
        (False, {"status": "success"}),
        (3, {"status": "success", "recheckAfterSeconds": 3}),
    ],
)
def test_update_answers_with_or_without_recheck(
    start_emulator: StartEmulator, setting: bool | int, expected: dict[str, Any]
) -> None:
    raw = RawPortal(
        start_emulator(fast(config_update_recheck=setting, token_update_recheck=setting))
    )
    token = raw.token()
    assert raw.update_config(token, read(raw, token)) == expected
    assert raw.update_key(token, "r" * 32) == expected
    assert raw.portal.update_count == 2


@pytest.mark.parametrize("value", [-1, 2.5, "10"])
def test_invalid_recheck_settings(value: object) -> None:
    with pytest.raises(ValueError, match="recheck"):
        fast(config_update_recheck=value)
