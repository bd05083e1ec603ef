"""Portal versions, compared as tuples of ints, and what each one can do.

The one place that knows versions. Every gate is "this version or later", so a portal
newer than ``NEWEST_KNOWN`` gets the newest known version's rules (Esri's docs already
show endpoints introduced in 12.2: PORTAL_API.md 4); ``newer_than_known`` and
``notes`` say so in its summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Final

from ..errors import UnsupportedPortalVersion

_VERSION: Final = re.compile(r"^\d+(\.\d+){0,3}$")


@total_ordering
@dataclass(frozen=True, eq=False)
class PortalVersion:
    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> PortalVersion:
        text = text.strip()
        if not _VERSION.match(text):
            raise UnsupportedPortalVersion(f"unrecognised portal version {text!r}")
        parts = tuple(int(p) for p in text.split("."))
        while len(parts) > 2 and parts[-1] == 0:
            parts = parts[:-1]
        return cls(parts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PortalVersion):
            return NotImplemented
        return _padded(self.parts) < _padded(other.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortalVersion) and _padded(self.parts) == _padded(other.parts)

    def __hash__(self) -> int:
        return hash(_padded(self.parts))

    def __str__(self) -> str:
        return ".".join(map(str, self.parts))

    @property
    def generates_shared_key(self) -> bool:
        """11.4 and later generate the key themselves on tokens/update."""
        return self >= V11_4

    @property
    def issues_api_keys(self) -> bool:
        """11.4 and later issue long-lived API key access tokens (PORTAL_API.md 5)."""
        return self >= V11_4

    @property
    def lists_user_types(self) -> bool:
        """From 11.4 the valid user types are the portal's own (PORTAL_API.md 6c)."""
        return self >= V11_4

    @property
    def takes_bearer_header(self) -> bool:
        """11.4 and later: the token also in ``Authorization: Bearer``, as Esri's
        arcgis-gitops sends it there (PORTAL_API.md 2)."""
        return self >= V11_4

    @property
    def restricts_proxy_by_default(self) -> bool:
        """12.0 and later restrict the proxy to Esri's default hosts (PORTAL_API.md 6a)."""
        return self >= V12_0

    @property
    def newer_than_known(self) -> bool:
        return self > NEWEST_KNOWN

    def notes(self) -> list[str]:
        """What a portal's summary says about its version."""
        if not self.newer_than_known:
            return []
        return [
            f"portal {self} is newer than {NEWEST_KNOWN}, the newest version this project "
            f"knows: it was handled with {NEWEST_KNOWN}'s rules"
        ]

    def rotation_invalidates(self, verb: str = "invalidated") -> str:
        """The note every rotation's summary carries (PORTAL_API.md 5); ``verb``: what
        the rotation did ("invalidated", "would invalidate", "may have invalidated")."""
        what = "API keys, long-lived tokens" if self.issues_api_keys else "long-lived tokens"
        return (
            f"portal {self}: tokens/update {verb} every token issued before it: {what} and "
            "the tokens saved with items and server connections stop working; renew them "
            "(README 'What a rotation invalidates')"
        )


def fleet_rotation_note(versions: list[str]) -> str:
    """The run-level note of a rotation run (its notification): the rotated portals'
    versions, and what each rotation invalidated."""
    known = sorted({PortalVersion.parse(v) for v in versions})
    keys = [v for v in known if v.issues_api_keys]
    what = "long-lived tokens and the tokens saved with items and server connections"
    if keys:
        what = f"{what}, and on 11.4+ portals API keys"
    return (
        f"tokens/update invalidated every token issued before it on the rotated portals "
        f"(versions {', '.join(map(str, known))}): {what} stop working; renew them "
        "(README 'What a rotation invalidates')"
    )


def _padded(parts: tuple[int, ...]) -> tuple[int, ...]:
    return parts + (0,) * (4 - len(parts))


V10_7: Final = PortalVersion((10, 7))
V10_8: Final = PortalVersion((10, 8))
V11_4: Final = PortalVersion((11, 4))
V12_0: Final = PortalVersion((12, 0))
# The newest version whose documentation this project follows.
NEWEST_KNOWN: Final = PortalVersion((12, 1))
OLDEST_SUPPORTED: Final = PortalVersion((10, 7, 1))
