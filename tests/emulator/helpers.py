"""Raw HTTP helpers for the emulator tests: plain ``requests``, never a project client.

``trust_env`` is off and ``verify`` is passed per request: REQUESTS_CA_BUNDLE in the
environment would otherwise override ``Session.verify``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests
from portal_local.emulator import PortalEmulator, PortalSettings, ServerSettings

REFERER = "https://automation.example.com"
FAST = {"restart_seconds": 0.4, "restart_lag_seconds": 0.2}
TIMEOUT = 5.0
HANG_GUARD = 60.0
"""How long a wait for a state that is sure to come (a thread noticing a change) may take
before the test fails as hung: a bound for a loaded machine, never a measure."""

StartEmulator = Callable[..., PortalEmulator]


def fast(**overrides: Any) -> PortalSettings:
    """Settings with sub-second restarts."""
    return PortalSettings(**{**FAST, **overrides})


def fast_server(**overrides: Any) -> ServerSettings:
    """An ArcGIS Server site with sub-second restarts."""
    return ServerSettings(**{**FAST, **overrides})


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class RawPortal:
    """Raw HTTP calls to one emulated portal: through its URL, or with ``machine`` (a
    number or a name) directly to that machine's adminURL."""

    TOKEN_PATH = "sharing/rest/generateToken"
    HEALTH_PATH = "portaladmin/healthCheck"

    def __init__(
        self, emu: PortalEmulator, context: str | None = None, machine: str | int | None = None
    ) -> None:
        self.emu = emu
        self.portal: Any = self._target(emu, context)
        self.url = emu.url(context if context is not None else self.portal.context)
        if machine is not None:
            self.url = self.portal.machine(machine).admin_url
        self.verify: str | bool = emu.ca_bundle or True
        self.session = requests.Session()
        self.session.trust_env = False

    def post(
        self,
        path: str,
        *,
        referer_header: str | None = REFERER,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        **fields: str,
    ) -> requests.Response:
        return self.post_form(path, fields, referer_header, headers, params)

    def post_form(
        self,
        path: str,
        fields: dict[str, str],
        referer_header: str | None = REFERER,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = {"Referer": referer_header} if referer_header else {}
        all_headers.update(headers or {})
        return self.session.post(
            f"{self.url}/{path}",
            data=fields,
            params=params,
            headers=all_headers,
            verify=self.verify,
            timeout=TIMEOUT,
        )

    def get(
        self,
        path: str,
        *,
        referer_header: str | None = REFERER,
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> requests.Response:
        all_headers = {"Referer": referer_header} if referer_header else {}
        all_headers.update(headers or {})
        return self.session.get(
            f"{self.url}/{path}",
            params=params,
            headers=all_headers,
            verify=self.verify,
            timeout=TIMEOUT,
        )

    def get_admin(self, path: str, token: str, **params: str) -> requests.Response:
        """A GET with the token in the X-Esri-Authorization header (never in the URL)."""
        return self.get(path, headers={"X-Esri-Authorization": f"Bearer {token}"}, **params)

    def token_response(self, **fields: str) -> dict[str, Any]:
        data = {
            "username": self.portal.settings.admin_username,
            "password": self.portal.settings.admin_password,
            "client": "referer",
            "referer": REFERER,
            "expiration": "5",
            "f": "json",
            **fields,
        }
        response = self.post_form(self.TOKEN_PATH, data)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    def token(self, **fields: str) -> str:
        body = self.token_response(**fields)
        assert "token" in body, body
        return str(body["token"])

    def viewer_token(self) -> str:
        settings = self.portal.settings
        return self.token(username=settings.viewer_username, password=settings.viewer_password)

    def admin(self, path: str, token: str, **fields: str) -> dict[str, Any]:
        """POST an admin call with the token in the body, f=json; the parsed body."""
        response = self.post_form(path, {"token": token, "f": "json", **fields})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def update_key(self, token: str, key: str | None) -> dict[str, Any]:
        config = {} if key is None else {"sharedKey": key}
        return self.admin(
            "portaladmin/security/tokens/update", token, tokenConfig=json.dumps(config)
        )

    def update_config(self, token: str, config: Any) -> dict[str, Any]:
        return self.admin(
            "portaladmin/security/config/update", token, securityConfig=json.dumps(config)
        )

    def health(self) -> requests.Response:
        return self.session.get(
            f"{self.url}/{self.HEALTH_PATH}",
            params={"f": "json"},
            verify=self.verify,
            timeout=TIMEOUT,
        )

    @staticmethod
    def _target(emu: PortalEmulator, context: str | None) -> Any:
        return emu.portal(context)


class RawServer(RawPortal):
    """Raw HTTP calls to one emulated ArcGIS Server site: through its URL, or with
    ``machine`` directly to that machine (``url`` is then its base, the adminURL without
    ``/admin``)."""

    TOKEN_PATH = "admin/generateToken"
    HEALTH_PATH = "rest/info/healthCheck"

    def __init__(
        self, emu: PortalEmulator, context: str | None = None, machine: str | int | None = None
    ) -> None:
        super().__init__(emu, context, machine)
        self.url = self.url.removesuffix("/admin")

    def publisher_token(self) -> str:
        settings = self.portal.settings
        return self.token(
            username=settings.publisher_username, password=settings.publisher_password
        )

    def update_token_config(self, token: str, config: Any) -> dict[str, Any]:
        return self.admin(
            "admin/security/tokens/update", token, tokenManagerConfig=json.dumps(config)
        )

    def update_key(self, token: str, key: str | None) -> dict[str, Any]:
        config = self.admin("admin/security/tokens", token)
        config["properties"]["sharedKey"] = key
        return self.update_token_config(token, config)

    @staticmethod
    def _target(emu: PortalEmulator, context: str | None) -> Any:
        return emu.server(context)
