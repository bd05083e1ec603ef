"""The Portal endpoints, one function each, routed by the path inside the context.

Every function takes the machine that answers and the request, and returns the response
a real portal would give while that machine is up (restarts and faults are handled
before, by the dispatcher). The database is the machine's portal's (``machine.portal``).
"""

from __future__ import annotations

from collections.abc import Callable

from portal_local.emulator import federation_api, kubernetes_api, license_api, machines_api
from portal_local.emulator.checks import (
    admin_json,
    admin_operation,
    get_or_post,
    parse_json_param,
    post_only,
    ssl_required,
)
from portal_local.emulator.http_messages import (
    Request,
    Response,
    error_response,
    html_response,
    json_response,
)
from portal_local.emulator.machine import Machine
from portal_local.emulator.pages import health_unavailable_page, not_found_page
from portal_local.emulator.portal import Portal
from portal_local.emulator.security_config import automatic_account_problem, replace_config
from portal_local.emulator.shared_key import generate_shared_key, supplied_key_problem
from portal_local.emulator.site import SiteApi
from portal_local.emulator.tokens import token_request
from portal_local.emulator.user_defaults_api import (
    SET_USER_DEFAULTS_PATH,
    USER_DEFAULTS_PATH,
    get_user_defaults,
    set_user_defaults,
)

Endpoint = Callable[[Machine[Portal], Request], Response]

HEALTH_CHECK_PATH = "portaladmin/healthCheck"
GENERATE_TOKEN_PATH = "sharing/rest/generateToken"  # noqa: S105 - a path
TOKEN_FAILED = "Unable to generate token."  # noqa: S105 - an error message


def _update_accepted(recheck_seconds: int | None) -> dict[str, object]:
    """The success answer of an update, with recheckAfterSeconds when the portal gives it."""
    answer: dict[str, object] = {"status": "success"}
    if recheck_seconds is not None:
        answer["recheckAfterSeconds"] = recheck_seconds
    return answer


# ---- sharing API ----


def generate_token(machine: Machine[Portal], request: Request) -> Response:
    fmt = request.response_format
    refusal = post_only(request, "generateToken") or ssl_required(machine, request)
    if refusal is not None:
        return refusal
    asked = token_request(request)
    if isinstance(asked, str):
        return error_response(400, TOKEN_FAILED, [asked], fmt)
    settings = machine.portal.settings
    user = machine.portal.authenticate(asked.username, asked.password)
    if user is None:
        return error_response(400, TOKEN_FAILED, ["Invalid username or password."], fmt)
    token = machine.issue_token(user, asked, settings.token_max_minutes)
    body = {
        "token": token.value,
        "expires": token.expires_ms,
        "ssl": not settings.http_allowed,
    }
    return json_response(body, fmt, "Generate Token")


# ---- Portal Admin API ----


def admin_root(machine: Machine[Portal], request: Request) -> Response:
    portal = machine.portal
    settings = portal.settings
    return admin_json(
        machine,
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


def health_check(machine: Machine[Portal], request: Request) -> Response:
    refusal = get_or_post(request)
    if refusal is not None:
        return refusal
    return healthy(request)


def healthy(request: Request) -> Response:
    return json_response({"status": "success"}, request.response_format, "Health Check")


def unhealthy() -> Response:
    """The health check while the portal restarts: HTML even though f=json was asked."""
    return html_response(health_unavailable_page(), 503)


def populate_license(machine: Machine[Portal], request: Request) -> Response:
    refusal = admin_operation(machine, request, "populateLicense")
    if refusal is not None:
        return refusal
    machine.portal.populate_license()
    return json_response({"status": "success"}, request.response_format, "Populate License")


def security_root(machine: Machine[Portal], request: Request) -> Response:
    resources = {"resources": ["users", "groups", "tokens", "oauth", "config", "sslCertificates"]}
    return admin_json(machine, request, "Security", lambda: resources)


def get_token_config(machine: Machine[Portal], request: Request) -> Response:
    portal = machine.portal
    return admin_json(
        machine, request, "Token Configuration", lambda: {"sharedKey": portal.stored_shared_key}
    )


def update_token_config(machine: Machine[Portal], request: Request) -> Response:
    fmt = request.response_format
    refusal = admin_operation(machine, request, "update")
    if refusal is not None:
        return refusal

    def failed(detail: str) -> Response:
        return error_response(400, "Unable to update the token configuration.", [detail], fmt)

    config, problem = parse_json_param(request, "tokenConfig")
    if problem is not None:
        return failed(problem)
    if not isinstance(config, dict):
        return failed("'tokenConfig' must be a JSON object.")
    supplied = config.get("sharedKey")
    portal = machine.portal
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
    answer = _update_accepted(portal.settings.token_recheck_seconds)
    return json_response(answer, fmt, "Update Token Configuration")


def get_security_config(machine: Machine[Portal], request: Request) -> Response:
    return admin_json(
        machine, request, "Security Configuration", lambda: machine.portal.security_config_answer
    )


def update_security_config(machine: Machine[Portal], request: Request) -> Response:
    fmt = request.response_format
    refusal = admin_operation(machine, request, "update")
    if refusal is not None:
        return refusal
    message = "Unable to update the security configuration."
    posted, problem = parse_json_param(request, "securityConfig")
    if problem is not None:
        return error_response(400, message, [problem], fmt)
    portal = machine.portal
    settings = portal.settings
    new, problems = replace_config(
        posted,
        settings.version_tuple,
        settings.custom_role_ids,
        settings.ignored_config_properties,
        settings.empty_proxy_hosts,
    )
    if new is None:
        return error_response(400, message, problems, fmt)
    refused = automatic_account_problem(
        new, settings.version_tuple, portal.effective_default_user_type
    )
    if refused is not None:
        return error_response(500, refused, [], fmt)
    portal.store_security_config(new)
    answer = _update_accepted(settings.config_recheck_seconds)
    return json_response(answer, fmt, "Update Security Configuration")


ROUTES: dict[str, Endpoint] = {
    GENERATE_TOKEN_PATH: generate_token,
    "portaladmin": admin_root,
    HEALTH_CHECK_PATH: health_check,
    "portaladmin/license/populateLicense": populate_license,
    "portaladmin/security": security_root,
    "portaladmin/security/tokens": get_token_config,
    "portaladmin/security/tokens/update": update_token_config,
    "portaladmin/security/config": get_security_config,
    "portaladmin/security/config/update": update_security_config,
    USER_DEFAULTS_PATH: get_user_defaults,
    SET_USER_DEFAULTS_PATH: set_user_defaults,
    machines_api.MACHINES_PATH: machines_api.list_machines,
    license_api.LICENSE_PATH: license_api.get_license,
    federation_api.VALIDATE_PATH: federation_api.validate_servers,
}
KUBERNETES_ROUTES: dict[str, Endpoint] = {
    GENERATE_TOKEN_PATH: generate_token,
    kubernetes_api.ADMIN_ROOT_PATH: kubernetes_api.admin_root,
}
# Resources that appeared in a later version: before it they do not exist.
SINCE: dict[str, tuple[int, int, int]] = {
    USER_DEFAULTS_PATH: (10, 8, 0),
    SET_USER_DEFAULTS_PATH: (10, 8, 0),
}


def not_found(request: Request, path: str, api_directories: tuple[str, ...]) -> Response:
    """Unknown resource: API directories answer the JSON error, anything else 404 HTML."""
    api = path.startswith(api_directories)
    if api and request.response_format in ("json", "pjson"):
        name = path.rsplit("/", 1)[-1]
        return error_response(
            404,
            f"Could not find resource or operation '{name}' on the system.",
            [],
            request.response_format,
        )
    return html_response(not_found_page(request.path), 404)


def handle(machine: Machine[Portal], path: str, request: Request) -> Response:
    settings = machine.portal.settings
    if settings.flavour == "kubernetes":
        routes, directories = KUBERNETES_ROUTES, ("admin/", "sharing/rest/")
    else:
        routes, directories = ROUTES, ("portaladmin/", "sharing/rest/")
    machines_prefix = machines_api.MACHINES_PATH + "/"
    if settings.flavour == "enterprise" and path.startswith(machines_prefix):
        answer = machines_api.machine_path(machine, path[len(machines_prefix) :], request)
        return answer if answer is not None else not_found(request, path, directories)
    endpoint = routes.get(path)
    since = SINCE.get(path)
    if endpoint is None or (since is not None and settings.version_tuple < since):
        return not_found(request, path, directories)
    return endpoint(machine, request)


PORTAL_API = SiteApi(HEALTH_CHECK_PATH, GENERATE_TOKEN_PATH, handle, healthy, unhealthy)
