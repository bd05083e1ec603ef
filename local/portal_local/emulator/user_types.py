"""User types: which ones ``portaladmin/license`` lists, and which may be the default.

10.7 to 11.3: the user types of the time (``LEGACY``; Viewer is left out, as it was
from the emulator's first version).

From 11.4 (ARCGIS_FACTS_12X, "User types"): Creator absorbs GIS Professional Basic;
Professional, Professional Plus and Contributor replace GIS Professional Standard, GIS
Professional Advanced and Editor; partner types are retired; ``viewerUT`` exists.
"The deprecated or removed user types cannot be used as the default user type for an
organization": the portal refuses them as the default (``assignable`` leaves them out).

Which IDs the 11.4+ types carry is *unverified*. ``"kept"``: under the IDs of the types
they replace (Professional = ``GISProfessionalStdUT``, ...), and the license still lists
the retired ``GISProfessionalBasicUT`` (an upgraded organization's license may carry
it). ``"renamed"``: under new IDs made up here (``professionalUT``, ...), and the
retired type is not listed. A client that reads the list copes with both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UserTypeIds = Literal["kept", "renamed"]

LEGACY = (
    "fieldWorkerUT",
    "GISProfessionalStdUT",
    "GISProfessionalBasicUT",
    "GISProfessionalAdvUT",
    "creatorUT",
    "editorUT",
    "insightsAnalystUT",
)
RETIRED_FROM_11_4 = ("GISProfessionalBasicUT",)
_KEPT = (
    "viewerUT",
    "fieldWorkerUT",
    "editorUT",  # Contributor
    "creatorUT",
    "GISProfessionalStdUT",  # Professional
    "GISProfessionalAdvUT",  # Professional Plus
    "insightsAnalystUT",
    *RETIRED_FROM_11_4,
)
_RENAMED = (
    "viewerUT",
    "fieldWorkerUT",
    "contributorUT",
    "creatorUT",
    "professionalUT",
    "professionalPlusUT",
    "insightsAnalystUT",
)
# Types that cannot hold the publisher role (they cannot create content).
NON_PUBLISHING = ("viewerUT", "fieldWorkerUT", "editorUT", "contributorUT")


@dataclass(frozen=True)
class UserTypes:
    listed: tuple[str, ...]  # what portaladmin/license lists
    assignable: tuple[str, ...]  # what may be the default user type

    def problem(self, user_type: str, role: str, publisher_roles: tuple[str, ...]) -> str | None:
        """Why ``user_type`` cannot be the default with ``role`` (None: it can)."""
        if user_type not in self.assignable:
            return f"'{user_type}' is not a valid value for 'userLicenseType'."
        if role in publisher_roles and user_type in NON_PUBLISHING:
            return f"The user type '{user_type}' is not compatible with the role '{role}'."
        return None


def user_types_for(version: tuple[int, ...], ids: UserTypeIds) -> UserTypes:
    if version < (11, 4, 0):
        return UserTypes(LEGACY, LEGACY)
    listed = _KEPT if ids == "kept" else _RENAMED
    return UserTypes(listed, tuple(t for t in listed if t not in RETIRED_FROM_11_4))
