"""ArcGIS Enterprise on Kubernetes, just enough to be recognised and refused (PORTAL_API.md 7c).

``flavour="kubernetes"``: there is no Portal Admin API (``portaladmin`` and everything
under it answer HTTP 404 with an HTML page: the directory does not exist), so there is
no ``security/tokens`` and no ``security/config``. The Enterprise Administrator API root
``<context>/admin?f=json`` (administrator token) answers a small JSON root with the
deployment's version, shaped like Esri's "Enterprise Admin Root" example:

    {"fullVersion": "11.3.0", "currentVersion": "11.3", "resources": [...]}

Anything else under ``admin/`` answers the JSON "could not find resource" error.
``sharing/rest/generateToken`` works as on any portal (10.9 and later only: Kubernetes
deployments began at 10.9).
"""

from __future__ import annotations

from portal_local.emulator.checks import admin_json
from portal_local.emulator.http_messages import Request, Response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal

ADMIN_ROOT_PATH = "admin"
RESOURCES = ("orgs", "services", "security", "uploads", "datastores", "system", "logs", "jobs")


def admin_root(machine: Machine[Portal], request: Request) -> Response:
    settings = machine.portal.settings
    body = {
        "fullVersion": settings.full_version,
        "currentVersion": settings.version,
        "resources": list(RESOURCES),
    }
    return admin_json(machine, request, "ArcGIS Enterprise Administrator Directory", lambda: body)
