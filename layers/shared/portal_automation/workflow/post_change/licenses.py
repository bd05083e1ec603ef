"""10.7: after a key change, the licenses are populated again (PORTAL_API.md 7b).

The portal reports ``isLicensePopulated: false`` after the key change; until
``license/populateLicense`` runs, its licensed features are unavailable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ...domain.version import V10_7
from ...errors import LicensesNotPopulated
from .base import Outcome

if TYPE_CHECKING:
    from ...domain.version import PortalVersion
    from ...portal import AdminSession
    from ..models import Action
    from ..services import Services
    from ..state import PortalState


class PopulateLicenses:
    name: Final = "licensesPopulated"

    def applies(self, version: PortalVersion, action: Action) -> bool:
        return action == "rotate-shared-key" and version == V10_7

    def run(self, state: PortalState, session: AdminSession, services: Services) -> Outcome:
        if session.call(session.client.info).licenses_populated is not False:
            return Outcome("already")
        session.call(session.client.populate_license)
        if session.call(session.client.info).licenses_populated is False:
            raise LicensesNotPopulated(
                f"the portal of {state.item.secret_arn} still reports its licenses not "
                "populated after license/populateLicense; the new key is not promoted"
            )
        return Outcome("populated")
