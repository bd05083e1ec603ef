"""Each moto workaround is still needed: raw moto (no endpoint, no patch) still has the bug.

Every test here runs moto in-process (``mock_aws``) with the endpoint's configuration but
none of :mod:`portal_local.aws.moto_workarounds` installed, and asserts the behaviour
the workaround exists for. When a moto upgrade fixes one, its test fails: delete the
workaround (and the test). ``test_<module>.py`` holds the tests of the workarounds of
``moto_workarounds/<module>.py``; ``test_registry.py`` keeps the lists complete. No
endpoint may run in these modules (moto's state is per process).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from portal_local.aws.moto_workarounds.base import MOTO_CONFIG

from tests.local_aws.moto_workarounds._raw import REGION


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]

        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

        yield client
