"""From a parsed request to a response: control API, routing, faults, restarts, log."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from portal_local.emulator import endpoints, pages
from portal_local.emulator.control import ControlApi, is_control_path
from portal_local.emulator.faults import FaultRegistry
from portal_local.emulator.http_messages import (
    RESET,
    Request,
    Response,
    html_response,
    json_response,
)
from portal_local.emulator.portal import Portal
from portal_local.emulator.request_log import RequestLog, RequestRecord


class Dispatcher:
    def __init__(
        self,
        portals: Mapping[str, Portal],
        faults: FaultRegistry,
        log: RequestLog,
        stopping: threading.Event,
    ) -> None:
        self._portals = portals
        self._contexts = sorted(portals, key=len, reverse=True)  # longest prefix first
        self._faults = faults
        self._log = log
        self._stopping = stopping
        self._control = ControlApi(portals, faults, log)

    def handle(self, request: Request) -> Response:
        if is_control_path(request.path):
            return self._control.handle(request)
        arrived = time.time()
        portal, inner = self._route(request.path)
        if portal is None:
            response = html_response(pages.not_found_page(request.path), 404)
        else:
            response = self._answer(portal, inner, request)
        self._log.append(
            RequestRecord(
                time=arrived,
                context=portal.context if portal else None,
                method=request.method,
                path=request.path,
                query_keys=request.query_keys,
                body_keys=request.body_keys,
                header_names=request.header_names,
                status=response.logged_status,
            )
        )
        return response

    def _route(self, path: str) -> tuple[Portal | None, str]:
        stripped = path.strip("/")
        for context in self._contexts:
            if stripped == context or stripped.startswith(context + "/"):
                return self._portals[context], stripped[len(context) + 1 :]
        return None, ""

    def _answer(self, portal: Portal, inner: str, request: Request) -> Response:
        machine = portal.primary
        is_health = inner == endpoints.HEALTH_CHECK_PATH
        decided = self._faults.for_request(
            portal.context, inner, request.method, is_health_check=is_health, machine=machine.name
        )
        if decided.delay_seconds > 0:
            self._stopping.wait(decided.delay_seconds)
        if decided.answer is not None:
            return decided.answer.answer(request.response_format)
        if decided.health == "ok":
            return json_response({"status": "success"}, request.response_format, "Health Check")
        if decided.health == "down":
            return html_response(pages.health_unavailable_page(), 503)
        if machine.is_restarting:
            if portal.settings.down_mode == "refuse":
                return RESET
            if is_health:
                return html_response(pages.health_unavailable_page(), 503)
            return html_response(pages.proxy_error_page(502), 502)
        if inner == endpoints.GENERATE_TOKEN_PATH and machine.warming_up:
            return html_response(pages.token_service_unavailable_page(), 503)
        return endpoints.handle(machine, inner, request)
