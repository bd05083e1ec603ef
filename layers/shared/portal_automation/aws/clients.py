"""boto3 clients made on first use, never at import (cold starts stay short).

boto3 itself is imported with the first client: importing it costs about as much as
the rest of a handler's cold import together.
"""

from __future__ import annotations

import threading
from typing import Any


class _LazyClient:
    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3  # noqa: PLC0415 - on first use, see the module docstring

                    self._client = boto3.client(self._service)  # type: ignore[call-overload]
        return getattr(self._client, name)


def lazy_client(service: str) -> Any:
    """A stand-in for ``boto3.client(service)`` that creates the client on first use."""
    return _LazyClient(service)
