"""Text from outside made safe to show: no character that steers a terminal.

A portal's error message, machine name or build could carry ESC and OSC sequences, CR,
LF, BEL or C1 controls (and Unicode's bidirectional overrides and line separators),
which redraw an operator's terminal or a log viewer: a forged "verified" line under
``portal-automation follow`` (FAULTS row 50). ``printable`` replaces each such character
with its escape (``\\x1b``, ``\\r``, ``\\u202e``), so the text stays readable and shows
what the portal sent. It is applied where portal text enters the package (the portal
client and ``portal/responses.py``), and again where the CLI prints.
"""

from __future__ import annotations

import re
from typing import Final

from .sensitive import clip, redact

# C0 controls (tab and newline included), DEL, C1 controls, and the Unicode format
# characters that reorder or break lines: LRM/RLM, ALM, LRE..RLO, LRI..PDI, LS, PS.
_STEERING: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` with every terminal-steering character replaced by its escape."""
    return _STEERING.sub(_escape, text)


_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(text: str, limit: int) -> str:
    """Portal text fit for a message: redacted (before anything else: a secret the portal
    echoed must not be escaped or cut into a piece the redactor no longer recognises),
    printable, then cut to ``limit``."""
    return clip(printable(redact(text)), limit)
