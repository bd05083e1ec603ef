"""A handler's cold import leaves boto3 and requests to its first call (the cold start
figure in README.md, benchmarks/cold_start.py, holds only while this does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cold_start import function_environments

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
DEFERRED = ("boto3", "requests", "urllib3")
# The stopped-run cleanup is Summarize's own work; the other steps reach it only when
# their run was stopped under them (workflow/holding.py imports it then).
CLEANUP = "portal_automation.workflow.cleanup"
DEFERRED_BUT_BY = {CLEANUP: {"summarize"}}
PROBE = f"import sys, app; print(' '.join(m for m in {(*DEFERRED, CLEANUP)!r} if m in sys.modules))"


@pytest.fixture(scope="module")
def environments() -> dict[str, dict[str, str]]:
    return function_environments(ROOT / "template.yaml")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_cold_import_defers_boto3_and_requests(
    function: str, environments: dict[str, dict[str, str]]
) -> None:
    path = [ROOT / "functions" / function, ROOT / "layers" / "shared"]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(map(str, path)),
        "AWS_DEFAULT_REGION": "us-east-1",
        **environments[function],
    }
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr[-2000:]
    imported = [m for m in done.stdout.split() if function not in DEFERRED_BUT_BY.get(m, ())]
    assert imported == []
