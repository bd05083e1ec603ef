"""Security configuration: validation, merge, diff (FAULTS rows 18, 19, 20, 21)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from portal_automation.domain.security_config import (
    PROPERTIES,
    USER_TYPES,
    ConfigChange,
    diff,
    merge,
    mismatches,
    validate_desired,
)
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import InvalidSecurityConfig

V10_9 = PortalVersion.parse("10.9")
V10_9_1 = PortalVersion.parse("10.9.1")
V11_3 = PortalVersion.parse("11.3")

TRUST_KEY = "3f1c0a9e" * 8

CURRENT: dict[str, Any] = {
    "userStoreConfig": {
        "type": "LDAP",
        "properties": {"userPassword": "ldap-bind-secret", "ldapURLForUsers": "ldaps://x"},
    },
    "groupStoreConfig": {"type": "BUILTIN", "properties": {}},
    "enableAutomaticAccountCreation": False,
    "disableServicesDirectory": False,
    "allowedProxyHosts": "",
    "defaultRoleForUser": "account_user",
    "defaultUserTypeIdForUser": "creatorUT",
    "defaultIDPUsernameSuffix": "",
    "webgisServerTrustKey": TRUST_KEY,
    "allowInternetCORSAccess": True,
    "someFutureProperty": {"nested": [1, 2, 3]},
}


def _problems(desired: object, version: PortalVersion | None = None) -> str:
    with pytest.raises(InvalidSecurityConfig) as info:
        validate_desired(desired, version)
    return info.value.message


# --- accepted ----------------------------------------------------------------------

VALID_VALUES: list[tuple[str, Any]] = [
    ("allowedProxyHosts", ""),
    ("allowedProxyHosts", "gis.example.com"),
    ("allowedProxyHosts", "gis.example.com, (.*).example.org,maps.example.net:8443"),
    ("enableAutomaticAccountCreation", True),
    ("enableAutomaticAccountCreation", False),
    ("disableServicesDirectory", True),
    ("disableServicesDirectory", False),
    ("defaultRoleForUser", "account_user"),
    ("defaultRoleForUser", "account_publisher"),
    ("defaultRoleForUser", "cRoleDataEditor1"),
    ("defaultIDPUsernameSuffix", "corp"),
    ("defaultIDPUsernameSuffix", ""),
    ("defaultIDPUsernameSuffix", "my.org_1-x"),
    *[("defaultUserTypeIdForUser", user_type) for user_type in sorted(USER_TYPES)],
    ("allowInternetCORSAccess", True),
    ("allowInternetCORSAccess", False),
]


@pytest.mark.parametrize(("name", "value"), VALID_VALUES)
def test_accepts_each_property_with_its_type(name: str, value: Any) -> None:
    assert validate_desired({name: value}, V11_3) == {name: value}


def test_every_managed_property_is_covered_above() -> None:
    assert {name for name, _ in VALID_VALUES} == set(PROPERTIES)


def test_accepts_everything_at_once_and_returns_a_plain_copy() -> None:
    desired = {
        "allowedProxyHosts": "(.*).example.com",
        "enableAutomaticAccountCreation": True,
        "disableServicesDirectory": True,
        "defaultRoleForUser": "account_publisher",
        "defaultIDPUsernameSuffix": "corp",
        "defaultUserTypeIdForUser": "GISProfessionalAdvUT",
        "allowInternetCORSAccess": False,
    }
    result = validate_desired(desired, V11_3)
    assert result == desired
    assert result is not desired


def test_empty_desired_config_is_valid() -> None:
    assert validate_desired({}, V11_3) == {}


def test_version_is_optional() -> None:
    assert validate_desired({"allowInternetCORSAccess": False}) == {
        "allowInternetCORSAccess": False
    }


# --- rejected ----------------------------------------------------------------------


@pytest.mark.parametrize("desired", [None, [], "x", 1, [("a", 1)]])
def test_rejects_non_objects(desired: object) -> None:
    assert "must be a JSON object" in _problems(desired)


def test_rejects_unknown_keys_and_names_them() -> None:
    message = _problems({"allowedproxyhosts": "x", "sslProtocols": "TLSv1.2"})
    assert "allowedproxyhosts" in message
    assert "sslProtocols" in message
    assert "unknown" in message


@pytest.mark.parametrize(
    "name",
    ["enableAutomaticAccountCreation", "disableServicesDirectory", "allowInternetCORSAccess"],
)
@pytest.mark.parametrize(
    ("value", "kind"), [("true", "string"), (1, "number"), (0.0, "number"), (None, "null")]
)
def test_rejects_wrong_types_for_booleans(name: str, value: Any, kind: str) -> None:
    message = _problems({name: value}, V11_3)
    assert f"{name} must be a boolean, not {kind}" in message


@pytest.mark.parametrize(
    "name",
    [
        "allowedProxyHosts",
        "defaultRoleForUser",
        "defaultIDPUsernameSuffix",
        "defaultUserTypeIdForUser",
    ],
)
@pytest.mark.parametrize(
    ("value", "kind"),
    [(True, "boolean"), (3, "number"), (None, "null"), (["a"], "array"), ({"a": 1}, "object")],
)
def test_rejects_wrong_types_for_strings(name: str, value: Any, kind: str) -> None:
    message = _problems({name: value}, V11_3)
    assert f"{name} must be a string, not {kind}" in message


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("defaultRoleForUser", "account_admin", "defaultRoleForUser"),
        ("defaultRoleForUser", "Account_User", "defaultRoleForUser"),
        ("defaultRoleForUser", "short1", "defaultRoleForUser"),
        ("defaultUserTypeIdForUser", "viewerUT", "defaultUserTypeIdForUser"),
        ("defaultUserTypeIdForUser", "creatorut", "defaultUserTypeIdForUser"),
        ("allowedProxyHosts", "bad host", "allowedProxyHosts"),
        ("allowedProxyHosts", "a.com,,b.com", "allowedProxyHosts"),
        ("allowedProxyHosts", "https://a.com", "allowedProxyHosts"),
        ("defaultIDPUsernameSuffix", "a b", "defaultIDPUsernameSuffix"),
        ("defaultIDPUsernameSuffix", "x" * 65, "defaultIDPUsernameSuffix"),
    ],
)
def test_rejects_bad_values(name: str, value: str, fragment: str) -> None:
    assert fragment in _problems({name: value}, V11_3)


@pytest.mark.parametrize("user_type", ["fieldWorkerUT", "editorUT"])
def test_rejects_user_type_incompatible_with_publisher_role(user_type: str) -> None:
    message = _problems(
        {"defaultRoleForUser": "account_publisher", "defaultUserTypeIdForUser": user_type}
    )
    assert "not compatible" in message
    assert user_type in message


def test_custom_role_is_left_to_the_portal() -> None:
    desired = {"defaultRoleForUser": "cRoleDataEditor1", "defaultUserTypeIdForUser": "editorUT"}
    assert validate_desired(desired) == desired


@pytest.mark.parametrize("value", [TRUST_KEY, "", None])
def test_rejects_webgis_server_trust_key(value: Any) -> None:
    message = _problems({"webgisServerTrustKey": value})
    assert "webgisServerTrustKey" in message
    assert "federation" in message
    # The rejected value itself is never echoed.
    assert TRUST_KEY not in message


def test_rejects_cors_before_10_9_1_and_accepts_from_it() -> None:
    message = _problems({"allowInternetCORSAccess": False}, V10_9)
    assert "allowInternetCORSAccess" in message
    assert "10.9.1" in message
    assert validate_desired({"allowInternetCORSAccess": False}, V10_9_1)
    assert validate_desired({"allowInternetCORSAccess": False}, PortalVersion.parse("10.10"))


def test_reports_all_problems_together() -> None:
    desired = {
        "webgisServerTrustKey": "x",
        "bogus": 1,
        "enableAutomaticAccountCreation": "true",
        "defaultUserTypeIdForUser": "nope",
        "allowedProxyHosts": "bad host",
        "allowInternetCORSAccess": True,
    }
    message = _problems(desired, V10_9)
    for fragment in (
        "webgisServerTrustKey",
        "bogus",
        "enableAutomaticAccountCreation must be a boolean",
        "defaultUserTypeIdForUser must be one of",
        "allowedProxyHosts has invalid host names",
        "allowInternetCORSAccess needs portal 10.9.1",
    ):
        assert fragment in message
    assert message.count(";") >= 5


# --- merge -------------------------------------------------------------------------


def test_merge_sets_desired_and_keeps_every_unmanaged_key() -> None:
    current = copy.deepcopy(CURRENT)
    desired = {"disableServicesDirectory": True, "allowedProxyHosts": "a.example.com"}
    merged = merge(current, desired)
    assert merged["disableServicesDirectory"] is True
    assert merged["allowedProxyHosts"] == "a.example.com"
    for key, value in CURRENT.items():
        if key not in desired:
            assert merged[key] == value
    assert set(merged) == set(CURRENT)
    assert current == CURRENT  # the input is not modified


def test_merge_preserves_webgis_server_trust_key_even_if_asked_to_change_it() -> None:
    merged = merge(CURRENT, {"webgisServerTrustKey": "attacker-chosen"})
    assert merged["webgisServerTrustKey"] == TRUST_KEY


def test_merge_into_a_config_without_trust_key_adds_nothing_protected() -> None:
    current = {k: v for k, v in CURRENT.items() if k != "webgisServerTrustKey"}
    merged = merge(current, {"enableAutomaticAccountCreation": True})
    assert "webgisServerTrustKey" not in merged


def test_merge_with_empty_desired_is_the_current_config() -> None:
    assert merge(CURRENT, {}) == CURRENT


# --- diff / mismatches -------------------------------------------------------------


def test_diff_is_empty_when_desired_equals_current() -> None:
    desired = {
        "enableAutomaticAccountCreation": False,
        "defaultRoleForUser": "account_user",
        "allowInternetCORSAccess": True,
    }
    assert diff(CURRENT, desired) == []
    assert diff(CURRENT, {}) == []


def test_diff_names_each_changed_property() -> None:
    desired = {
        "enableAutomaticAccountCreation": True,
        "defaultRoleForUser": "account_user",
        "allowedProxyHosts": "x.example.com",
    }
    assert diff(CURRENT, desired) == [
        ConfigChange("enableAutomaticAccountCreation", False, True),
        ConfigChange("allowedProxyHosts", "", "x.example.com"),
    ]


def test_diff_reports_a_property_the_portal_does_not_have() -> None:
    current = {k: v for k, v in CURRENT.items() if k != "allowInternetCORSAccess"}
    assert diff(current, {"allowInternetCORSAccess": False}) == [
        ConfigChange("allowInternetCORSAccess", None, False)
    ]


def test_diff_ignores_unmanaged_keys() -> None:
    assert diff(CURRENT, {"webgisServerTrustKey": "other", "userStoreConfig": {}}) == []


def test_mismatches_lists_properties_not_read_back() -> None:
    desired = {"disableServicesDirectory": True, "defaultIDPUsernameSuffix": "corp"}
    read_back = merge(CURRENT, {"disableServicesDirectory": True})
    assert mismatches(read_back, desired) == ["defaultIDPUsernameSuffix"]
    assert mismatches(merge(CURRENT, desired), desired) == []
