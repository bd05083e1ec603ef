"""Which user type may be the default for new members (PORTAL_API.md 6c).

Below 11.4 the user types are the ones Esri documented until then (``LEGACY``; the list
this project has always checked). From 11.4, GIS Professional Basic merged into Creator,
Professional, Professional Plus and Contributor replaced GIS Professional Standard,
GIS Professional Advanced and Editor, and partner types were retired; "the deprecated
or removed user types cannot be used as the default user type". The IDs of the new
types are not documented, so from 11.4 the valid types are the ones the portal itself
lists (``GET portaladmin/license``), less the retired ones this project knows of.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from .version import PortalVersion

LEGACY: Final = frozenset(
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
# Retired at 11.4 and known by ID (partner types are retired too; their IDs are unknown,
# and a portal that still lists one is trusted).
RETIRED: Final = frozenset({"GISProfessionalBasicUT"})
# What a user type ID looks like (every ID Esri has documented ends in "UT").
ID: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}UT$")
MAX_LISTED: Final = 100


def id_problem(user_type: str) -> str | None:
    """Why ``user_type`` cannot be a user type ID at all (checked before any portal)."""
    if ID.fullmatch(user_type):
        return None
    return "defaultUserTypeIdForUser must be a user type ID (letters and digits ending in UT)"


def from_portal(version: PortalVersion) -> bool:
    """Whether the valid user types are read from the portal (11.4+)."""
    return version.lists_user_types


def default_problem(
    user_type: str, version: PortalVersion, listed: Iterable[str] | None = None
) -> str | None:
    """Why ``user_type`` cannot be the default on this portal, naming the valid types;
    ``listed``: the portal's own list (11.4+)."""
    if not from_portal(version):
        if user_type in LEGACY:
            return None
        return f"defaultUserTypeIdForUser must be one of {', '.join(sorted(LEGACY))}"
    valid = sorted(set(listed or ()) - RETIRED)
    if user_type in valid:
        return None
    why = (
        f"{user_type} was retired at 11.4 and cannot be the default user type"
        if user_type in RETIRED
        else f"portal {version} does not list the user type {user_type}"
    )
    return f"defaultUserTypeIdForUser: {why}; the portal's user types: {', '.join(valid)}"
