"""boto3 clients made on first use, never at import (cold starts stay short)."""

from __future__ import annotations

import threading
from typing import Any

import boto3


class _LazyClient:
    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = boto3.client(self._service)  # type: ignore[call-overload]
        return getattr(self._client, name)


def lazy_client(service: str) -> Any:
    """A stand-in for ``boto3.client(service)`` that creates the client on first use."""
    return _LazyClient(service)
