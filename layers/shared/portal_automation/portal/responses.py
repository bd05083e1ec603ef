"""Turn every answer the portal can give into a result or one of the named errors.

The portal reports most errors with HTTP 200 and an ``error`` object, admin operations
sometimes with ``status: error|failed``, and a restarting portal (or its Web Adaptor or
load balancer) with 502/503/504 and an HTML page. A response is a success only if the
status is 2xx, the body is a JSON object, and it has neither ``error`` nor a ``status``
other than ``success``.

Every piece of the portal's text that reaches a message (its error text, status, content
type) is redacted, made ``printable`` (FAULTS row 50) and cut to a bound, in that order.
"""

from __future__ import annotations

import json
from typing import Any, Final

import requests

from ..errors import PortalAuthFailed, PortalBadResponse, PortalRequestRejected, PortalUnavailable
from ..printable import shown

_AUTH_CODES: Final = frozenset({498, 499, 403})
_PROXY_STATUSES: Final = frozenset({502, 503, 504})
_MAX_DETAIL: Final = 300


def parse_json_response(response: requests.Response, operation: str) -> dict[str, Any]:
    status = response.status_code
    if status in _PROXY_STATUSES or status >= 500:
        raise PortalUnavailable(f"{operation}: portal answered HTTP {status} (not available)")
    if status == 404:
        raise PortalRequestRejected(
            f"{operation}: HTTP 404, endpoint not found (check the portal URL and context)",
            code=404,
        )
    if not 200 <= status < 300:
        raise PortalRequestRejected(f"{operation}: portal answered HTTP {status}", code=status)
    try:
        body = response.json()
    except (json.JSONDecodeError, requests.exceptions.JSONDecodeError, UnicodeDecodeError):
        kind = shown(response.headers.get("Content-Type", "unknown content").split(";")[0], 80)
        raise PortalBadResponse(
            f"{operation}: expected JSON, portal answered HTTP {status} with {kind}"
        ) from None
    if not isinstance(body, dict):
        raise PortalBadResponse(f"{operation}: expected a JSON object")
    error = body.get("error")
    if error is not None:
        code, text = _describe_error(error)
        raise _error_for(operation, code, text)
    state = body.get("status")
    if state is not None and state != "success":
        code = body.get("code") if isinstance(body.get("code"), int) else None
        messages = body.get("messages") or body.get("message") or []
        text = _join(messages if isinstance(messages, list) else [messages])
        raise _error_for(operation, code, f"status {shown(str(state), 20)}: {text}")
    return body


def _describe_error(error: object) -> tuple[int | None, str]:
    if not isinstance(error, dict):
        return None, _clip(str(error))
    code = error.get("code")
    code = code if isinstance(code, int) else None
    parts = [str(error.get("message") or "")]
    details = error.get("details")
    if isinstance(details, list):
        parts.extend(str(d) for d in details if d)
    return code, _join(parts)


def _error_for(operation: str, code: int | None, text: str) -> Exception:
    message = f"{operation}: portal error {code if code is not None else '(no code)'}: {text}"
    if code in _AUTH_CODES:
        return PortalAuthFailed(message, code=code)
    return PortalRequestRejected(message, code=code)


def _join(parts: list[Any]) -> str:
    return _clip("; ".join(str(p) for p in parts if p))


def _clip(text: str) -> str:
    return shown(text, _MAX_DETAIL)
