"""Isolation shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_automation import sensitive


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


# moto's state is per process (its backends are module globals): a test that runs it, in
# process (``mock_aws``) or as the local endpoint, must never overlap another in the same
# process. They are marked ``moto``: ``make test`` runs them in one process, in order,
# and the rest (pure logic, the fakes, the emulator and the client over sockets, the
# translated template) in a second process alongside.
_MOTO_DIRECTORIES = ("local_aws", "workflow")


def _runs_moto(item: pytest.Item) -> bool:
    if Path(str(item.path)).parent.name in _MOTO_DIRECTORIES:
        return True
    module = getattr(item, "module", None)
    if module is None:
        return False
    return any(
        getattr(value, "__module__", "").startswith("moto")
        for value in vars(module).values()
        if callable(value)
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _runs_moto(item):
            item.add_marker(pytest.mark.moto)
