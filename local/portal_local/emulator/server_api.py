"""The ArcGIS Server endpoints the project uses, routed by the path inside the site's
context (SERVER_API.md): the Administrator Directory (``admin/...``) and the services
directory's health check (``rest/info/healthCheck``).

Shapes, as Esri documents them and as sites answer them (a capture of 10.5.1 in the
puppet module arcgis_site, SERVER_API.md 1):

- The Administrator Directory answers an error with HTTP 200 and ``{"status": "error",
  "messages": [...], "code": N}``: 499 "Unauthorized access. Token not found. You can
  generate a token using the 'generateToken' operation.", 498 "Token Expired." or
  "Could not decrypt token. Token may not be valid." (a token signed with another key);
  its JSON comes as ``text/plain;charset=UTF-8``.
- The services directory answers ``{"error": {"code": N, "message": ..., "details":
  [...]}}``, and the health check ``{"success": true}`` with HTTP 200 when the answering
  machine can take requests.
- ``admin/generateToken`` is POST only and answers ``{"token": ..., "expires": "<ms>"}``
  (the expiry as a string, as Esri's example shows), capped at the token manager's
  ``longTimeout`` minutes. The token is bound to a referer or an address.
- Resources answer GET (token in the query) or POST (token in the body; Esri's DSC reads
  them so); operations (``generateToken``, ``security/tokens/update``) POST only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from portal_local.emulator import pages
from portal_local.emulator.checks import parse_json_param, token_of
from portal_local.emulator.http_messages import (
    PJSON_TYPE,
    Request,
    Response,
    error_response,
    html_response,
    json_response,
)
from portal_local.emulator.machine import Machine
from portal_local.emulator.server_settings import BUILTIN, FACTORY_TOKEN_PROPERTIES
from portal_local.emulator.server_site import ServerSite
from portal_local.emulator.site import SiteApi
from portal_local.emulator.tokens import TokenRefusal, token_request
from portal_local.emulator.users import User

Endpoint = Callable[[Machine[ServerSite], Request], Response]

GENERATE_TOKEN_PATH = "admin/generateToken"  # noqa: S105 - a path
HEALTH_CHECK_PATH = "rest/info/healthCheck"
TOKEN_FAILED = "Unable to generate token."  # noqa: S105 - an error message
TOKEN_REQUIRED = (
    "Unauthorized access. Token not found. You can generate a token using the "  # noqa: S105 - a message
    "'generateToken' operation."
)
TOKEN_REFUSED: dict[TokenRefusal, str] = {
    "unknown": "Could not decrypt token. Token may not be valid.",
    "key": "Could not decrypt token. Token may not be valid.",
    "expired": "Token Expired.",
    "client": "Invalid token.",
}
NOT_AUTHORIZED = "User does not have permissions to access this resource or perform this operation."
ADMIN_RESOURCES = (
    "machines",
    "clusters",
    "system",
    "services",
    "security",
    "data",
    "uploads",
    "logs",
    "mode",
    "usagereports",
)


def server_json(data: Any, response_format: str, title: str = "ArcGIS Server") -> Response:
    """``data`` as the Administrator Directory sends JSON: ``text/plain;charset=UTF-8``."""
    response = json_response(data, response_format, title)
    return (
        response
        if response_format not in ("json", "pjson")
        else replace(response, content_type=PJSON_TYPE)
    )


def status_error(code: int, messages: Sequence[str], response_format: str) -> Response:
    """The Administrator Directory's error: HTTP 200, ``status: error``."""
    body = {"status": "error", "messages": list(messages), "code": code}
    return server_json(body, response_format, "Error")


# ---- the refusals every Administrator Directory endpoint shares ----


def _refusal(site: ServerSite, request: Request, *, post_only: bool) -> Response | None:
    fmt = request.response_format
    if post_only and request.method != "POST":
        return status_error(405, ["This operation is only supported via POST."], fmt)
    if request.method not in ("GET", "POST"):
        return status_error(405, ["Method not supported."], fmt)
    if not request.is_tls and not site.settings.http_allowed:
        return status_error(403, ["SSL Required."], fmt)
    return None


def _administrator(
    machine: Machine[ServerSite], request: Request, *, post_only: bool = False
) -> User | Response:
    """The authenticated administrator, or the refusal the site answers."""
    refusal = _refusal(machine.portal, request, post_only=post_only)
    if refusal is not None:
        return refusal
    fmt = request.response_format
    value = _token(machine, request)
    if value is None:
        return status_error(499, [TOKEN_REQUIRED], fmt)
    user, why = machine.check_token(value, referer=request.header("Referer"), ip=request.client_ip)
    if user is None:
        return status_error(498, [TOKEN_REFUSED[why or "unknown"]], fmt)
    if not user.is_admin:
        return status_error(403, [NOT_AUTHORIZED], fmt)
    return user


def _token(machine: Machine[ServerSite], request: Request) -> str | None:
    """A POST's token in its body (or header), a GET's in its query string (Esri's
    examples read resources so)."""
    if request.method == "GET" and request.query.get("token"):
        return request.query["token"]
    return token_of(machine, request)


def _resource(
    machine: Machine[ServerSite], request: Request, title: str, data: Callable[[], Any]
) -> Response:
    user = _administrator(machine, request)
    if isinstance(user, Response):
        return user
    return server_json(data(), request.response_format, title)


# ---- the Administrator Directory ----


def generate_token(machine: Machine[ServerSite], request: Request) -> Response:
    fmt = request.response_format
    site = machine.portal
    refusal = _refusal(site, request, post_only=True)
    if refusal is not None:
        return refusal

    asked = token_request(request)
    if isinstance(asked, str):
        return status_error(400, [TOKEN_FAILED, asked], fmt)
    user = site.authenticate(asked.username, asked.password)
    if user is None:
        return status_error(400, [TOKEN_FAILED, "Invalid user name or password."], fmt)
    token = machine.issue_token(user, asked, _long_timeout(site))
    return server_json({"token": token.value, "expires": str(token.expires_ms)}, fmt)


def _long_timeout(site: ServerSite) -> int:
    value = site.token_manager_config["properties"].get("longTimeout")
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return int(FACTORY_TOKEN_PROPERTIES["longTimeout"])


def admin_root(machine: Machine[ServerSite], request: Request) -> Response:
    settings = machine.portal.settings
    major, minor, patch = settings.version_tuple
    return _resource(
        machine,
        request,
        "ArcGIS Server Administrator Directory",
        lambda: {
            "resources": list(ADMIN_RESOURCES),
            # a number, as the 10.5.1 capture shows (10.51)
            "currentVersion": float(f"{major}.{minor}{patch or ''}"),
            "fullVersion": settings.full_version,
            "acceptLanguage": None,
        },
    )


def info(machine: Machine[ServerSite], request: Request) -> Response:
    settings = machine.portal.settings

    def body() -> dict[str, Any]:
        answer: dict[str, Any] = {
            "currentversion": settings.version,
            "currentbuild": settings.current_build,
            "timezone": {
                "displayname": "(UTC) Coordinated Universal Time",
                "windowsid": "UTC",
                "olsonid": "Etc/UTC",
                "daylightsavings": False,
            },
            "loggedInUser": settings.admin_username,
            "loggedInUserPrivilege": "ADMINISTER",
        }
        if settings.info_has_full_version:
            answer["fullVersion"] = settings.full_version
        return answer

    return _resource(machine, request, "Server Info", body)


def list_machines(machine: Machine[ServerSite], request: Request) -> Response:
    site = machine.portal
    return _resource(
        machine,
        request,
        "Machines",
        lambda: {
            "machines": [{"machineName": m.name, "adminURL": m.admin_url} for m in site.machines]
        },
    )


def token_config(machine: Machine[ServerSite], request: Request) -> Response:
    site = machine.portal
    return _resource(machine, request, "Token Manager", lambda: site.token_manager_config)


def update_token_config(machine: Machine[ServerSite], request: Request) -> Response:
    fmt = request.response_format
    user = _administrator(machine, request, post_only=True)
    if isinstance(user, Response):
        return user
    site = machine.portal
    posted, problem = parse_json_param(request, "tokenManagerConfig")
    if problem is not None:
        return status_error(500, [problem], fmt)
    config, problem = _replacing_config(posted, site)
    if config is None:
        return status_error(500, [problem or "Invalid token manager configuration."], fmt)
    site.store_token_manager_config(config)
    return server_json({"status": "success"}, fmt)


def _replacing_config(posted: Any, site: ServerSite) -> tuple[dict[str, Any] | None, str | None]:
    """The configuration an update stores (whole: a property it leaves out falls back to
    its factory value), or why the site refuses it."""
    if not isinstance(posted, dict) or not isinstance(posted.get("type"), str):
        return None, "The token manager configuration must have a 'type'."
    properties = posted.get("properties", {})
    if not isinstance(properties, dict):
        return None, "The token manager 'properties' must be a JSON object."
    config = {"type": posted["type"], "properties": {**FACTORY_TOKEN_PROPERTIES, **properties}}
    if posted["type"] != BUILTIN:
        return config, None
    key = properties.get("sharedKey")
    if not isinstance(key, str) or not key:
        return None, "The shared key must be specified."
    settings = site.settings
    too_long = settings.refused_key_length is not None and len(key) > settings.refused_key_length
    if too_long or (settings.alphanumeric_keys_only and not (key.isascii() and key.isalnum())):
        return None, "The shared key is not valid. Specify an alphanumeric value."
    return config, None


# ---- the services directory ----


def health_check(machine: Machine[ServerSite], request: Request) -> Response:
    if request.method != "GET":
        return error_response(405, "Method not supported.", [], request.response_format)
    return healthy(request)


def healthy(request: Request) -> Response:
    return json_response({"success": True}, request.response_format, "Health Check")


def unhealthy() -> Response:
    """The health check while the machine restarts behind a Web Adaptor."""
    return html_response(pages.proxy_error_page(503), 503)


def rest_info(machine: Machine[ServerSite], request: Request) -> Response:
    settings = machine.portal.settings
    major, minor, _ = settings.version_tuple
    body = {
        "currentVersion": float(f"{major}.{minor}"),
        "fullVersion": settings.full_version,
        "authInfo": {"isTokenBasedSecurity": True, "shortLivedTokenValidity": 60},
    }
    return json_response(body, request.response_format, "Server Info")


ROUTES: dict[str, Endpoint] = {
    GENERATE_TOKEN_PATH: generate_token,
    "admin": admin_root,
    "admin/info": info,
    "admin/machines": list_machines,
    "admin/security/tokens": token_config,
    "admin/security/tokens/update": update_token_config,
    HEALTH_CHECK_PATH: health_check,
    "rest/info": rest_info,
}


def handle(machine: Machine[ServerSite], path: str, request: Request) -> Response:
    endpoint = ROUTES.get(path)
    if endpoint is not None:
        return endpoint(machine, request)
    fmt = request.response_format
    name = path.rsplit("/", 1)[-1]
    if path.startswith("admin/") and fmt in ("json", "pjson"):
        message = f"Could not find resource or operation '{name}' on the system."
        return status_error(404, [message], fmt)
    if path.startswith("rest/") and fmt in ("json", "pjson"):
        return error_response(404, "Requested resource not found.", [], fmt)
    return html_response(pages.not_found_page(request.path), 404)


SERVER_API = SiteApi(HEALTH_CHECK_PATH, GENERATE_TOKEN_PATH, handle, healthy, unhealthy)
