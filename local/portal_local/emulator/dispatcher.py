"""From a parsed request to a response: control API, routing, faults, restarts, log.

One Dispatcher answers for one listening server:

- the portals' URL (``entry=None``): every context; the control API. A portal of one
  machine is answered by that machine. A portal of two sits behind a round-robin load
  balancer over the machines that are not down; with both down the balancer itself
  answers 503 with an HTML page, as a Web Adaptor or load balancer does.
- one machine's own adminURL (``entry=<Machine>``): only that machine's portal, under the
  machine context ``arcgis`` (as port 7443 of a real machine), whatever the portal's
  context behind the load balancer.

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

from portal_local.emulator import endpoints, pages
from portal_local.emulator.control import ControlApi, is_control_path
from portal_local.emulator.faults import FaultRegistry, padded
from portal_local.emulator.http_messages import (
    RESET,
    Request,
    Response,
    html_response,
    json_response,
)
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal
from portal_local.emulator.request_log import RequestLog, RequestRecord

MACHINE_CONTEXT = "arcgis"  # the context a machine serves on its own port


def _record(
    request: Request,
    arrived: float,
    response: Response,
    portal: Portal | None,
    machine: Machine[Portal] | None,
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
        portals: Mapping[str, Portal],
        faults: FaultRegistry,
        log: RequestLog,
        stopping: threading.Event,
        entry: Machine[Portal] | None = None,
        *,
        aliases: Mapping[str, Portal] | None = None,
    ) -> None:
        self._portals = portals
        self._routes = {**portals, **(aliases or {})}  # a Web Adaptor's context too
        self._contexts = sorted(self._routes, key=len, reverse=True)  # longest prefix first
        self._faults = faults
        self._log = log
        self._stopping = stopping
        self._entry = entry
        self._control = ControlApi(portals, faults, log) if entry is None else None

    def handle(self, request: Request) -> Response:
        if self._control is not None and is_control_path(request.path):
            return self._control.handle(request)
        arrived = time.time()
        self._log.arrived()
        try:
            portal, inner = self._route(request.path)
            machine: Machine[Portal] | None = None
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

    def _route(self, path: str) -> tuple[Portal | None, str | None]:
        if self._entry is not None:
            return self._entry.portal, _strip_context(path, MACHINE_CONTEXT)
        for context in self._contexts:
            inner = _strip_context(path, context)
            if inner is not None:
                return self._routes[context], inner
        return None, None

    def _answer(
        self, portal: Portal, machine: Machine[Portal] | None, inner: str, request: Request
    ) -> Response:
        is_health = inner == endpoints.HEALTH_CHECK_PATH
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
            return json_response({"status": "success"}, request.response_format, "Health Check")
        if decided.health == "down":
            return html_response(pages.health_unavailable_page(), 503)
        if machine is None:  # the load balancer, with every machine down
            return html_response(pages.proxy_error_page(503), 503)
        if machine.is_restarting:
            if portal.settings.down_mode == "refuse":
                return RESET
            if is_health:
                return html_response(pages.health_unavailable_page(), 503)
            return html_response(pages.proxy_error_page(502), 502)
        if inner == endpoints.GENERATE_TOKEN_PATH and machine.warming_up:
            return html_response(pages.token_service_unavailable_page(), 503)
        response = endpoints.handle(machine, inner, request)
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

    def __init__(self, machine: Machine[Portal], log: RequestLog) -> None:
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
