"""Key regimes: how a portal version takes a new shared key, and how that is proven.

Each regime is one module implementing ``KeyRegime``; the steps (change, verify,
failure) never branch on the version themselves. Today:

- ``supplied`` (11.3 and earlier): the caller makes the key; it is stored as the
  secret's AWSPENDING version before the portal sees it.
- ``generated`` (11.4 and later): the portal makes the key on every update; the key it
  had before is kept in the work store, and the new one is read back after the restart
  and stored as AWSPENDING then.
- ``server`` (ArcGIS Server sites, any version): as ``supplied``, with a server key
  (SERVER_API.md 5); the site's client posts its whole token manager configuration
  back with only the key changed.

A new regime is a new module here, registered in ``_REGIMES``, plus its tests.
"""

from __future__ import annotations

from typing import Final

from ...domain.server_key import generate_server_key
from ...domain.version import PortalVersion
from .base import KeyMode, KeyRegime, PreparedUpdate, Rotation
from .generated import GeneratedKey
from .supplied import SuppliedKey

_REGIMES: Final[dict[KeyMode, KeyRegime]] = {
    "supplied": SuppliedKey(),
    "generated": GeneratedKey(),
    "server": SuppliedKey("server", generate_server_key, "server site", read_key_first=True),
}


def regime_for(version: PortalVersion, kind: str = "portal") -> KeyRegime:
    """A server site's key is always supplied; a portal's from 11.4 generated."""
    if kind == "server":
        return _REGIMES["server"]
    return _REGIMES["generated" if version.generates_shared_key else "supplied"]


def regime_named(mode: KeyMode | None) -> KeyRegime:
    return _REGIMES[mode or "supplied"]


__all__ = ["KeyMode", "KeyRegime", "PreparedUpdate", "Rotation", "regime_for", "regime_named"]
