"""The portal security configuration: validate what a user asks for, merge, diff.

``security/config/update`` replaces the whole configuration, so the only safe write is
"read the current config, merge the desired properties into it, post the whole object",
and nothing at all when nothing differs. Only the properties below may be managed; the
rest of the configuration (user and group stores, the federation trust key) is carried
over untouched from what the portal returned.

What real portals answer (PORTAL_API.md 6):

- GET may answer a boolean as a string (Esri's example: ``"true"``): values are
  compared by meaning (``same``), never by their JSON form, so a matching config is no
  change and an applied one reads back as applied.
- From 10.8, the default role and user type are the new-member defaults of
  ``sharing/rest/portals/self/userDefaultSettings`` (fields ``role`` and
  ``userLicenseType``), as Esri's DSC sets them; below 10.8 they stay in the security
  config. ``managed_view`` gives the managed properties from both documents,
  ``split`` says which document each desired property belongs to.
- Enabling automatic account creation without a default user type is refused by the
  portal (code 500, Esri DSC #208/#239): ``account_creation_problem`` finds it first.
- From 11.4 the configuration holds nested objects (``contentSecurityPolicy``), and may
  hold properties this project has never heard of: ``merge`` replaces managed top-level
  properties only, so everything else goes back exactly as it was read.
- Which default user types are valid depends on the version (``user_types``); which
  proxy hosts to post on 12.0+ too (``proxy_hosts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..errors import InvalidSecurityConfig
from .user_types import LEGACY as USER_TYPES
from .user_types import default_problem, id_problem
from .version import PortalVersion

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
USER_DEFAULTS_SINCE: Final = PortalVersion((10, 8))
# Managed property -> its field in the user default settings (10.8+).
USER_DEFAULT_FIELDS: Final[Mapping[str, str]] = {
    "defaultRoleForUser": "role",
    "defaultUserTypeIdForUser": "userLicenseType",
}
# ... and back: a user default settings field -> the managed property it holds.
FIELD_PROPERTIES: Final[Mapping[str, str]] = {v: k for k, v in USER_DEFAULT_FIELDS.items()}
# The sharing API's names of the built-in roles (Esri's userDefaultSettings example).
_ROLE_ALIASES: Final = {"org_user": "account_user", "org_publisher": "account_publisher"}


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
        problems.extend(_check_value(name, value, version))
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


def meaning(name: str, value: Any) -> Any:
    """What a value the portal answered means (``"true"`` -> True for a boolean)."""
    spec = PROPERTIES.get(name)
    if spec is None or not isinstance(value, str):
        return value
    if spec.kind is bool and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if name == "defaultRoleForUser":
        return _ROLE_ALIASES.get(value, value)
    return value


def same(name: str, current: Any, desired: Any) -> bool:
    """Whether two values of a managed property mean the same."""
    a, b = meaning(name, current), meaning(name, desired)
    if name == "allowedProxyHosts" and isinstance(a, str) and isinstance(b, str):
        return _hosts(a) == _hosts(b)
    return bool(a == b and type(a) is type(b))


def _hosts(value: str) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in value.split(",") if h.strip())


def diff(current: Mapping[str, Any], desired: Mapping[str, Any]) -> list[ConfigChange]:
    """The managed properties whose current value differs in meaning from the desired one."""
    return [
        ConfigChange(name, meaning(name, current.get(name)), value)
        for name, value in desired.items()
        if name in PROPERTIES and not same(name, current.get(name), value)
    ]


def mismatches(read_back: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
    """Names of desired properties that the portal does not report as set."""
    return [change.name for change in diff(read_back, desired)]


def managed_view(
    config: Mapping[str, Any], user_defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The managed properties as they stand: from the security config, and from 10.8 the
    default role and user type from the user default settings (pass them when read)."""
    view = {name: config[name] for name in PROPERTIES if name in config}
    if user_defaults is not None:
        for name, field in USER_DEFAULT_FIELDS.items():
            view[name] = user_defaults.get(field, "")
    return view


def needs_user_defaults(desired: Mapping[str, Any]) -> bool:
    """Whether a desired configuration needs the user default settings read: it sets the
    default role or user type, or enables automatic account creation (which the portal
    refuses without a default user type: ``account_creation_problem``)."""
    enables = meaning(
        "enableAutomaticAccountCreation", desired.get("enableAutomaticAccountCreation")
    )
    return enables is True or any(name in desired for name in USER_DEFAULT_FIELDS)


def keeps_user_defaults(version: PortalVersion) -> bool:
    """Whether the portal keeps the default role and user type in its user default settings."""
    return version >= USER_DEFAULTS_SINCE


def split(
    desired: Mapping[str, Any], version: PortalVersion
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(security config properties, user default settings fields) of a desired config."""
    if not keeps_user_defaults(version):
        return dict(desired), {}
    config = {k: v for k, v in desired.items() if k not in USER_DEFAULT_FIELDS}
    fields = {USER_DEFAULT_FIELDS[k]: v for k, v in desired.items() if k in USER_DEFAULT_FIELDS}
    return config, fields


def account_creation_problem(desired: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    """Why the resulting state would be refused by the portal: automatic account creation
    enabled without a default user type (the portal answers 500, Esri DSC #208/#239)."""
    name = "enableAutomaticAccountCreation"
    enabled = meaning(name, desired.get(name, current.get(name)))
    user_type = desired.get("defaultUserTypeIdForUser", current.get("defaultUserTypeIdForUser"))
    if enabled is True and not user_type:
        return (
            "enableAutomaticAccountCreation needs a default user type: set "
            "defaultUserTypeIdForUser too (the portal has none), or the portal refuses it"
        )
    return None


def _check_value(name: str, value: Any, version: PortalVersion | None) -> list[str]:
    if name == "allowedProxyHosts":
        hosts = [h.strip() for h in value.split(",")] if value else []
        bad = [h for h in hosts if not _PROXY_HOST.fullmatch(h)]
        if bad:
            return [f"allowedProxyHosts has invalid host names: {', '.join(bad)}"]
    elif name == "defaultRoleForUser":
        if value not in BUILTIN_ROLES and not _CUSTOM_ROLE_ID.fullmatch(value):
            return [
                "defaultRoleForUser must be account_user, account_publisher or a custom "
                "role id (16 letters and digits)"
            ]
    elif name == "defaultUserTypeIdForUser":
        # Before the version is known only the form is checked; below 11.4 the known
        # list; from 11.4 Preflight checks the portal's own list (user_types).
        if version is not None and not version.lists_user_types:
            problem = default_problem(value, version)
        else:
            problem = id_problem(value)
        return [problem] if problem else []
    elif name == "defaultIDPUsernameSuffix" and not _SUFFIX.fullmatch(value):
        return ["defaultIDPUsernameSuffix may hold letters, digits, '.', '_' and '-' only"]
    return []


def _check_role_and_type(desired: Mapping[str, Any]) -> list[str]:
    role = desired.get("defaultRoleForUser")
    user_type = desired.get("defaultUserTypeIdForUser")
    if not isinstance(role, str) or not isinstance(user_type, str):
        return []
    # Only the types documented before 11.4 are known here; the portal checks the rest.
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
