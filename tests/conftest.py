"""Isolation shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

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
