"""The Portal endpoints, one function each, routed by the path inside the context.

Every function takes the portal and the request and returns the response a real portal
would give while it is up (restarts and faults are handled before, by the dispatcher).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from portal_local.emulator.http_messages import (
    Request,
    Response,
    error_response,
    html_response,
    json_response,
)
from portal_local.emulator.pages import not_found_page
from portal_local.emulator.portal import Portal, User
from portal_local.emulator.security_config import replace_config
from portal_local.emulator.shared_key import generate_shared_key, supplied_key_problem
from portal_local.emulator.tokens import CLIENT_TYPES, ClientType

Endpoint = Callable[[Portal, Request], Response]

HEALTH_CHECK_PATH = "portaladmin/healthCheck"
SUCCESS_WITH_RECHECK = {"status": "success", "recheckAfterSeconds": 10}
TOKEN_FAILED = "Unable to generate token."  # noqa: S105 - an error message


# ---- shared checks ----


def _ssl_required(portal: Portal, request: Request) -> Response | None:
    if request.is_tls or portal.settings.http_allowed:
        return None
    return error_response(403, "SSL Required", [], request.response_format)


def _admin_operation(portal: Portal, request: Request, operation: str) -> Response | None:
    """The refusal for an admin operation (POST only, administrators only), or None."""
    refusal = _post_only(request, operation)
    if refusal is not None:
        return refusal
    user = _admin(portal, request)
    return user if isinstance(user, Response) else None


def _post_only(request: Request, operation: str) -> Response | None:
    if request.method == "POST":
        return None
    return error_response(
        405,
        "Method not supported.",
        [f"'{operation}' supports POST only."],
        request.response_format,
    )


def _get_or_post(request: Request) -> Response | None:
    if request.method in ("GET", "POST"):
        return None
    return error_response(405, "Method not supported.", [], request.response_format)


def token_of(request: Request) -> str | None:
    """The token of a request: a POST carries it in the body (Portal Admin requires
    that), a GET in the query string; either may use ``X-Esri-Authorization: Bearer``."""
    source = request.form if request.method == "POST" else request.query
    value = source.get("token")
    if value:
        return value
    header = request.header("X-Esri-Authorization") or ""
    scheme, _, bearer = header.partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        return bearer.strip()
    return None


def _admin(portal: Portal, request: Request) -> User | Response:
    """The authenticated administrator, or the error a real portal answers."""
    refusal = _ssl_required(portal, request)
    if refusal is not None:
        return refusal
    fmt = request.response_format
    token = token_of(request)
    if token is None:
        return error_response(499, "Token Required.", [], fmt)
    user = portal.user_for_token(token, referer=request.header("Referer"), ip=request.client_ip)
    if user is None:
        return error_response(498, "Invalid token.", [], fmt)
    if not user.is_admin:
        return error_response(
            403,
            "You do not have permissions to access this resource or perform this operation.",
            [],
            fmt,
        )
    return user


def _admin_json(portal: Portal, request: Request, title: str, data: Callable[[], Any]) -> Response:
    refusal = _get_or_post(request)
    if refusal is not None:
        return refusal
    user = _admin(portal, request)
    if isinstance(user, Response):
        return user
    return json_response(data(), request.response_format, title)


def _parse_json_param(request: Request, name: str) -> tuple[Any, str | None]:
    raw = request.param(name)
    if raw is None or not raw.strip():
        return None, f"'{name}' must be specified."
    try:
        return json.loads(raw), None
    except ValueError:
        return None, f"'{name}' is not valid JSON."


# ---- sharing API ----


def generate_token(portal: Portal, request: Request) -> Response:
    """Fields come from the body or, as servlets merge them, the query string: the
    request log (query_keys) is what shows a client that puts credentials in a URL."""
    fmt = request.response_format
    refusal = _post_only(request, "generateToken") or _ssl_required(portal, request)
    if refusal is not None:
        return refusal

    def failed(detail: str) -> Response:
        return error_response(400, TOKEN_FAILED, [detail], fmt)

    username, password = request.param("username"), request.param("password")
    if not username:
        return failed("'username' must be specified.")
    if not password:
        return failed("'password' must be specified.")
    client = request.param("client") or "referer"
    if client not in CLIENT_TYPES:
        return failed(f"Invalid client type '{client}'.")
    referer = request.param("referer") or None
    ip = request.param("ip") or None
    if client == "referer" and referer is None:
        return failed("'referer' must be specified.")
    if client == "ip" and ip is None:
        return failed("'ip' must be specified.")
    if client == "requestip":
        ip = request.client_ip
    try:
        minutes = int(request.param("expiration") or 60)
    except ValueError:
        return failed("Invalid expiration.")
    if minutes < 1:
        return failed("Invalid expiration.")
    minutes = min(minutes, portal.settings.token_max_minutes)
    user = portal.authenticate(username, password)
    if user is None:
        return failed("Invalid username or password.")
    token = portal.issue_token(
        user,
        client=cast(ClientType, client),  # checked against CLIENT_TYPES above
        referer=referer if client == "referer" else None,
        ip=ip if client != "referer" else None,
        minutes=minutes,
    )
    body = {
        "token": token.value,
        "expires": token.expires_ms,
        "ssl": not portal.settings.http_allowed,
    }
    return json_response(body, fmt, "Generate Token")


# ---- Portal Admin API ----


def admin_root(portal: Portal, request: Request) -> Response:
    settings = portal.settings
    return _admin_json(
        portal,
        request,
        "Portal Administration",
        lambda: {
            "isPostUpgrade": False,
            "isLicensePopulated": not portal.licenses_need_populate,
            "resources": [
                "license",
                "system",
                "security",
                "federation",
                "logs",
                "machines",
                "healthCheck",
            ],
            "isPortalLicensed": True,
            "isLicenseFileRequired": True,
            "isUserTypeLicensing": True,
            "version": settings.full_version,
            "currentbuild": settings.current_build,
        },
    )


def health_check(portal: Portal, request: Request) -> Response:
    refusal = _get_or_post(request)
    if refusal is not None:
        return refusal
    return json_response({"status": "success"}, request.response_format, "Health Check")


def populate_license(portal: Portal, request: Request) -> Response:
    refusal = _admin_operation(portal, request, "populateLicense")
    if refusal is not None:
        return refusal
    portal.populate_license()
    return json_response({"status": "success"}, request.response_format, "Populate License")


def security_root(portal: Portal, request: Request) -> Response:
    resources = {"resources": ["users", "groups", "tokens", "oauth", "config", "sslCertificates"]}
    return _admin_json(portal, request, "Security", lambda: resources)


def get_token_config(portal: Portal, request: Request) -> Response:
    return _admin_json(
        portal, request, "Token Configuration", lambda: {"sharedKey": portal.stored_shared_key}
    )


def update_token_config(portal: Portal, request: Request) -> Response:
    fmt = request.response_format
    refusal = _admin_operation(portal, request, "update")
    if refusal is not None:
        return refusal

    def failed(detail: str) -> Response:
        return error_response(400, "Unable to update the token configuration.", [detail], fmt)

    config, problem = _parse_json_param(request, "tokenConfig")
    if problem is not None:
        return failed(problem)
    if not isinstance(config, dict):
        return failed("'tokenConfig' must be a JSON object.")
    supplied = config.get("sharedKey")
    if portal.settings.portal_generates_key:
        if supplied and portal.settings.generated_key_mode == "reject":
            return failed("The shared key is generated by the portal and cannot be specified.")
        portal.store_shared_key(generate_shared_key())
    else:
        key_problem = supplied_key_problem(supplied)
        if key_problem is not None:
            return failed(key_problem)
        assert isinstance(supplied, str)  # noqa: S101 - narrowed by supplied_key_problem
        portal.store_shared_key(supplied)
    return json_response(SUCCESS_WITH_RECHECK, fmt, "Update Token Configuration")


def get_security_config(portal: Portal, request: Request) -> Response:
    return _admin_json(portal, request, "Security Configuration", lambda: portal.security_config)


def update_security_config(portal: Portal, request: Request) -> Response:
    fmt = request.response_format
    refusal = _admin_operation(portal, request, "update")
    if refusal is not None:
        return refusal
    message = "Unable to update the security configuration."
    posted, problem = _parse_json_param(request, "securityConfig")
    if problem is not None:
        return error_response(400, message, [problem], fmt)
    settings = portal.settings
    new, problems = replace_config(
        posted, settings.version_tuple, settings.custom_role_ids, settings.ignored_config_properties
    )
    if new is None:
        return error_response(400, message, problems, fmt)
    portal.store_security_config(new)
    return json_response(SUCCESS_WITH_RECHECK, fmt, "Update Security Configuration")


ROUTES: dict[str, Endpoint] = {
    "sharing/rest/generateToken": generate_token,
    "portaladmin": admin_root,
    HEALTH_CHECK_PATH: health_check,
    "portaladmin/license/populateLicense": populate_license,
    "portaladmin/security": security_root,
    "portaladmin/security/tokens": get_token_config,
    "portaladmin/security/tokens/update": update_token_config,
    "portaladmin/security/config": get_security_config,
    "portaladmin/security/config/update": update_security_config,
}


def not_found(request: Request, path: str) -> Response:
    """Unknown resource: API directories answer the JSON error, anything else 404 HTML."""
    api = path.startswith(("portaladmin/", "sharing/rest/"))
    if api and request.response_format in ("json", "pjson"):
        name = path.rsplit("/", 1)[-1]
        return error_response(
            404,
            f"Could not find resource or operation '{name}' on the system.",
            [],
            request.response_format,
        )
    return html_response(not_found_page(request.path), 404)


def handle(portal: Portal, path: str, request: Request) -> Response:
    endpoint = ROUTES.get(path)
    if endpoint is None:
        return not_found(request, path)
    return endpoint(portal, request)
