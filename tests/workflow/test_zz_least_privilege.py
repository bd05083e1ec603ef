"""Least privilege, proved by use (issue 10 section 3), in a serial run: after every
other workflow test (pytest runs this directory's modules in name order), the checks of
:mod:`tests.workflow.least_privilege` over every call the deployed functions made. A
parallel run (pytest-xdist) checks the same across its workers at the end of the
session (``tests/conftest.py``)."""

from __future__ import annotations

import os

import pytest
from portal_local.deployment import LocalDeployment

from .conftest import DESELECTED
from .least_privilege import refused_calls, unused_grants, whole_suite_ran

pytestmark = pytest.mark.workflow


def test_every_call_a_function_made_is_allowed_by_its_role(deployment: LocalDeployment) -> None:
    assert deployment.endpoint.aws_calls(), "no function call was recorded"
    refused = refused_calls(deployment)
    assert not refused, "calls the role does not allow (missing grants):\n" + "\n".join(refused)


def test_every_grant_is_used_or_has_a_reason(
    deployment: LocalDeployment, request: pytest.FixtureRequest
) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("a parallel run checks the grants across its workers at the end")
    if not whole_suite_ran(request.session.items, request.config.stash.get(DESELECTED, 0)):
        pytest.skip("needs the whole workflow suite: a subset leaves grants unused")
    unused = unused_grants(deployment)
    assert not unused, "granted, never used, no reason given (over-grants):\n" + "\n".join(unused)
