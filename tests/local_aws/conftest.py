"""Fixtures for the local AWS endpoint tests: one endpoint + fixture stack per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from portal_local.aws.deploy import Stack, deploy_stack
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import HOST_MARKER, TEMPLATE


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsEndpoint]:
    # A variable of this process that no function may see.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HOST_MARKER, "visible-only-to-the-test-process")
        with LocalAwsEndpoint(run_dir=tmp_path_factory.mktemp("local-aws")) as started:
            yield started


@pytest.fixture(scope="module")
def stack(endpoint: LocalAwsEndpoint) -> Stack:
    return deploy_stack(endpoint, TEMPLATE, {})
