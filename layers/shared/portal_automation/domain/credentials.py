"""The admin credentials secret: one JSON object per portal or ArcGIS Server site.

Fields: ``url`` (https base URL: a portal's, or a site's with its context), ``username``,
``password``, optionally ``kind`` (``"portal"``, the default, or ``"server"``:
``domain/kinds.py``), ``referer``, ``tokenClient`` (``referer``, the default;
``requestip``; or ``ip`` with ``tokenIp``: what the tokens are bound to), ``sharedKey``
(the current key, once this project has rotated it), ``machines`` (the machines' URLs,
pinned by the operator: the only machine URLs a run ever reaches; FAULTS row 43) and
``checkMachines`` (false: do not reach the machines directly; see README). Unknown
fields are kept as they are when the secret is written back. Errors name the field,
never a value.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InvalidCredentialsSecret
from ..portal.models import TokenClient
from ..portal.url import UrlPolicy, comparable_url, normalise_portal_url
from ..sensitive import Secret, register_exact, register_secret
from .kinds import KIND_NAMES, KINDS, PORTAL, TargetKind

_REQUIRED = ("url", "username", "password")
_OPTIONAL = ("referer", "sharedKey")
_TOKEN_CLIENTS = ("referer", "requestip", "ip")


@dataclass(frozen=True, repr=False)
class PortalCredentials:
    url: str
    username: str
    password: Secret
    referer: str | None = None
    shared_key: Secret | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The machines' adminURLs the operator pinned ("machines"), each validated like the
    # url; the raw list stays in ``extra`` and is written back as it was.
    pinned_machines: tuple[str, ...] = ()
    # What the secret names (``kind``; kept in ``extra`` too, written back as it was).
    kind: TargetKind = PORTAL
    # What the tokens are bound to (``tokenClient``, ``tokenIp``; kept in ``extra``).
    token_client: TokenClient = "referer"  # noqa: S105 - a binding, not a password
    token_ip: str | None = None

    def __repr__(self) -> str:
        return f"PortalCredentials(url={self.url!r}, username={self.username!r}, ...)"

    @classmethod
    def from_secret_string(
        cls,
        text: str,
        policy: UrlPolicy = UrlPolicy(),  # noqa: B008 - immutable
    ) -> PortalCredentials:
        if not isinstance(text, str):
            raise InvalidCredentialsSecret("credentials secret must be a JSON string")
        register_exact(text)
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise InvalidCredentialsSecret(
                "credentials secret is not valid JSON (expected an object with url, "
                "username, password)"
            ) from None
        if not isinstance(data, dict):
            raise InvalidCredentialsSecret("credentials secret must be a JSON object")
        for name in ("password", "sharedKey"):
            if isinstance(data.get(name), str):
                register_secret(data[name])
        for name in _REQUIRED:
            if name not in data:
                raise InvalidCredentialsSecret(
                    f"credentials secret is missing field {name!r}", field=name
                )
        for name in (*_REQUIRED, *_OPTIONAL):
            if name in data and (not isinstance(data[name], str) or not data[name].strip()):
                raise InvalidCredentialsSecret(
                    f"credentials secret field {name!r} must be a non-empty string", field=name
                )
        if "checkMachines" in data and not isinstance(data["checkMachines"], bool):
            raise InvalidCredentialsSecret(
                "credentials secret field 'checkMachines' must be true or false",
                field="checkMachines",
            )
        kind = _kind(data)
        token_client, token_ip = _token_binding(data)
        pinned = _pinned_machines(data, policy, kind)
        return cls(
            url=normalise_portal_url(data["url"], policy),
            username=data["username"],
            password=Secret(data["password"]),
            referer=data.get("referer"),
            shared_key=Secret(data["sharedKey"]) if "sharedKey" in data else None,
            extra={k: v for k, v in data.items() if k not in (*_REQUIRED, *_OPTIONAL)},
            pinned_machines=pinned,
            kind=kind,
            token_client=token_client,
            token_ip=token_ip,
        )

    @property
    def check_machines(self) -> bool:
        """Whether the machines of an HA portal are to be reached at their adminURL."""
        return self.extra.get("checkMachines", True) is not False

    def at(self, url: str) -> PortalCredentials:
        """The same login, sent to ``url`` (one machine of the portal) with the referer
        the portal's own URL gives, so tokens stay valid across machines."""
        return replace(self, url=url.rstrip("/"), referer=self.referer or self.url)

    def with_shared_key(self, key: Secret) -> PortalCredentials:
        return replace(self, shared_key=key)

    def to_secret_string(self) -> str:
        data: dict[str, Any] = dict(self.extra)
        data.update(url=self.url, username=self.username, password=self.password.reveal())
        if self.referer is not None:
            data["referer"] = self.referer
        if self.shared_key is not None:
            data["sharedKey"] = self.shared_key.reveal()
        return json.dumps(data)


def _kind(data: Mapping[str, Any]) -> TargetKind:
    name = data.get("kind", PORTAL.name)
    if name not in KIND_NAMES:
        raise InvalidCredentialsSecret(
            f"credentials secret field 'kind' must be one of {', '.join(KIND_NAMES)}",
            field="kind",
        )
    return KINDS[name]


def _token_binding(data: Mapping[str, Any]) -> tuple[TokenClient, str | None]:
    client = data.get("tokenClient", "referer")
    if client not in _TOKEN_CLIENTS:
        raise InvalidCredentialsSecret(
            f"credentials secret field 'tokenClient' must be one of {', '.join(_TOKEN_CLIENTS)}",
            field="tokenClient",
        )
    ip = data.get("tokenIp")
    if (client == "ip") != (ip is not None) or (ip is not None and not _is_address(ip)):
        raise InvalidCredentialsSecret(
            "credentials secret field 'tokenIp' is an IP address, given with "
            '"tokenClient": "ip" and only then',
            field="tokenIp",
        )
    return client, ip


def _is_address(value: object) -> bool:
    try:
        ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        return False
    return True


def _pinned_machines(
    data: Mapping[str, Any], policy: UrlPolicy, kind: TargetKind
) -> tuple[str, ...]:
    """The ``machines`` pins: a non-empty list of distinct machine URLs, each one as the
    url must be (https, no user information, query or fragment, not this host)."""
    if "machines" not in data:
        return ()
    listed = data["machines"]
    if (
        not isinstance(listed, list)
        or not 1 <= len(listed) <= kind.max_machines
        or not all(isinstance(url, str) and url.strip() for url in listed)
    ):
        raise InvalidCredentialsSecret(
            "credentials secret field 'machines' must be a list of 1 to "
            f"{kind.max_machines} machine URLs ({kind.pin_example()})",
            field="machines",
        )
    if data.get("checkMachines") is False:
        raise InvalidCredentialsSecret(
            "credentials secret fields 'machines' and 'checkMachines': false contradict each "
            "other: pin the machines to check them, or opt out without pins",
            field="machines",
        )
    pinned = tuple(normalise_portal_url(url, policy, field="machines") for url in listed)
    if len({comparable_url(url) for url in pinned}) != len(pinned):
        raise InvalidCredentialsSecret(
            "credentials secret field 'machines' names one machine twice", field="machines"
        )
    return pinned
