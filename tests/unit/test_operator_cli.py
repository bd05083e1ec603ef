"""The operator's CLI is part of the product: it installs and runs without the local
tooling (no moto, emulator or dev dependency), as pip installs it for use against AWS."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

PRODUCT = "arcgis-portal-security-automation"
LOCAL_ONLY = (
    "moto",
    "portal_local",
    "werkzeug",
    "flask",
    "samtranslator",
    "cfnlint",
    "cryptography",
    "yaml",
    "pytest",
    "hypothesis",
)
BLOCKER = f"""
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {LOCAL_ONLY!r}:
            raise ImportError("local-only module imported: " + name)
        return None
sys.meta_path.insert(0, Blocked())
from portal_automation.cli import main
try:
    main([sys.argv[1], "--help"])
except SystemExit as exc:
    sys.exit(exc.code)
"""


def test_the_product_distribution_needs_nothing_local() -> None:
    requires = {
        r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower()
        for r in metadata.requires(PRODUCT) or []
        if "extra ==" not in r
    }
    assert requires == {"boto3", "requests", "aws-lambda-powertools", "pydantic"}
    (script,) = [
        e for e in metadata.entry_points(group="console_scripts") if e.name == "portal-automation"
    ]
    assert script.value == "portal_automation.cli:main"


@pytest.mark.parametrize("command", ["start", "follow", "status"])
def test_each_command_runs_with_the_local_tooling_absent(command: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", BLOCKER, command], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert f"portal-automation {command}" in done.stdout
