"""Portal base URLs and the addresses a portal may be reached at.

A portal URL must be https (plain http only for local testing), and must not point at
this host or at the link-local network (loopback, 169.254.0.0/16 with the instance
metadata service, fe80::/10, fd00:ec2::254): a credentials secret that names such an
address would send the admin password to whatever listens there (FAULTS row 39). The
literal address is checked here; ``portal.transport`` checks the address each
connection actually reaches, so a name that resolves there is refused too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from ..errors import InsecurePortalUrl, InvalidCredentialsSecret

_METADATA_V6: Final = ipaddress.IPv6Address("fd00:ec2::254")
_METADATA_V4: Final = ipaddress.IPv4Network("169.254.169.254/32")
_THIS_NETWORK: Final = ipaddress.IPv4Network("0.0.0.0/8")


@dataclass(frozen=True)
class UrlPolicy:
    """What portal URLs this deployment accepts (the relaxations are for local tests)."""

    allow_http: bool = False
    allow_local: bool = False


def forbidden_address(address: str) -> str | None:
    """Why ``address`` (an IP literal) may not be a portal's, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip == _METADATA_V6 or (isinstance(ip, ipaddress.IPv4Address) and ip in _METADATA_V4):
        return "the instance metadata service"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "an unspecified address"
    return None


def normalise_portal_url(
    url: str,
    policy: UrlPolicy = UrlPolicy(),
    field: str = "url",
) -> str:
    """Return the base URL without a trailing slash, or raise naming what is wrong (and
    the credentials secret's ``field`` that holds it)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidCredentialsSecret(
            f"{field} must be an absolute https URL of the portal, e.g. "
            "https://gis.example.com/portal",
            field=field,
        )
    if parts.username or parts.password:
        raise InvalidCredentialsSecret(f"{field} must not contain user information", field=field)
    if parts.query or parts.fragment:
        raise InvalidCredentialsSecret(f"{field} must not contain a query or fragment", field=field)
    if parts.scheme == "http" and not policy.allow_http:
        raise InsecurePortalUrl(
            f"refusing plain http portal URL for host {parts.hostname} ({field}): tokens "
            "and passwords would travel unencrypted (allowed only for local testing)"
        )
    host = parts.hostname.lower().rstrip(".")
    reason = "this host" if host == "localhost" or host.endswith(".localhost") else None
    reason = reason or forbidden_address(host)
    if reason and not policy.allow_local:
        raise InsecurePortalUrl(
            f"refusing portal URL on {reason} ({host}, {field}): the admin password would be "
            "sent there (allowed only for local testing)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def comparable_url(url: str) -> str | None:
    """``url`` as two spellings of one address compare: scheme and host in lower case,
    no default port, no trailing slash; None when it is no URL a portal may be reached
    at (no host, user information, a query or fragment, or a port that is no number)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"
