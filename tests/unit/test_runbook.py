"""Every error name an operator can meet has an entry in the README's runbook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from portal_automation import errors

ROOT = Path(__file__).resolve().parents[2]


def runbook() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Runbook") : readme.index("## Known limits")]


def asl_error_names(node: Any) -> set[str]:
    """Error names the state machine itself reports: its Fail states and the names it
    writes into a portal's result (``"name": ...`` in a Pass or Parameters block)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("Type") == "Fail" and "Error" in node:
            found.add(node["Error"])
        if isinstance(node.get("name"), str):
            found.add(node["name"])
        for value in node.values():
            found |= asl_error_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= asl_error_names(value)
    return found


def test_every_named_error_has_a_runbook_entry() -> None:
    named = {
        cls.__name__
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.PortalAutomationError)
    } - {"PortalAutomationError"}
    definition = json.loads((ROOT / "statemachine/portal_security.asl.json").read_text())
    summary = (ROOT / "layers/shared/portal_automation/workflow/summary.py").read_text()
    # The warnings a post-change step reports (the change stands; the runbook says why).
    steps = ROOT / "layers/shared/portal_automation/workflow/post_change"
    warnings = {
        name
        for module in steps.glob("*.py")
        for name in re.findall(r'WARNING: Final = "(\w+)"', module.read_text())
    }
    assert warnings, "no post-change warning names found"
    reported = (
        named
        | asl_error_names(definition)
        | set(re.findall(r'"name": "(\w+)"', summary))
        | warnings
    )

    entries = set(re.findall(r"\*\*`(\w+)`\*\*", runbook()))

    assert len(reported) > 35
    assert reported - entries == set()
