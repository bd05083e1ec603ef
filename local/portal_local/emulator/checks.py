"""The checks every endpoint shares: HTTPS, method, token, administrator, JSON fields.

Each returns the refusal a real portal answers (a Response) or None / the value asked
for. They take the machine that answers: a token is checked against the key that
machine runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from portal_local.emulator.http_messages import Request, Response, error_response, json_response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal
from portal_local.emulator.users import User

NOT_AUTHORIZED = "You do not have permissions to access this resource or perform this operation."


def ssl_required(machine: Machine[Portal], request: Request) -> Response | None:
    if request.is_tls or machine.portal.settings.http_allowed:
        return None
    return error_response(403, "SSL Required", [], request.response_format)


def post_only(request: Request, operation: str) -> Response | None:
    if request.method == "POST":
        return None
    return error_response(
        405,
        "Method not supported.",
        [f"'{operation}' supports POST only."],
        request.response_format,
    )


def get_or_post(request: Request) -> Response | None:
    if request.method in ("GET", "POST"):
        return None
    return error_response(405, "Method not supported.", [], request.response_format)


QUERY_TOKEN_REFUSED = "A token in the query string is not accepted: send it in the body."  # noqa: S105


def token_of(machine: Machine[Any], request: Request) -> str | None:
    """The token of a request, where each version takes it (PORTAL_API.md 2):

    - the ``token`` field of a POST body (documented on every version);
    - ``X-Esri-Authorization: Bearer <token>`` (documented for token-secured requests);
    - ``Authorization: Bearer <token>`` from 11.4 (what Esri's arcgis-gitops sends to
      ``portaladmin`` and ``sharing/rest`` on 11.4 to 12.0); ignored below.

    A ``token`` in the query string is refused by ``admin`` (stricter than a real
    portal, which takes it on a GET: a token in a URL lands in access logs)."""
    if request.method == "POST" and request.form.get("token"):
        return request.form["token"]
    headers = ["X-Esri-Authorization"]
    if machine.portal.settings.accepts_bearer_header:
        headers.append("Authorization")
    for name in headers:
        scheme, _, bearer = (request.header(name) or "").partition(" ")
        if scheme.lower() == "bearer" and bearer.strip():
            return bearer.strip()
    return None


def admin(machine: Machine[Portal], request: Request) -> User | Response:
    """The authenticated administrator, or the error a real portal answers."""
    refusal = ssl_required(machine, request)
    if refusal is not None:
        return refusal
    fmt = request.response_format
    if "token" in request.query:
        return error_response(499, "Token Required.", [QUERY_TOKEN_REFUSED], fmt)
    token = token_of(machine, request)
    if token is None:
        return error_response(499, "Token Required.", [], fmt)
    user = machine.user_for_token(token, referer=request.header("Referer"), ip=request.client_ip)
    if user is None:
        return error_response(498, "Invalid token.", [], fmt)
    if not user.is_admin:
        return error_response(403, NOT_AUTHORIZED, [], fmt)
    return user


def admin_operation(machine: Machine[Portal], request: Request, operation: str) -> Response | None:
    """The refusal for an admin operation (POST only, administrators only), or None."""
    refusal = post_only(request, operation)
    if refusal is not None:
        return refusal
    user = admin(machine, request)
    return user if isinstance(user, Response) else None


def admin_json(
    machine: Machine[Portal],
    request: Request,
    title: str,
    data: Callable[[], Any],
    *,
    default_administrator: bool = False,
) -> Response:
    """A resource administrators read with GET or POST (``default_administrator``: only
    those with the default administrator role, not a custom administrative role)."""
    refusal = get_or_post(request)
    if refusal is not None:
        return refusal
    user = admin(machine, request)
    if isinstance(user, Response):
        return user
    if default_administrator and not user.default_administrator:
        return error_response(403, NOT_AUTHORIZED, [], request.response_format)
    return json_response(data(), request.response_format, title)


def parse_json_param(request: Request, name: str) -> tuple[Any, str | None]:
    raw = request.param(name)
    if raw is None or not raw.strip():
        return None, f"'{name}' must be specified."
    try:
        return json.loads(raw), None
    except ValueError:
        return None, f"'{name}' is not valid JSON."
