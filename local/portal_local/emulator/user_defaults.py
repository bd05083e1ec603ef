"""10.8+ new member defaults: the settings object and how setUserDefaultSettings reads it.

    GET  <portal>/sharing/rest/portals/self/userDefaultSettings?f=json   (admin token)
    POST <portal>/sharing/rest/portals/self/setUserDefaultSettings       (admin, POST only)
         form fields role, userLicenseType, groups, userType, apps, appBundles, f, token

Shape and field names from Esri's "User Default Settings" and "Set User Default
Settings" pages (introduced at ArcGIS Enterprise 10.8) and Esri's DSC
(ArcGIS_PortalSettings: Get-/Set-PortalUserDefaults, which reads the object, sets
``role`` and ``userLicenseType`` and posts all six fields back):

    {"role": "account_user", "userLicenseType": "creatorUT", "groups": [],
     "userType": "arcgisonly", "apps": [], "appBundles": []}

``userLicenseType`` is the default user type (``creatorUT``...); ``userType`` is the
account type (``arcgisonly`` | ``both``). With no default user type the answer has no
``userLicenseType`` at all (DSC adds the property when it is missing).

Assumed here (*unverified*), so that a client has to read, merge and post the whole
object, as with the security configuration:
- setUserDefaultSettings replaces the object: a field left out or empty goes back to
  its factory value (role ``account_user``, no user type, ``userType`` arcgisonly, no
  groups, apps or bundles).
- ``userLicenseType`` is one the portal may give as the default (``user_types``: from
  11.4 a retired type is refused).
- ``role`` is ``account_user`` | ``account_publisher`` (what DSC sends) or
  ``org_user`` | ``org_publisher`` (the sharing API's names in Esri's example) or a
  custom role id the portal knows; it is stored as posted. A publisher role with a user
  type that cannot publish is refused, as the config refuses it.
- ``groups`` is a JSON array of group ids (or a comma-separated list); ``apps`` and
  ``appBundles`` JSON arrays of objects.
- A refusal answers ``{"error": {"code": 400, "message": "Unable to set user default
  settings.", "details": [...]}}`` and changes nothing; success answers
  ``{"success": true}`` (the sharing API's usual answer) and takes effect at once, with
  no restart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from portal_local.emulator.user_types import UserTypes

FIELDS = ("role", "userLicenseType", "groups", "userType", "apps", "appBundles")
ROLES = ("account_user", "account_publisher", "org_user", "org_publisher")
PUBLISHER_ROLES = ("account_publisher", "org_publisher")
ACCOUNT_TYPES = ("arcgisonly", "both")
SET_FAILED = "Unable to set user default settings."


def factory_user_defaults() -> dict[str, Any]:
    """What a field left out of setUserDefaultSettings goes back to."""
    return {
        "role": "account_user",
        "userLicenseType": "",
        "groups": [],
        "userType": "arcgisonly",
        "apps": [],
        "appBundles": [],
    }


def initial_user_defaults(role: str, user_type: str) -> dict[str, Any]:
    return {**factory_user_defaults(), "role": role, "userLicenseType": user_type}


def as_answered(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The GET answer: the stored object, without ``userLicenseType`` when there is none."""
    answer = {name: copy.deepcopy(settings[name]) for name in FIELDS}
    if not answer["userLicenseType"]:
        del answer["userLicenseType"]
    return answer


def _json_list(name: str, raw: str, *, of: type) -> tuple[list[Any], list[str]]:
    text = raw.strip()
    if not text:
        return [], []
    try:
        value = json.loads(text)
    except ValueError:
        if of is str and not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()], []
        return [], [f"'{name}' is not valid JSON."]
    if not isinstance(value, list) or not all(isinstance(item, of) for item in value):
        kind = "group ids" if of is str else "objects"
        return [], [f"'{name}' must be a JSON array of {kind}."]
    return value, []


def replace_user_defaults(
    form: Mapping[str, str], custom_roles: tuple[str, ...], user_types: UserTypes
) -> tuple[dict[str, Any] | None, list[str]]:
    """The settings that replace the stored ones, or (None, reasons) when invalid."""
    new = factory_user_defaults()
    problems: list[str] = []
    role = (form.get("role") or "").strip()
    if role:
        if role not in ROLES + custom_roles:
            problems.append(f"'{role}' is not a valid value for 'role'.")
        new["role"] = role
    user_type = (form.get("userLicenseType") or "").strip()
    if user_type:
        new["userLicenseType"] = user_type
    account_type = (form.get("userType") or "").strip()
    if account_type:
        if account_type not in ACCOUNT_TYPES:
            problems.append(f"'{account_type}' is not a valid value for 'userType'.")
        new["userType"] = account_type
    for name, of in (("groups", str), ("apps", dict), ("appBundles", dict)):
        new[name], found = _json_list(name, form.get(name) or "", of=of)
        problems += found
    if user_type:
        refused = user_types.problem(user_type, role, PUBLISHER_ROLES)
        problems += [refused] if refused else []
    return (None, problems) if problems else (new, [])
