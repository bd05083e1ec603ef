"""The request and response values passed between the HTTP server and the endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal_local.emulator import pages

JSON_TYPE = "application/json;charset=UTF-8"
PJSON_TYPE = "text/plain;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded, without the query string
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    client_ip: str = "127.0.0.1"
    is_tls: bool = True
    query_keys: tuple[str, ...] = ()
    body_keys: tuple[str, ...] = ()
    header_names: tuple[str, ...] = ()  # lower-case, in the order sent
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """A parameter from the body, else from the query string (as servlets merge them)."""
        if name in self.form:
            return self.form[name]
        return self.query.get(name)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def response_format(self) -> str:
        """The f parameter; Portal's default format is html."""
        return (self.param("f") or "html").lower()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False  # abort the TCP connection instead of answering
    # The body sent a piece at a time, spread over this many seconds (a drip: each read
    # of the client gets a byte long before its read timeout, the whole answer never).
    drip_seconds: float = 0.0
    # A body produced piece by piece instead of ``body`` (it may be larger than memory
    # should hold): sent without Content-Length, the connection closed after it.
    stream: Callable[[], Iterable[bytes]] | None = None

    @property
    def logged_status(self) -> int | None:
        return None if self.reset else self.status


RESET = Response(status=0, reset=True)


def json_response(data: Any, response_format: str = "json", title: str = "Portal") -> Response:
    """``data`` as json / pjson, or as an HTML page for any other f."""
    if response_format == "json":
        return Response(200, json.dumps(data).encode(), JSON_TYPE)
    if response_format == "pjson":
        return Response(200, json.dumps(data, indent=2).encode(), PJSON_TYPE)
    return html_response(pages.json_page(title, data))


def error_response(
    code: int, message: str, details: Sequence[str] = (), response_format: str = "json"
) -> Response:
    """Portal's error shape, always with HTTP 200."""
    body = {"error": {"code": code, "message": message, "details": list(details)}}
    return json_response(body, response_format, title="Error")


def html_response(body: str, status: int = 200) -> Response:
    return Response(status, body.encode("utf-8"), HTML_TYPE)
