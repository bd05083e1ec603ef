"""The portal security configuration: validate what a user asks for, merge, diff.

``security/config/update`` replaces the whole configuration, so the only safe write is
"read the current config, merge the desired properties into it, post the whole object",
and nothing at all when nothing differs. Only the properties below may be managed; the
rest of the configuration (user and group stores, the federation trust key) is carried
over untouched from what the portal returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..errors import InvalidSecurityConfig
from .version import PortalVersion

USER_TYPES: Final = frozenset(
    {
        "fieldWorkerUT",
        "GISProfessionalStdUT",
        "GISProfessionalBasicUT",
        "GISProfessionalAdvUT",
        "creatorUT",
        "editorUT",
        "insightsAnalystUT",
    }
)
BUILTIN_ROLES: Final = frozenset({"account_user", "account_publisher"})
# Which user types can hold the built-in roles (ArcGIS Enterprise user type/role rules:
# publishing needs Creator or above). Custom roles are checked by the portal itself.
_COMPATIBLE_USER_TYPES: Final = {
    "account_publisher": frozenset(
        {
            "creatorUT",
            "GISProfessionalStdUT",
            "GISProfessionalBasicUT",
            "GISProfessionalAdvUT",
            "insightsAnalystUT",
        }
    ),
    "account_user": USER_TYPES,
}
_CUSTOM_ROLE_ID: Final = re.compile(r"^[A-Za-z0-9]{16}$")
_PROXY_HOST: Final = re.compile(
    r"^(\(\.\*\)\.?)?[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?(:\d{1,5})?$"
)
_SUFFIX: Final = re.compile(r"^[A-Za-z0-9._\-]{0,64}$")


@dataclass(frozen=True)
class _Property:
    kind: type
    since: PortalVersion | None = None


PROPERTIES: Final[Mapping[str, _Property]] = {
    "allowedProxyHosts": _Property(str),
    "enableAutomaticAccountCreation": _Property(bool),
    "disableServicesDirectory": _Property(bool),
    "defaultRoleForUser": _Property(str),
    "defaultIDPUsernameSuffix": _Property(str),
    "defaultUserTypeIdForUser": _Property(str),
    "allowInternetCORSAccess": _Property(bool, since=PortalVersion.parse("10.9.1")),
}
PROTECTED: Final = frozenset({"webgisServerTrustKey"})


@dataclass(frozen=True)
class ConfigChange:
    """One property whose value differs. Managed properties hold no secrets."""

    name: str
    current: Any
    desired: Any


def validate_desired(desired: object, version: PortalVersion | None = None) -> dict[str, Any]:
    """Check a desired configuration; return it as a plain dict. Every problem is named."""
    if not isinstance(desired, Mapping):
        raise InvalidSecurityConfig("securityConfig must be a JSON object")
    problems: list[str] = []
    protected = sorted(k for k in desired if k in PROTECTED)
    if protected:
        problems.append(
            f"{', '.join(protected)} is set by federation and is never changed by this tool"
        )
    unknown = sorted(k for k in desired if k not in PROPERTIES and k not in PROTECTED)
    if unknown:
        problems.append(
            f"unknown or unmanaged properties: {', '.join(map(str, unknown))} "
            f"(managed: {', '.join(PROPERTIES)})"
        )
    for name, spec in PROPERTIES.items():
        if name not in desired:
            continue
        value = desired[name]
        if type(value) is not spec.kind:
            problems.append(f"{name} must be a {_kind_name(spec.kind)}, not {_json_type(value)}")
            continue
        if spec.since and version and version < spec.since:
            problems.append(f"{name} needs portal {spec.since} or later (portal is {version})")
        problems.extend(_check_value(name, value))
    problems.extend(_check_role_and_type(desired))
    if problems:
        raise InvalidSecurityConfig("invalid securityConfig: " + "; ".join(problems))
    return dict(desired)


def merge(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The whole configuration to post: the current one with the desired properties set."""
    merged = dict(current)
    merged.update(desired)
    for key in PROTECTED:
        if key in current:
            merged[key] = current[key]
    return merged


def diff(current: Mapping[str, Any], desired: Mapping[str, Any]) -> list[ConfigChange]:
    """The managed properties whose current value differs from the desired one."""
    return [
        ConfigChange(name, current.get(name), value)
        for name, value in desired.items()
        if name in PROPERTIES and current.get(name) != value
    ]


def mismatches(read_back: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
    """Names of desired properties that the portal does not report as set."""
    return [change.name for change in diff(read_back, desired)]


def _check_value(name: str, value: Any) -> list[str]:
    if name == "allowedProxyHosts":
        hosts = [h.strip() for h in value.split(",")] if value else []
        bad = [h for h in hosts if not _PROXY_HOST.match(h)]
        if bad:
            return [f"allowedProxyHosts has invalid host names: {', '.join(bad)}"]
    elif name == "defaultRoleForUser":
        if value not in BUILTIN_ROLES and not _CUSTOM_ROLE_ID.match(value):
            return [
                "defaultRoleForUser must be account_user, account_publisher or a custom "
                "role id (16 letters and digits)"
            ]
    elif name == "defaultUserTypeIdForUser":
        if value not in USER_TYPES:
            return [f"defaultUserTypeIdForUser must be one of {', '.join(sorted(USER_TYPES))}"]
    elif name == "defaultIDPUsernameSuffix" and not _SUFFIX.match(value):
        return ["defaultIDPUsernameSuffix may hold letters, digits, '.', '_' and '-' only"]
    return []


def _check_role_and_type(desired: Mapping[str, Any]) -> list[str]:
    role = desired.get("defaultRoleForUser")
    user_type = desired.get("defaultUserTypeIdForUser")
    if not isinstance(role, str) or not isinstance(user_type, str):
        return []
    allowed = _COMPATIBLE_USER_TYPES.get(role)
    if allowed is not None and user_type in USER_TYPES and user_type not in allowed:
        return [f"defaultUserTypeIdForUser {user_type} is not compatible with role {role}"]
    return []


def _kind_name(kind: type) -> str:
    return {bool: "boolean", str: "string"}[kind]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        str: "string",
        int: "number",
        float: "number",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)
