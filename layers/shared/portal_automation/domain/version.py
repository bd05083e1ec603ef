"""Portal versions, compared as tuples of ints, and what each one can do."""

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


def _padded(parts: tuple[int, ...]) -> tuple[int, ...]:
    return parts + (0,) * (4 - len(parts))


V10_7: Final = PortalVersion((10, 7))
V10_8: Final = PortalVersion((10, 8))
V11_4: Final = PortalVersion((11, 4))
OLDEST_SUPPORTED: Final = PortalVersion((10, 7, 1))


def require_supported(version: PortalVersion) -> None:
    """Refuse versions this project does not know how to change safely: before 10.7.1,
    except 10.7 itself (its licenses are populated again after a key change:
    workflow/post_change/licenses.py)."""
    if version < OLDEST_SUPPORTED and version != V10_7:
        raise UnsupportedPortalVersion(
            f"portal {version} is older than the oldest supported version "
            f"{OLDEST_SUPPORTED} (and 10.7); upgrade the portal first"
        )
