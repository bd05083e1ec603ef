"""The portal security configuration: factory defaults, validation, replace semantics.

``security/config/update`` REPLACES the stored configuration: every property that the
posted object leaves out goes back to its factory default (``webgisServerTrustKey`` to
an empty string, the user and group stores to BUILTIN). Wrong types or unknown enum
values of the properties below make the whole update fail with nothing changed.
Properties the portal does not know are dropped (*unverified*: a real portal may
reject them instead).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

ROLES = ("account_user", "account_publisher")
USER_TYPES = (
    "fieldWorkerUT",
    "GISProfessionalStdUT",
    "GISProfessionalBasicUT",
    "GISProfessionalAdvUT",
    "creatorUT",
    "editorUT",
    "insightsAnalystUT",
)
# User types that cannot hold the publisher role (no content creation).
NON_PUBLISHING_USER_TYPES = ("fieldWorkerUT", "editorUT")
IDENTITY_STORE_TYPES = ("BUILTIN", "LDAP", "WINDOWS")

BOOLEAN_PROPERTIES = ("enableAutomaticAccountCreation", "disableServicesDirectory")
STRING_PROPERTIES = ("allowedProxyHosts", "defaultIDPUsernameSuffix", "webgisServerTrustKey")
STORE_PROPERTIES = ("userStoreConfig", "groupStoreConfig")
CORS_PROPERTY = "allowInternetCORSAccess"
CORS_SINCE = (10, 9, 1)


def factory_config(version: tuple[int, ...]) -> dict[str, Any]:
    """What the portal stores for a property nobody set (the replace target)."""
    config: dict[str, Any] = {
        "userStoreConfig": {
            "type": "BUILTIN",
            "properties": {"isPasswordEncrypted": "false"},
            "userFullnameAttribute": "",
            "userEmailAttribute": "",
            "caseSensitive": "true",
        },
        "groupStoreConfig": {"type": "BUILTIN", "properties": {}},
        "enableAutomaticAccountCreation": False,
        "disableServicesDirectory": False,
        "allowedProxyHosts": "",
        "defaultRoleForUser": "account_user",
        "defaultUserTypeIdForUser": "creatorUT",
        "defaultIDPUsernameSuffix": "",
        "webgisServerTrustKey": "",
    }
    if version >= CORS_SINCE:
        config[CORS_PROPERTY] = True
    return config


def initial_config(version: tuple[int, ...], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """A federated portal as found in the field: factory config plus a trust key."""
    config = factory_config(version)
    config["webgisServerTrustKey"] = secrets.token_hex(32)
    for name, value in (overrides or {}).items():
        config[name] = copy.deepcopy(value)
    return config


def _type_name(value: object) -> str:
    return type(value).__name__


def _property_problems(name: str, value: Any, custom_roles: tuple[str, ...]) -> list[str]:
    if name in BOOLEAN_PROPERTIES or name == CORS_PROPERTY:
        ok = isinstance(value, bool)
        return [] if ok else [f"'{name}' must be a boolean, not {_type_name(value)}."]
    if name in STRING_PROPERTIES:
        ok = isinstance(value, str)
        return [] if ok else [f"'{name}' must be a string, not {_type_name(value)}."]
    if name in STORE_PROPERTIES:
        if not isinstance(value, dict) or value.get("type") not in IDENTITY_STORE_TYPES:
            return [f"'{name}' must be an object with a 'type' of {IDENTITY_STORE_TYPES}."]
        return []
    if name == "defaultRoleForUser":
        if value not in ROLES + custom_roles:
            return [f"'{value}' is not a valid value for 'defaultRoleForUser'."]
        return []
    if name == "defaultUserTypeIdForUser":
        if value not in USER_TYPES:
            return [f"'{value}' is not a valid value for 'defaultUserTypeIdForUser'."]
        return []
    return []


def replace_config(
    posted: object,
    version: tuple[int, ...],
    custom_roles: tuple[str, ...],
    ignored: tuple[str, ...] = (),
) -> tuple[dict[str, Any] | None, list[str]]:
    """The configuration that replaces the stored one, or (None, reasons) when invalid."""
    if not isinstance(posted, dict):
        return None, ["'securityConfig' must be a JSON object."]
    new = factory_config(version)
    problems: list[str] = []
    for name, value in posted.items():
        if name not in new:
            continue  # unknown here (or allowInternetCORSAccess before 10.9.1): dropped
        problems += _property_problems(name, value, custom_roles)
        if name not in ignored:
            new[name] = copy.deepcopy(value)
    user_type = new["defaultUserTypeIdForUser"]
    publisher = new["defaultRoleForUser"] == "account_publisher"
    if not problems and publisher and user_type in NON_PUBLISHING_USER_TYPES:
        problems.append(
            f"The user type '{user_type}' is not compatible with the role 'account_publisher'."
        )
    return (None, problems) if problems else (new, [])
