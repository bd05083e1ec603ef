"""A small JSON control API under ``/__emulator/`` to drive a standalone emulator.

    GET    /__emulator/state                           portals' and server sites' state,
                                                       no key values
    GET    /__emulator/faults                          active faults
    POST   /__emulator/faults          {Fault fields}  add one fault
    POST   /__emulator/faults/clear                    remove every fault
    DELETE /__emulator/faults                          same
    GET    /__emulator/log[?context=C][&machine=M]     request log records (M: machine name)
    POST   /__emulator/log/clear                       empty the log
    DELETE /__emulator/log                             same
    POST   /__emulator/portals/<context>/expire-tokens expire every issued token
    POST   /__emulator/servers/<context>/expire-tokens same, for a server site

A fault may name a ``machine`` (e.g. ``{"action": "restart_forever", "machine":
"portal-machine-2.arcgis.internal.invalid"}``). The state lists each portal's machines (role,
adminURL, phase, restart count, came_up_at, warm-up, running key fingerprint) and the
settings a person running the emulator by hand chose.

Real HTTP status codes here (this is not the portal), JSON bodies both ways.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from portal_local.emulator.faults import Fault, FaultRegistry
from portal_local.emulator.http_messages import JSON_TYPE, Request, Response
from portal_local.emulator.request_log import RequestLog
from portal_local.emulator.site import Site

PREFIX = "/__emulator"


def is_control_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _json(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), JSON_TYPE)


class ControlApi:
    def __init__(self, sites: Mapping[str, Site], faults: FaultRegistry, log: RequestLog):
        self._sites = sites
        self._faults = faults
        self._log = log

    def handle(self, request: Request) -> Response:
        route = request.path[len(PREFIX) :].strip("/")
        method = request.method
        if route == "state" and method == "GET":
            return _json(
                {
                    f"{kind}s": [s.summary() for s in self._sites.values() if s.kind == kind]
                    for kind in ("portal", "server")
                }
            )
        if route == "faults":
            return self._faults_route(request)
        if route == "faults/clear" and method == "POST":
            self._faults.clear()
            return _json({"status": "success"})
        if route == "log" and method == "GET":
            context, machine = request.query.get("context"), request.query.get("machine")
            records = self._log.records(context, machine)
            return _json({"records": [r.to_dict() for r in records]})
        if (route == "log/clear" and method == "POST") or (route == "log" and method == "DELETE"):
            self._log.clear()
            return _json({"status": "success"})
        kind, _, rest = route.partition("/")
        if kind in ("portals", "servers") and rest.endswith("/expire-tokens") and method == "POST":
            site = self._sites.get(rest[: -len("/expire-tokens")])
            if site is None or f"{site.kind}s" != kind:
                return _json({"error": f"no such {kind[:-1]} context"}, 404)
            site.expire_tokens()
            return _json({"status": "success"})
        return _json({"error": f"no control route {method} {request.path}"}, 404)

    def _faults_route(self, request: Request) -> Response:
        if request.method == "GET":
            return _json({"faults": [f.to_dict() for f in self._faults.active()]})
        if request.method == "DELETE":
            self._faults.clear()
            return _json({"status": "success"})
        if request.method != "POST":
            return _json({"error": "method not allowed"}, 405)
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _json({"error": "invalid fault: a JSON object is expected"}, 400)
        try:
            fault = Fault.from_dict(data)
        except (ValueError, TypeError) as exc:
            return _json({"error": f"invalid fault: {exc}"}, 400)
        self._faults.add(fault)
        return _json({"status": "success", "fault": fault.to_dict()}, 201)
