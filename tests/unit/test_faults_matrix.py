"""docs/FAULTS_MATRIX.md names the code and the tests that prove each FAULTS.md row:
every test it names must exist, and every module it names, so a rename breaks this."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "docs" / "FAULTS_MATRIX.md"
FAULTS = ROOT / "docs" / "FAULTS.md"
PACKAGE = ROOT / "layers" / "shared" / "portal_automation"
# `tests/x.py::name`, or `::name` continuing the file named last in the same row.
_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?|`::(\w+)")
_MODULE = re.compile(r"`((?:workflow|domain|aws|portal|triggers)/[\w/]+\.py)`")


def _rows(document: Path = MATRIX) -> list[str]:
    return [line for line in document.read_text().splitlines() if re.match(r"\| \d+ \|", line)]


def _numbers(document: Path) -> list[int]:
    return [int(row.split("|")[1]) for row in _rows(document)]


def test_every_row_of_faults_md_is_mapped() -> None:
    faults = _numbers(FAULTS)
    assert faults == list(range(1, len(faults) + 1))
    assert _numbers(MATRIX) == faults


def test_every_named_test_exists() -> None:
    missing = []
    for row in _rows():
        current: Path | None = None
        for match in _REF.finditer(row):
            path, name, continued = match.groups()
            if path:
                current = ROOT / path
                assert current.is_file(), path
            name = name or continued
            if name and current is not None and f"def {name}(" not in current.read_text():
                missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert missing == []


def test_every_named_module_exists() -> None:
    named = {m for row in _rows() for m in _MODULE.findall(row)}
    assert named
    assert sorted(m for m in named if not (PACKAGE / m).is_file()) == []
