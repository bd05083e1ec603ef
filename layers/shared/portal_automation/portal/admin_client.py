"""What the clients of ArcGIS's administrator APIs share (the portal's, a server site's).

One HTTP session with the target's base URL (the URL policy applied), tokens from the
target's own ``generateToken`` (POST only, the password in the body), administrator
calls with the token in the POST body (never in a URL), every answer parsed into a
result or a named error, and the anonymous health check. The subclasses say where each
call goes and what its answer means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Self

import requests

from ..domain.version import PortalVersion
from ..errors import MachineListTooLarge, PortalAuthFailed, PortalBadResponse, PortalTlsError
from ..printable import printable
from ..sensitive import Secret
from .models import (
    DEFAULT_TOKEN_MINUTES,
    HealthStatus,
    Machine,
    PortalToken,
    TokenClient,
    UpdateAccepted,
)
from .responses import parse_json_response
from .transport import Transport, TransportSettings
from .url import UrlPolicy, normalise_portal_url

MAX_TOKEN_MINUTES: Final = 525_600
# What a target says is bounded before it steers anything (issue 18): a recheck longer
# than the input's own maximum; a machine list longer, or a name or URL longer, than any
# real one (a host name has at most 253 characters).
MAX_RECHECK_SECONDS: Final = 600
MAX_MACHINES: Final = 8
_MAX_MACHINE_NAME: Final = 255
_MAX_ADMIN_URL: Final = 2048
_MAX_ROLE: Final = 32
_LAST_EXPIRY_MS: Final = 253_402_300_799_000  # 9999-12-31: datetime's last second
_MAX_EXPIRY_DIGITS: Final = 15


class AdminApiClient:
    """One target, one HTTP session. Every method maps failures to the named errors.

    ``version``: the target's, when known (a portal's decides how its token travels);
    ``token_client`` and ``token_ip``: what the tokens it makes are bound to (the
    credentials secret's ``tokenClient``, ``tokenIp``).
    """

    KIND: ClassVar[str]
    TOKEN_PATH: ClassVar[str]

    def __init__(
        self,
        url: str,
        *,
        referer: str | None = None,
        policy: UrlPolicy = UrlPolicy(),  # noqa: B008 - immutable
        settings: TransportSettings | None = None,
        version: PortalVersion | None = None,
        token_client: TokenClient = "referer",  # noqa: S107 - a binding, not a password
        token_ip: str | None = None,
    ) -> None:
        self.base_url = normalise_portal_url(url, policy)
        self.referer = referer or self.base_url
        self.version = version
        self.token_client: TokenClient = token_client
        self.token_ip = token_ip
        self._http = Transport(
            self.base_url,
            self.referer,
            settings or TransportSettings(),
            allow_local=policy.allow_local,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def generate_token(
        self,
        username: str,
        password: Secret,
        *,
        client: TokenClient | None = None,
        ip: str | None = None,
        expiration_minutes: int = DEFAULT_TOKEN_MINUTES,
    ) -> PortalToken:
        """POST ``TOKEN_PATH``: a token bound to the referer or an address (by default
        what this client was made with)."""
        if client is None:
            client, ip = self.token_client, self.token_ip
        if not 1 <= expiration_minutes <= MAX_TOKEN_MINUTES:
            raise ValueError(f"expiration_minutes must be 1..{MAX_TOKEN_MINUTES}")
        form = {
            "username": username,
            "password": password.reveal(),
            "client": client,
            "expiration": str(expiration_minutes),
            "f": "json",
        }
        if client == "referer":
            form["referer"] = self.referer
        elif client == "ip":
            if not ip:
                raise ValueError("client='ip' needs the ip the token is bound to")
            form["ip"] = ip
        response = self._http.post(
            self.TOKEN_PATH, form, operation="generateToken", idempotent=True
        )
        try:
            body = parse_json_response(response, "generateToken")
        except PortalAuthFailed:
            raise
        except Exception as exc:
            if getattr(exc, "code", None) == 400:
                raise PortalAuthFailed(
                    f"generateToken refused for user {username!r}: {exc}", code=400
                ) from None
            raise
        token = body.get("token")
        expires = _expiry(body.get("expires"))
        if not isinstance(token, str) or not token or expires is None:
            raise PortalBadResponse("generateToken: answer has no token or expiry")
        return PortalToken(
            value=Secret(token),
            expires_at=expires,
            ssl=bool(body.get("ssl", False)),
            referer=self.referer if client == "referer" else None,
        )

    def _admin(
        self,
        path: str,
        token: PortalToken,
        *,
        operation: str,
        form: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        data = {"f": "json", "token": token.value.reveal(), **(form or {})}
        headers = self._headers(token)
        response = self._http.post(
            path, data, operation=operation, idempotent=idempotent, headers=headers
        )
        return parse_json_response(response, operation)

    def _headers(self, token: PortalToken) -> dict[str, str] | None:
        """Headers an admin call adds to the token in its body (none by default)."""
        return None

    def _health(self, path: str, ready: Callable[[Any], bool]) -> HealthStatus:
        """The anonymous health check: HTTP 200 with a JSON body ``ready`` accepts. Not
        ready is an answer, not an error; TLS is an error."""
        try:
            response = self._http.get_anonymous(path, {"f": "json"}, operation="health check")
        except PortalTlsError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport failure means "not ready"
            return HealthStatus(False, getattr(exc, "message", type(exc).__name__))
        if response.status_code != 200:
            return HealthStatus(False, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except (ValueError, requests.exceptions.JSONDecodeError):
            return HealthStatus(False, "HTTP 200 without JSON")
        if ready(body):
            return HealthStatus(True, "success")
        return HealthStatus(False, "health check did not report success")


def update_accepted(body: Mapping[str, Any], default_seconds: int) -> UpdateAccepted:
    """An update's success answer: when to look again (``recheckAfterSeconds``, or the
    default when the answer has none), bounded by the input's own maximum."""
    recheck = body.get("recheckAfterSeconds", default_seconds)
    finite = isinstance(recheck, int | float) and not isinstance(recheck, bool)
    seconds = int(recheck) if finite and math.isfinite(recheck) else default_seconds
    return UpdateAccepted(min(max(0, seconds), MAX_RECHECK_SECONDS))


def _expiry(value: object) -> datetime | None:
    """A token's expiry: epoch milliseconds as a number (the portal) or as a string of
    digits (a server site, as Esri's example shows); None when it is neither, or past
    what a date can hold."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= _MAX_EXPIRY_DIGITS else None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not math.isfinite(value) or not 0 < value <= _LAST_EXPIRY_MS:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def vetted_machines(
    listed: object,
    *,
    limit: int = MAX_MACHINES,
    target: str = "portal",
    why: str = "a highly available portal has two",
) -> list[Machine]:
    """The ``machines`` of a machines listing (a portal's or a site's), bounded (``limit``
    machines, names and URLs no longer than any real one) and printable. The adminURLs
    are kept as listed: they are compared with the operator's pins, never called."""
    if not isinstance(listed, list):
        raise PortalBadResponse("list machines: answer has no machines")
    if len(listed) > limit:
        raise MachineListTooLarge(
            f"list machines: the {target} lists {len(listed)} machines, more than the "
            f"{limit} accepted ({why})"
        )
    return [_machine(entry) for entry in listed]


def _machine(entry: object) -> Machine:
    name = entry.get("machineName") if isinstance(entry, dict) else None
    url = entry.get("adminURL") if isinstance(entry, dict) else None
    role = str(entry.get("role", "")) if isinstance(entry, dict) else ""
    if not isinstance(name, str) or not name or not isinstance(url, str):
        raise PortalBadResponse("list machines: a machine without a name or adminURL")
    if len(name) > _MAX_MACHINE_NAME or len(url) > _MAX_ADMIN_URL or len(role) > _MAX_ROLE:
        raise MachineListTooLarge(
            f"list machines: a machine's name ({len(name)} characters), adminURL "
            f"({len(url)}) or role ({len(role)}) is longer than any real one (at most "
            f"{_MAX_MACHINE_NAME}, {_MAX_ADMIN_URL} and {_MAX_ROLE})"
        )
    return Machine(printable(name), url.rstrip("/"), printable(role))
