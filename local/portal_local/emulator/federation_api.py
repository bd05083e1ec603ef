"""``GET portaladmin/federation/servers/validate`` (10.4+): validate every federated server.

Esri's "Validate Servers" page: the answer lists each server's ``status`` (``success``,
``success with warnings`` (10.6.1+), ``failure`` or ``undetermined``), its ``serverId``
and ``messages``, and from 11.1 its ``adminUrl``, under ``serversStatus``; "Servers"
privilege (administrators have it). The messages follow Esri's examples.

``settings.federated_servers`` says how each server validates. Whether a portal reports
``failure`` for a while right after its restart is *unverified*:
``federation_failure_after_restart_seconds`` makes every server fail for that long.
"""

from __future__ import annotations

import time
from typing import Any

from portal_local.emulator.checks import admin_json
from portal_local.emulator.http_messages import Request, Response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal

VALIDATE_PATH = "portaladmin/federation/servers/validate"
ADMIN_URL_SINCE = (11, 1, 0)


def server_admin_url(number: int) -> str:
    return f"https://gisserver{number}.internal.invalid:6443/arcgis"


def server_id(context: str, number: int) -> str:
    """A stable 16-character id per portal and server."""
    letters = "".join(c for c in context.title() if c.isalnum())
    return (letters + "Fed" + "x" * 16)[:13] + f"{number:03d}"


def _messages(status: str, url: str) -> list[str]:
    if status == "failure":
        return [f"ArcGIS Server administration URL '{url}' is not accessible."]
    found = [
        f"ArcGIS Server administration URL '{url}' is accessible.",
        f"ArcGIS Server '{url}' version is compatible with Portal for ArcGIS.",
    ]
    if status == "success with warnings":
        found.append("ArcGIS Data Store is not registered as a managed database.")
    if status == "undetermined":
        found = ["Unable to determine the status of the server."]
    return found


def validation(machine: Machine[Portal]) -> dict[str, Any]:
    portal = machine.portal
    settings = portal.settings
    came_up = portal.came_up_at
    failing = (
        came_up is not None
        and time.time() - came_up < settings.federation_failure_after_restart_seconds
    )
    servers = []
    for number, status in enumerate(settings.federated_servers, start=1):
        shown = "failure" if failing else status
        url = server_admin_url(number)
        entry: dict[str, Any] = {
            "status": shown,
            "serverId": server_id(settings.context, number),
            "messages": _messages(shown, url),
        }
        if settings.version_tuple >= ADMIN_URL_SINCE:
            entry["adminUrl"] = url
        servers.append(entry)
    return {"status": "success", "serversStatus": servers}


def validate_servers(machine: Machine[Portal], request: Request) -> Response:
    return admin_json(machine, request, "Validate Servers", lambda: validation(machine))
