"""10.8+ new member defaults (userDefaultSettings / setUserDefaultSettings) and the
default user type that automatic account creation needs (PORTAL_API.md 6; FAULTS row 33)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import RawPortal, StartEmulator, fast

pytestmark = pytest.mark.emulator

GET = "sharing/rest/portals/self/userDefaultSettings"
SET = "sharing/rest/portals/self/setUserDefaultSettings"
NO_USER_TYPE = (
    "A default user type id must be specified to enable automatic account creation for "
    "your Enterprise portal."
)


def portal(start_emulator: StartEmulator, version: str = "11.3", **settings: Any) -> RawPortal:
    return RawPortal(start_emulator(fast(version=version, **settings)))


def read_defaults(raw: RawPortal, token: str) -> dict[str, Any]:
    """As Esri's DSC reads them: GET, the token in the query string."""
    response = raw.get_admin(GET, token, f="json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def set_defaults(raw: RawPortal, token: str, settings: dict[str, Any]) -> dict[str, Any]:
    """As Esri's DSC posts them: the six fields, arrays as JSON."""
    fields = {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in settings.items()
    }
    return raw.admin(SET, token, **fields)


def read_config(raw: RawPortal, token: str) -> dict[str, Any]:
    return raw.admin("portaladmin/security/config", token)


# ---- the resource and the operation ----


def test_user_defaults_shape(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator)
    body = read_defaults(raw, raw.token())
    assert body == {
        "role": "account_user",
        "userLicenseType": "creatorUT",
        "groups": [],
        "userType": "arcgisonly",
        "apps": [],
        "appBundles": [],
    }
    assert body == raw.portal.user_default_settings_answer
    post = raw.admin(GET, raw.token())  # the token in a POST body works as well
    assert post == body


def test_set_then_read_back(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="10.8")
    token = raw.token()
    desired = {
        **read_defaults(raw, token),
        "role": "account_publisher",
        "userLicenseType": "GISProfessionalAdvUT",
        "groups": ["43c2c91a304b44b59e5f8e871294069c"],
        "apps": [{"itemId": "f761dd0f298944dcab22d1e888c60293", "entitlements": ["Insights"]}],
    }
    assert set_defaults(raw, token, desired) == {"success": True}
    assert read_defaults(raw, token) == desired
    assert raw.portal.user_defaults_update_count == 1
    # No restart, no token change: new member defaults take effect at once.
    assert raw.portal.phase == "up"
    assert raw.portal.update_count == 0
    assert raw.portal.restart_count == 0
    # They are not in the security config either way.
    assert "defaultRoleForUser" not in read_config(raw, token)


def test_set_replaces_the_whole_object(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator)
    token = raw.token()
    set_defaults(raw, token, {**read_defaults(raw, token), "groups": ["g1"]})
    set_defaults(raw, token, {"role": "org_publisher"})  # only the role: the rest resets
    assert read_defaults(raw, token) == {
        "role": "org_publisher",
        "groups": [],
        "userType": "arcgisonly",
        "apps": [],
        "appBundles": [],
    }
    assert raw.portal.user_default_settings is not None
    assert raw.portal.user_default_settings["userLicenseType"] == ""


def test_groups_may_be_comma_separated(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator)
    token = raw.token()
    set_defaults(raw, token, {**read_defaults(raw, token), "groups": "g1, g2"})
    assert read_defaults(raw, token)["groups"] == ["g1", "g2"]


@pytest.mark.parametrize(
    "change",
    [
        {"role": "account_admin"},
        {"role": "org_admin"},
        {"userLicenseType": "viewerUT"},
        {"userType": "esrionly"},
        {"role": "account_publisher", "userLicenseType": "fieldWorkerUT"},
        {"role": "org_publisher", "userLicenseType": "editorUT"},
        {"groups": "[1, 2]"},
        {"apps": "[broken"},
        {"appBundles": json.dumps(["not-an-object"])},
    ],
)
def test_invalid_settings_change_nothing(
    start_emulator: StartEmulator, change: dict[str, Any]
) -> None:
    raw = portal(start_emulator)
    token = raw.token()
    before = raw.portal.user_default_settings
    body = set_defaults(raw, token, {**read_defaults(raw, token), **change})
    assert body["error"]["code"] == 400
    assert body["error"]["message"] == "Unable to set user default settings."
    assert body["error"]["details"]
    assert raw.portal.user_default_settings == before
    assert raw.portal.user_defaults_update_count == 0


def test_custom_role_is_accepted(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator)
    token = raw.token()
    role = raw.portal.settings.custom_role_ids[0]
    assert set_defaults(raw, token, {**read_defaults(raw, token), "role": role})["success"]
    assert read_defaults(raw, token)["role"] == role


def test_set_is_post_only_and_for_administrators(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator)
    token = raw.token()
    assert raw.get_admin(SET, token, f="json", role="org_user").json()["error"]["code"] == 405
    assert set_defaults(raw, raw.viewer_token(), {"role": "org_user"})["error"]["code"] == 403
    assert raw.get_admin(GET, raw.viewer_token(), f="json").json()["error"]["code"] == 403
    assert raw.get(GET, f="json").json()["error"]["code"] == 499
    assert raw.portal.user_defaults_update_count == 0


@pytest.mark.parametrize("path", [GET, SET])
def test_no_user_defaults_below_10_8(start_emulator: StartEmulator, path: str) -> None:
    raw = portal(start_emulator, version="10.7.1")
    body = raw.admin(path, raw.token(), role="account_user")
    assert body["error"]["code"] == 404
    assert path.rsplit("/", 1)[-1] in body["error"]["message"]
    assert raw.portal.user_default_settings is None


def test_initial_defaults_are_settings(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, initial_default_role="org_user", initial_default_user_type="")
    body = read_defaults(raw, raw.token())
    assert body["role"] == "org_user"
    assert "userLicenseType" not in body  # none: left out, as DSC expects it may be


# ---- from 10.8 config/update ignores the default role and user type ----


def test_config_update_drops_role_and_user_type_from_10_8(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="10.8")
    token = raw.token()
    posted = {
        **read_config(raw, token),
        "defaultRoleForUser": "account_publisher",
        "defaultUserTypeIdForUser": "not-even-a-user-type",  # not checked either
        "disableServicesDirectory": True,
    }
    assert raw.update_config(token, posted)["status"] == "success"
    stored = raw.portal.security_config
    assert stored["disableServicesDirectory"] is True
    assert "defaultRoleForUser" not in stored
    assert "defaultUserTypeIdForUser" not in stored
    assert read_defaults(raw, token)["role"] == "account_user"  # unchanged
    assert raw.portal.update_count == 1


def test_planted_legacy_properties_are_reported_until_an_update(
    start_emulator: StartEmulator,
) -> None:
    legacy = {"defaultRoleForUser": "account_user", "defaultUserTypeIdForUser": "creatorUT"}
    raw = portal(start_emulator, initial_security_config=legacy)
    token = raw.token()
    assert read_config(raw, token)["defaultRoleForUser"] == "account_user"
    raw.update_config(token, read_config(raw, token))
    assert "defaultRoleForUser" not in raw.portal.security_config


# ---- automatic account creation needs a default user type (FAULTS row 33) ----


def assert_refused(raw: RawPortal, body: dict[str, Any], before: dict[str, Any]) -> None:
    assert body == {"error": {"code": 500, "message": NO_USER_TYPE, "details": []}}
    assert raw.portal.security_config == before
    assert raw.portal.update_count == 0
    assert raw.portal.phase == "up"


@pytest.mark.parametrize("version", ["10.7", "10.7.1"])
def test_below_10_8_the_config_needs_a_user_type(
    start_emulator: StartEmulator, version: str
) -> None:
    raw = portal(start_emulator, version=version, initial_default_user_type="")
    token = raw.token()
    config = read_config(raw, token)
    assert config["defaultUserTypeIdForUser"] == ""
    before = raw.portal.security_config
    enable = {**config, "enableAutomaticAccountCreation": True}
    assert_refused(raw, raw.update_config(token, enable), before)
    # Missing altogether (the replace resets it to none): refused as well.
    partial = {k: v for k, v in enable.items() if k != "defaultUserTypeIdForUser"}
    assert_refused(raw, raw.update_config(token, partial), before)
    # With a user type in the same update: accepted.
    accepted = raw.update_config(token, {**enable, "defaultUserTypeIdForUser": "creatorUT"})
    assert accepted["status"] == "success"
    assert raw.portal.security_config["enableAutomaticAccountCreation"] is True


def test_below_10_8_a_partial_update_loses_the_user_type(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, version="10.7.1")  # creatorUT set up
    token = raw.token()
    before = raw.portal.security_config
    body = raw.update_config(token, {"enableAutomaticAccountCreation": "true"})
    assert_refused(raw, body, before)


def test_from_10_8_the_user_defaults_need_a_user_type(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, initial_default_user_type="")
    token = raw.token()
    before = raw.portal.security_config
    enable = {**read_config(raw, token), "enableAutomaticAccountCreation": "true"}
    # A user type in the posted config does not count from 10.8: it is dropped.
    assert_refused(
        raw, raw.update_config(token, {**enable, "defaultUserTypeIdForUser": "creatorUT"}), before
    )
    defaults = read_defaults(raw, token)
    set_defaults(raw, token, {**defaults, "userLicenseType": "creatorUT"})
    assert raw.update_config(token, enable)["status"] == "success"
    assert raw.portal.security_config["enableAutomaticAccountCreation"] is True


def test_disabling_needs_no_user_type(start_emulator: StartEmulator) -> None:
    raw = portal(start_emulator, initial_default_user_type="")
    token = raw.token()
    body = raw.update_config(token, {**read_config(raw, token), "disableServicesDirectory": True})
    assert body["status"] == "success"
