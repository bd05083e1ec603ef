"""The portal security configuration: factory defaults, validation, replace semantics.

``security/config/update`` REPLACES the stored configuration: every property that the
posted object leaves out goes back to its factory default (``webgisServerTrustKey`` to
an empty string, the user and group stores to BUILTIN). Wrong types or unknown enum
values of the properties below make the whole update fail with nothing changed.
Properties the portal does not know are dropped (*unverified*: a real portal may
reject them instead).

Booleans: the configuration stores what a boolean property means (True/False). GET
``security/config`` answers them as the strings ``"true"``/``"false"`` by default, as
Esri's documented example of the resource shows (``"enableAutomaticAccountCreation":
"true"``; Esri's DSC compares ``disableServicesDirectory -ne "true"`` when it tests the
config); ``config_booleans_as_strings=False`` answers JSON booleans. ``config/update``
accepts a JSON boolean or exactly the string ``"true"``/``"false"``; anything else is
refused. The string-valued flags inside the user and group store configs
(``"caseSensitive": "true"``) are strings in both forms.

Default role and user type: below 10.8 the configuration holds ``defaultRoleForUser``
and ``defaultUserTypeIdForUser`` (an empty user type: none set, the factory value). From
10.8 they are new member defaults of the sharing API (``user_defaults``); the
configuration no longer has them: GET does not report them and config/update drops them
unchecked, like any property it does not know. Why: Esri's userDefaultSettings page says
the defaults moved to the sharing API at 10.8, the 10.8+ update page no longer lists
them, and Esri's DSC writes them into the config only below 10.8 (*unverified* whether a
real 10.8+ portal still echoes stale values; a test can plant them with
``initial_security_config``: they are reported until the first update drops them).

Esri's default proxy hosts (12.0+): "As of ArcGIS Enterprise 12.0, the portal's proxy
capability is restricted by default" to ``ESRI_PROXY_HOSTS`` (Esri, "Restricting the
portal's proxy capability", 12.0). The factory value of ``allowedProxyHosts`` is that
list, so a config/update that leaves the property out restores it; an upgraded portal
keeps the hosts it had and gets the defaults added (``initial_config``). What an empty
list means is *unverified*: ``empty_proxy_hosts`` "kept" stores it as posted,
"defaults" puts Esri's hosts back.

Content-Security-Policy (11.4+): the configuration holds a nested object
``contentSecurityPolicy`` with ``home``, ``apps`` and ``sharing`` (Esri's security
configuration page; the values here are illustrative). It is replaced like the rest: a
config/update that leaves it out, or leaves out one of its members, resets what is
missing to the factory value, so a client that drops it loses the portal's policy.

Automatic account creation needs a default user type: an update whose resulting config
enables it while there is none is refused with code 500, "A default user type id must
be specified to enable automatic account creation for your Enterprise portal." (10.7.1,
Esri DSC issues #208, #239). None means: below 10.8, the replacing config's
``defaultUserTypeIdForUser`` is missing or empty; from 10.8, the new member defaults have
no ``userLicenseType`` (the state that takes effect).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from typing import Any

from portal_local.emulator.user_types import LEGACY, NON_PUBLISHING

ROLES = ("account_user", "account_publisher")
IDENTITY_STORE_TYPES = ("BUILTIN", "LDAP", "WINDOWS")

CORS_PROPERTY = "allowInternetCORSAccess"
BOOLEAN_PROPERTIES = ("enableAutomaticAccountCreation", "disableServicesDirectory", CORS_PROPERTY)
STRING_PROPERTIES = ("allowedProxyHosts", "defaultIDPUsernameSuffix", "webgisServerTrustKey")
STORE_PROPERTIES = ("userStoreConfig", "groupStoreConfig")
CORS_SINCE = (10, 9, 1)
CSP_PROPERTY = "contentSecurityPolicy"
CSP_SINCE = (11, 4, 0)
CSP_MEMBERS = ("home", "apps", "sharing")
PROXY_PROPERTY = "allowedProxyHosts"
PROXY_DEFAULTS_SINCE = (12, 0, 0)
ESRI_PROXY_HOSTS = (
    "(.*).arcgis.com",
    "(.*).arcgisonline.com",
    "gisupdates.esri.com",
    "lws-job-results-prd0-apse2.s3.amazonaws.com",
    "lws-job-results-prd0-euw1.s3.amazonaws.com",
    "lws-job-results-prd0-use1.s3.amazonaws.com",
)
# From 10.8 the default role and user type are new member defaults (user_defaults).
USER_DEFAULT_PROPERTIES = ("defaultRoleForUser", "defaultUserTypeIdForUser")
USER_DEFAULTS_SINCE = (10, 8, 0)
NO_DEFAULT_USER_TYPE = (
    "A default user type id must be specified to enable automatic account creation for "
    "your Enterprise portal."
)


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
        "defaultUserTypeIdForUser": "",
        "defaultIDPUsernameSuffix": "",
        "webgisServerTrustKey": "",
    }
    if version >= USER_DEFAULTS_SINCE:
        for name in USER_DEFAULT_PROPERTIES:
            del config[name]
    if version >= CORS_SINCE:
        config[CORS_PROPERTY] = True
    if version >= CSP_SINCE:
        config[CSP_PROPERTY] = factory_content_security_policy()
    if version >= PROXY_DEFAULTS_SINCE:
        config[PROXY_PROPERTY] = ",".join(ESRI_PROXY_HOSTS)
    return config


def factory_content_security_policy() -> dict[str, str]:
    return {
        "home": "frame-ancestors 'self'",
        "apps": "frame-ancestors 'self' https://*.arcgis.com",
        "sharing": "frame-ancestors 'self'",
    }


def with_esri_proxy_hosts(value: str) -> str:
    """``value`` with Esri's default hosts added (what a 12.0 upgrade does)."""
    hosts = [h.strip() for h in value.split(",") if h.strip()]
    known = {h.lower() for h in hosts}
    return ",".join([*hosts, *(h for h in ESRI_PROXY_HOSTS if h.lower() not in known)])


def initial_config(
    version: tuple[int, ...],
    overrides: Mapping[str, Any] | None,
    *,
    default_role: str = "account_user",
    default_user_type: str = "creatorUT",
) -> dict[str, Any]:
    """A federated portal as found in the field: factory config plus a trust key, and
    (below 10.8) the default role and user type it was set up with."""
    config = factory_config(version)
    config["webgisServerTrustKey"] = secrets.token_hex(32)
    if version < USER_DEFAULTS_SINCE:
        config["defaultRoleForUser"] = default_role
        config["defaultUserTypeIdForUser"] = default_user_type
    for name, value in (overrides or {}).items():
        meaning = parse_boolean(value) if name in BOOLEAN_PROPERTIES else None
        config[name] = copy.deepcopy(value) if meaning is None else meaning
    if version >= PROXY_DEFAULTS_SINCE:
        config[PROXY_PROPERTY] = with_esri_proxy_hosts(str(config[PROXY_PROPERTY]))
    return config


def as_answered(config: dict[str, Any], booleans_as_strings: bool) -> dict[str, Any]:
    """What GET security/config answers for the stored ``config``."""
    answer = copy.deepcopy(config)
    if booleans_as_strings:
        for name in BOOLEAN_PROPERTIES:
            if isinstance(answer.get(name), bool):
                answer[name] = "true" if answer[name] else "false"
    return answer


def parse_boolean(value: object) -> bool | None:
    """A posted boolean property: a JSON boolean or "true"/"false"; None otherwise."""
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _type_name(value: object) -> str:
    return type(value).__name__


def _property_problems(name: str, value: Any, custom_roles: tuple[str, ...]) -> list[str]:
    if name in BOOLEAN_PROPERTIES:
        ok = parse_boolean(value) is not None
        return [] if ok else [f"'{name}' must be a boolean, not {_type_name(value)}."]
    if name in STRING_PROPERTIES:
        ok = isinstance(value, str)
        return [] if ok else [f"'{name}' must be a string, not {_type_name(value)}."]
    if name == CSP_PROPERTY:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return [f"'{name}' must be an object of strings ({', '.join(CSP_MEMBERS)})."]
        return []
    if name in STORE_PROPERTIES:
        if not isinstance(value, dict) or value.get("type") not in IDENTITY_STORE_TYPES:
            return [f"'{name}' must be an object with a 'type' of {IDENTITY_STORE_TYPES}."]
        return []
    if name == "defaultRoleForUser":
        if value not in ROLES + custom_roles:
            return [f"'{value}' is not a valid value for 'defaultRoleForUser'."]
        return []
    if name == "defaultUserTypeIdForUser":
        if value != "" and value not in LEGACY:  # "": none (what GET reports then)
            return [f"'{value}' is not a valid value for 'defaultUserTypeIdForUser'."]
        return []
    return []


def automatic_account_problem(
    config: Mapping[str, Any], version: tuple[int, ...], effective_user_type: str | None
) -> str | None:
    """Why the portal answers 500 to ``config`` (see the module docstring), or None.

    ``effective_user_type``: from 10.8, the new member defaults' user type ("" or None:
    none); ignored below 10.8, where the config's own property counts."""
    if config.get("enableAutomaticAccountCreation") is not True:
        return None
    if version < USER_DEFAULTS_SINCE:
        user_type = config.get("defaultUserTypeIdForUser")
    else:
        user_type = effective_user_type
    return None if user_type else NO_DEFAULT_USER_TYPE


def replace_config(
    posted: object,
    version: tuple[int, ...],
    custom_roles: tuple[str, ...],
    ignored: tuple[str, ...] = (),
    empty_proxy_hosts: str = "kept",
) -> tuple[dict[str, Any] | None, list[str]]:
    """The configuration that replaces the stored one, or (None, reasons) when invalid
    (code 400; the 500 of ``automatic_account_problem`` is checked after)."""
    if not isinstance(posted, dict):
        return None, ["'securityConfig' must be a JSON object."]
    new = factory_config(version)
    problems: list[str] = []
    for name, value in posted.items():
        if name not in new:
            continue  # unknown here (or allowInternetCORSAccess before 10.9.1): dropped
        problems += _property_problems(name, value, custom_roles)
        if name not in ignored:
            new[name] = parse_boolean(value) if name in BOOLEAN_PROPERTIES else copy.deepcopy(value)
    if isinstance(new.get(CSP_PROPERTY), dict):
        new[CSP_PROPERTY] = {**factory_content_security_policy(), **new[CSP_PROPERTY]}
    restricted = version >= PROXY_DEFAULTS_SINCE and empty_proxy_hosts == "defaults"
    if restricted and isinstance(new.get(PROXY_PROPERTY), str) and not new[PROXY_PROPERTY].strip():
        new[PROXY_PROPERTY] = ",".join(ESRI_PROXY_HOSTS)
    user_type = new.get("defaultUserTypeIdForUser")
    publisher = new.get("defaultRoleForUser") == "account_publisher"
    if not problems and publisher and user_type in NON_PUBLISHING:
        problems.append(
            f"The user type '{user_type}' is not compatible with the role 'account_publisher'."
        )
    return (None, problems) if problems else (new, [])
