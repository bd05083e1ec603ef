"""``GET portaladmin/license`` (10.7+): the organization's licenses, user types first.

Esri's "License" page: "This API returns detailed license information for your
organization's user types" (default administrator, "Manage licenses" or "Add"). The
answer's shape is the page's syntax; the counts and the expiration are illustrative.
Which user types are listed depends on the version (``user_types``).
"""

from __future__ import annotations

import time
from typing import Any

from portal_local.emulator.checks import admin_json
from portal_local.emulator.http_messages import Request, Response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal

LICENSE_PATH = "portaladmin/license"
_YEAR_MS = 365 * 24 * 3600 * 1000


def license_answer(machine: Machine[Portal]) -> dict[str, Any]:
    settings = machine.portal.settings
    expiration = int(time.time() * 1000) + _YEAR_MS
    return {
        "currentRegisteredMembers": 2,
        "maximumRegisteredMembers": 1000,
        "version": settings.full_version,
        "userTypes": [
            {
                "id": user_type,
                "maximumRegisteredMembers": 100,
                "expiration": expiration,
                "currentRegisteredMembers": 1 if user_type == "creatorUT" else 0,
            }
            for user_type in settings.user_types.listed
        ],
        "appBundles": [],
        "apps": [],
    }


def get_license(machine: Machine[Portal], request: Request) -> Response:
    return admin_json(machine, request, "License", lambda: license_answer(machine))
