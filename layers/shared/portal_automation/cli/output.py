"""``--output``: ``table`` for people (the default), ``json`` and ``text`` (tab-separated,
one record a line) for scripts. With ``json`` or ``text`` stdout holds the result alone;
progress goes to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Final, TextIO

from ..printable import printable

OUTPUTS: Final = ("table", "json", "text")


def for_people(output: str) -> bool:
    return output == "table"


def progress_stream(output: str) -> TextIO:
    """Where progress lines go: stdout for people, stderr when stdout is a result."""
    return sys.stdout if for_people(output) else sys.stderr


def write_json(document: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up per call: a redirected stdout is honoured
    json.dump(document, out, indent=2, default=str)
    out.write("\n")


def write_text(rows: Iterable[Sequence[object]], out: TextIO | None = None) -> None:
    """Every cell ``printable``: a tab or newline in a portal's text cannot split a record,
    nor an escape sequence steer the terminal (FAULTS row 50)."""
    out = out or sys.stdout
    for row in rows:
        cells = ("-" if cell is None else printable(str(cell)) for cell in row)
        out.write("\t".join(cells) + "\n")
