"""``portaladmin/machines``: the machines of the portal and whether each one is ready.

    GET portaladmin/machines?f=json                    (admin; 10.4+)
        {"machines": [{"machineName": "...", "adminURL": "https://...:7443/arcgis",
                       "role": "primary" | "standby", "platform": "..."}]}
    GET portaladmin/machines/<machineName>?f=json      (admin; 10.8+) one of those objects
    GET portaladmin/machines/status/<machineName>?f=json  (admin; 10.4+)
        {"status": "success"} when that machine is ready to receive requests

Shapes from Esri's Machines, Machine and Status pages; Esri's DSC reads
``machines[].machineName`` (ArcGIS_PortalUnregister, ArcGIS_WaitForComponent). Names are
matched without regard to case (DSC compares them with ``-ieq``).

Only an account with the default administrator role may list the machines (Esri's
Machines page: "Access allowed only with the default administrator role"); any other
administrator (a custom role with "Security and Infrastructure") is answered, assumed
(*unverified*), the usual not-authorized error: ``{"error": {"code": 403, ...}}``.

Assumed (*unverified*): a machine that is restarting answers its status as
``{"status": "error", "messages": ["Machine '<name>' is not ready to receive
requests."], "code": 503}`` (the admin API's status-error form, PORTAL_API.md 3); an
unknown machine name answers ``{"error": {"code": 404, ...}}``. A machine in its token
warm-up is ready (its process is up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal_local.emulator.checks import admin, admin_json, get_or_post
from portal_local.emulator.http_messages import Request, Response, error_response, json_response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal

MACHINES_PATH = "portaladmin/machines"
STATUS_PREFIX = "status/"
MACHINE_RESOURCE_SINCE = (10, 8, 0)


def list_machines(machine: Machine[Portal], request: Request) -> Response:
    return admin_json(
        machine,
        request,
        "Machines",
        lambda: {"machines": machine.portal.listed_machines()},
        default_administrator=True,
    )


def machine_path(machine: Machine[Portal], rest: str, request: Request) -> Response | None:
    """``portaladmin/machines/<rest>``: a status or a machine resource (None: no such
    resource, e.g. the machine resource before 10.8)."""
    if rest.startswith(STATUS_PREFIX):
        return _about(machine, request, rest[len(STATUS_PREFIX) :], "Machine Status", _status)
    if "/" in rest or machine.portal.settings.version_tuple < MACHINE_RESOURCE_SINCE:
        return None
    return _about(machine, request, rest, "Machine", Machine.describe)


def _status(target: Machine[Portal]) -> dict[str, Any]:
    if target.is_restarting:
        message = f"Machine '{target.name}' is not ready to receive requests."
        return {"status": "error", "messages": [message], "code": 503}
    return {"status": "success"}


def _about(
    machine: Machine[Portal],
    request: Request,
    name: str,
    title: str,
    answer: Callable[[Machine[Portal]], dict[str, Any]],
) -> Response:
    refusal = get_or_post(request)
    if refusal is not None:
        return refusal
    user = admin(machine, request)
    if isinstance(user, Response):
        return user
    try:
        target = machine.portal.machine(name)
    except KeyError:
        message = f"Machine '{name}' is not registered with the portal."
        return error_response(404, message, [], request.response_format)
    return json_response(answer(target), request.response_format, title)
