"""HTML bodies: what a browser-facing portal, a Web Adaptor or a proxy sends back."""

from __future__ import annotations

import html
import json
from typing import Any

_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def proxy_error_page(status: int) -> str:
    """What a Web Adaptor / load balancer answers while the portal behind it is down."""
    reason = _REASONS.get(status, "Error")
    return _document(
        f"{status} {reason}",
        f"<h1>{status} - {html.escape(reason)}</h1>\n"
        "<p>The web server received an invalid response while acting as a gateway or "
        "proxy server. There is a problem with the page you are looking for, and it "
        "cannot be displayed.</p>",
    )


def status_page(status: int) -> str:
    """A bare server error page (e.g. an unreadable request)."""
    reason = _REASONS.get(status, "Error")
    return _document(f"{status} {reason}", f"<h1>HTTP Status {status} - {html.escape(reason)}</h1>")


def health_unavailable_page() -> str:
    """The health check while the portal restarts: HTML even though f=json was asked."""
    return _document(
        "Error 503 Service Unavailable",
        "<h2>HTTP ERROR 503 Service Unavailable</h2>\n"
        "<p>Portal for ArcGIS is starting. Please try again later.</p>",
    )


def token_service_unavailable_page() -> str:
    """generateToken right after a restart, before the token service is ready."""
    return _document(
        "HTTP Status 503 - Service Unavailable",
        "<h1>HTTP Status 503 - Service Unavailable</h1>\n"
        "<p>The token service is not available yet. Please try again later.</p>",
    )


def not_found_page(path: str) -> str:
    return _document(
        "404 Not Found",
        f"<h1>HTTP Status 404 - Not Found</h1>\n<p>{html.escape(path)}</p>",
    )


def sign_in_page(title: str = "ArcGIS Enterprise") -> str:
    """An HTML page where JSON was expected (a sign-in redirect target, an error page)."""
    return _document(
        f"Sign In - {title}",
        '<div id="signin"><h1>Sign in to ArcGIS Enterprise</h1>\n'
        '<form method="post"><input name="username"><input name="password" '
        'type="password"></form></div>',
    )


def json_page(title: str, data: Any) -> str:
    """The f=html rendering of a resource: the JSON shown in a directory-like page."""
    pretty = html.escape(json.dumps(data, indent=2, sort_keys=True))
    return _document(title, f"<h2>{html.escape(title)}</h2>\n<pre>{pretty}</pre>")
