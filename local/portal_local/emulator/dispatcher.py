"""From a parsed request to a response: control API, routing, faults, restarts, log.

One Dispatcher answers for one listening server:

- the targets' URL (``entry=None``): every context (a portal or an ArcGIS Server site,
  each answered by its kind's API, ``APIS``); the control API. A target of one machine
  is answered by that machine. A target of more sits behind a round-robin load balancer
  over the machines that are not down; with all down the balancer itself answers 503
  with an HTML page, as a Web Adaptor or load balancer does.
- one machine's own adminURL (``entry=<Machine>``): only that machine's target, under
  the machine context ``arcgis`` (as port 7443 of a portal machine, 6443 of a server
  machine), whatever the target's context behind the load balancer.

Every request is logged with the machine that answered and whether it came directly.
``TrapDispatcher`` answers the internal adminURL of a single-machine portal in
``single_machine_url="trap"`` mode, and where a hostile ``machine_listing`` points: it
logs each connection (``connected``, method ``CONNECT``) and each request, and resets it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from portal_local.emulator import endpoints, pages, server_api
from portal_local.emulator.control import ControlApi, is_control_path
from portal_local.emulator.faults import FaultRegistry, padded
from portal_local.emulator.http_messages import RESET, Request, Response, html_response
from portal_local.emulator.machine import Machine
from portal_local.emulator.request_log import RequestLog, RequestRecord
from portal_local.emulator.site import Site, SiteApi, SiteKind

MACHINE_CONTEXT = "arcgis"  # the context a machine serves on its own port
APIS: dict[SiteKind, SiteApi] = {"portal": endpoints.PORTAL_API, "server": server_api.SERVER_API}


def _record(
    request: Request,
    arrived: float,
    response: Response,
    portal: Site | None,
    machine: Machine[Any] | None,
    *,
    direct: bool,
) -> RequestRecord:
    return RequestRecord(
        time=arrived,
        context=portal.context if portal else None,
        method=request.method,
        path=request.path,
        query_keys=request.query_keys,
        body_keys=request.body_keys,
        header_names=request.header_names,
        status=response.logged_status,
        machine=machine.name if machine else None,
        direct=direct,
    )


def _strip_context(path: str, context: str) -> str | None:
    """The path inside ``context``, or None when ``path`` is not under it."""
    stripped = path.strip("/")
    if stripped == context or stripped.startswith(context + "/"):
        return stripped[len(context) + 1 :]
    return None


class Dispatcher:
    def __init__(
        self,
        sites: Mapping[str, Site],
        faults: FaultRegistry,
        log: RequestLog,
        stopping: threading.Event,
        entry: Machine[Any] | None = None,
        *,
        aliases: Mapping[str, Site] | None = None,
    ) -> None:
        self._sites = sites
        self._routes = {**sites, **(aliases or {})}  # a Web Adaptor's context too
        self._contexts = sorted(self._routes, key=len, reverse=True)  # longest prefix first
        self._faults = faults
        self._log = log
        self._stopping = stopping
        self._entry = entry
        self._control = ControlApi(sites, faults, log) if entry is None else None

    def handle(self, request: Request) -> Response:
        if self._control is not None and is_control_path(request.path):
            return self._control.handle(request)
        arrived = time.time()
        self._log.arrived()
        try:
            portal, inner = self._route(request.path)
            machine: Machine[Any] | None = None
            if portal is None or inner is None:
                response = html_response(pages.not_found_page(request.path), 404)
            else:
                machine = self._entry or portal.pick_machine()
                response = self._answer(portal, machine, inner, request)
            direct = self._entry is not None
            self._log.append(_record(request, arrived, response, portal, machine, direct=direct))
            return response
        finally:
            self._log.finished()

    def _route(self, path: str) -> tuple[Site | None, str | None]:
        if self._entry is not None:
            return self._entry.portal, _strip_context(path, MACHINE_CONTEXT)
        for context in self._contexts:
            inner = _strip_context(path, context)
            if inner is not None:
                return self._routes[context], inner
        return None, None

    def _answer(
        self, portal: Site, machine: Machine[Any] | None, inner: str, request: Request
    ) -> Response:
        api = APIS[portal.kind]
        is_health = inner == api.health_check_path
        decided = self._faults.for_request(
            portal.context,
            inner,
            request.method,
            is_health_check=is_health,
            machine=machine.name if machine else None,
        )
        if decided.delay_seconds > 0:
            self._stopping.wait(decided.delay_seconds)
        self._held(decided.hold)
        if decided.answer is not None:
            return decided.answer.answer(request)
        if decided.health == "ok":
            return api.healthy(request)
        if decided.health == "down":
            return api.unhealthy()
        if machine is None:  # the load balancer, with every machine down
            return html_response(pages.proxy_error_page(503), 503)
        if machine.is_restarting:
            if portal.settings.down_mode == "refuse":
                return RESET
            if is_health:
                return api.unhealthy()
            return html_response(pages.proxy_error_page(502), 502)
        if inner == api.token_path and machine.warming_up:
            return html_response(pages.token_service_unavailable_page(), 503)
        response = api.handle(machine, inner, request)
        if decided.hold_answer_seconds > 0:
            self._stopping.wait(decided.hold_answer_seconds)
        self._held(decided.hold_answer)
        if decided.lost is not None:
            return decided.lost.lost()
        if decided.huge_size > 0:
            response = padded(response, decided.huge_size)
        if decided.drip_seconds > 0:
            response = replace(response, drip_seconds=decided.drip_seconds)
        return response

    def _held(self, released: threading.Event | None) -> None:
        """Wait until the hold fault is released, or the emulator stops."""
        while released is not None and not released.wait(0.1) and not self._stopping.is_set():
            pass


class TrapDispatcher:
    """The internal adminURL of a single-machine portal: logs each request, answers none."""

    def __init__(self, machine: Machine[Any], log: RequestLog) -> None:
        self._machine = machine
        self._log = log

    def handle(self, request: Request) -> Response:
        portal = self._machine.portal
        self._log.append(_record(request, time.time(), RESET, portal, self._machine, direct=True))
        return RESET

    def connected(self) -> None:
        """A connection was made (before any handshake: it may never send a request)."""
        self._log.append(
            RequestRecord(
                time=time.time(),
                context=self._machine.portal.context,
                method="CONNECT",
                path="",
                query_keys=(),
                body_keys=(),
                header_names=(),
                status=None,
                machine=self._machine.name,
                direct=True,
            )
        )
