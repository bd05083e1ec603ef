"""The two 10.8+ sharing API endpoints of the new member defaults (see ``user_defaults``)."""

from __future__ import annotations

from portal_local.emulator.checks import admin_json, admin_operation
from portal_local.emulator.http_messages import Request, Response, error_response, json_response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal
from portal_local.emulator.user_defaults import SET_FAILED, replace_user_defaults

USER_DEFAULTS_PATH = "sharing/rest/portals/self/userDefaultSettings"
SET_USER_DEFAULTS_PATH = "sharing/rest/portals/self/setUserDefaultSettings"


def get_user_defaults(machine: Machine[Portal], request: Request) -> Response:
    portal = machine.portal
    return admin_json(
        machine, request, "User Default Settings", lambda: portal.user_default_settings_answer
    )


def set_user_defaults(machine: Machine[Portal], request: Request) -> Response:
    fmt = request.response_format
    refusal = admin_operation(machine, request, "setUserDefaultSettings")
    if refusal is not None:
        return refusal
    portal = machine.portal
    settings = portal.settings
    new, problems = replace_user_defaults(
        request.form, settings.custom_role_ids, settings.user_types
    )
    if new is None:
        return error_response(400, SET_FAILED, problems, fmt)
    portal.store_user_default_settings(new)
    return json_response({"success": True}, fmt, "Set User Default Settings")
