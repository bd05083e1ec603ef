"""Portal base URL validation: https only, unless plain http is allowed for local tests."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import InsecurePortalUrl, InvalidCredentialsSecret


def normalise_portal_url(url: str, *, allow_http: bool = False) -> str:
    """Return the base URL without a trailing slash, or raise naming what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidCredentialsSecret(
            "url must be an absolute https URL of the portal, e.g. https://gis.example.com/portal",
            field="url",
        )
    if parts.username or parts.password:
        raise InvalidCredentialsSecret("url must not contain user information", field="url")
    if parts.query or parts.fragment:
        raise InvalidCredentialsSecret("url must not contain a query or fragment", field="url")
    if parts.scheme == "http" and not allow_http:
        raise InsecurePortalUrl(
            f"refusing plain http portal URL for host {parts.hostname}: tokens and "
            "passwords would travel unencrypted (allowed only for local testing)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
