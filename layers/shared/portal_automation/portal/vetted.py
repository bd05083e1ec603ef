"""What the portal answers about its licenses and its federated servers, bounded and vetted.

Both answers reach the run's report (and so the notification and the audit events):
every field is checked against what Esri documents, cut to a size, and anything else is
dropped or named as unrecognised. Nothing here steers a request.

- ``GET portaladmin/license`` (10.7+): ``userTypes[].id`` (PORTAL_API.md 6c).
- ``GET portaladmin/federation/servers/validate`` (10.4+): ``serversStatus[]`` with
  ``status``, ``serverId``, ``messages`` and, from 11.1, ``adminUrl`` (PORTAL_API.md 7d).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from ..domain.user_types import ID as USER_TYPE_ID
from ..domain.user_types import MAX_LISTED as MAX_USER_TYPES
from ..errors import PortalBadResponse
from ..sensitive import clip

STATUSES: Final = ("success", "success with warnings", "failure", "undetermined")
MAX_SERVERS: Final = 20
MAX_MESSAGES: Final = 3
MAX_MESSAGE: Final = 200
MAX_URL: Final = 300
_SERVER_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HOST: Final = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,255}$")


def user_types(body: Mapping[str, Any]) -> list[str]:
    """The user type IDs a license answer lists (well-formed IDs only, at most 100)."""
    listed = body.get("userTypes")
    if not isinstance(listed, list):
        raise PortalBadResponse("read license: answer has no userTypes list")
    found: list[str] = []
    for entry in listed:
        user_type = entry.get("id") if isinstance(entry, Mapping) else None
        if (
            isinstance(user_type, str)
            and USER_TYPE_ID.fullmatch(user_type)
            and user_type not in found
        ):
            found.append(user_type)
        if len(found) == MAX_USER_TYPES:
            break
    return found


@dataclass(frozen=True)
class FederatedServer:
    server_id: str
    status: str
    messages: tuple[str, ...]
    admin_url: str | None = None

    def report(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"serverId": self.server_id, "status": self.status}
        if self.admin_url:
            entry["adminUrl"] = self.admin_url
        entry["messages"] = list(self.messages)
        return entry


@dataclass(frozen=True)
class FederationValidation:
    servers: tuple[FederatedServer, ...]
    listed: int  # how many servers the portal answered (only MAX_SERVERS are kept)


def federation(body: Mapping[str, Any]) -> FederationValidation:
    listed = body.get("serversStatus")
    if not isinstance(listed, list):
        raise PortalBadResponse("validate federated servers: answer has no serversStatus list")
    servers = tuple(_server(entry) for entry in listed[:MAX_SERVERS])
    return FederationValidation(servers, len(listed))


def _server(entry: object) -> FederatedServer:
    if not isinstance(entry, Mapping):
        return FederatedServer("(unnamed)", "undetermined", ("the portal listed no details",))
    raw_id, raw_status = entry.get("serverId"), entry.get("status")
    server_id = raw_id if isinstance(raw_id, str) and _SERVER_ID.fullmatch(raw_id) else "(unnamed)"
    messages = [plain(m) for m in _list(entry.get("messages"))[:MAX_MESSAGES]]
    status = raw_status if raw_status in STATUSES else "undetermined"
    if status != raw_status:
        messages.insert(0, "the portal answered no status this project knows")
    return FederatedServer(server_id, status, tuple(messages), admin_url(entry.get("adminUrl")))


def admin_url(value: object) -> str | None:
    """An ``https`` (or ``http``) URL with a plain host and no credentials; else None."""
    if not isinstance(value, str) or len(value) > MAX_URL or value != plain(value, MAX_URL):
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or parts.username or parts.password or not port_ok:
        return None
    if not parts.hostname or not _HOST.fullmatch(parts.hostname) or parts.query or parts.fragment:
        return None
    return value


def plain(text: object, limit: int = MAX_MESSAGE) -> str:
    """Portal text fit for a report: secrets masked, control and format characters
    (terminal escapes, bidirectional overrides) replaced, cut to ``limit``."""
    cleaned = "".join(
        "?" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else c
        for c in str(text)
    )
    return clip(cleaned, limit)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
