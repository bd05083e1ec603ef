"""Isolation shared by every test package, and what a parallel run (pytest-xdist, as
``make test`` runs) checks once every worker has finished."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_automation import sensitive


def _controller(config: pytest.Config) -> bool:
    """Whether this process distributes tests to xdist workers (and runs none)."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


WORKFLOW = Path(__file__).resolve().parent / "workflow"
LAST = "test_zz_least_privilege.py"  # a serial run checks every grant after the others


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The workflow modules after every other test, the largest first (workers are
    handed modules in this order: long ones first keep one worker from finishing the
    session alone), and the least-privilege module last."""

    def module(item: pytest.Item) -> Path:
        return Path(str(item.path))

    sizes = Counter(module(item) for item in items)
    first = {path: n for n, path in enumerate(dict.fromkeys(module(i) for i in items))}

    def key(item: pytest.Item) -> tuple[int, int, int]:
        path = module(item)
        if path.parent != WORKFLOW:
            return (0, first[path], 0)
        return (2 if path.name == LAST else 1, -sizes[path], first[path])

    items.sort(key=key)  # stable: each module keeps its own order


# Imported only by a parallel run's controller: serial and fast runs never load moto.
# ruff: noqa: PLC0415


def pytest_configure(config: pytest.Config) -> None:
    if _controller(config):  # the workers, started later, inherit it
        from tests.workflow.least_privilege import FINDINGS_DIR_VARIABLE

        os.environ[FINDINGS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="least-privilege-")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Least privilege over every worker's calls (tests/workflow/least_privilege.py):
    each worker checked its own deployment; a grant is unused only if no worker used it."""
    if not _controller(session.config):
        return
    from tests.workflow.least_privilege import FINDINGS_DIR_VARIABLE, merged_findings

    directory = os.environ.get(FINDINGS_DIR_VARIABLE)
    if not directory:
        return
    workers = len(list(Path(directory).glob("*.json")))  # those that ran workflow tests
    problems = merged_findings(Path(directory))
    shutil.rmtree(directory, ignore_errors=True)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and workers:
        reporter.write_sep("=", f"least privilege, {workers} workers: {len(problems)} problem(s)")
        for problem in problems:
            reporter.write_line(problem)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _isolated_redactor() -> Iterator[None]:
    """Wrapping a value in ``Secret`` registers it with the process-wide redactor.

    Tests register deliberately weak or arbitrary values (``"a" * 32``, 44 spaces), and
    hypothesis feeds string literals found in the loaded code (``"portaladmin"``, parts
    of error messages) to its text strategies; left registered, they would be masked in
    every later test's messages. Put the redactor back as it was.
    """
    saved = sensitive._REDACTOR.snapshot()
    yield
    sensitive._REDACTOR.restore(saved)
