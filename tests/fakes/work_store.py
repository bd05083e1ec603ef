"""The S3 work store as ``WorkStore`` sees it: objects by key, ``WorkStoreError`` on failure."""

from __future__ import annotations

import json
from typing import Any

from portal_automation.aws.work_store import SHORT_LIVED
from portal_automation.errors import WorkStoreError
from portal_automation.sensitive import Secret


class FakeWorkStore:
    """``WorkStorePort``."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.tags: dict[str, str] = {}  # key -> its tag (key=value), as S3 would hold it
        self.outages = 0  # the next N calls fail as S3 would (throttled, unreachable)

    def put_secret(self, key: str, value: Secret) -> None:
        self._check(f"write of {key}")
        self.objects[key] = value.reveal().encode("utf-8")
        self.tags[key] = SHORT_LIVED

    def get_secret(self, key: str) -> Secret | None:
        self._check(f"read of {key}")
        raw = self.objects.get(key)
        return None if raw is None else Secret(raw.decode("utf-8"))

    def put_json(self, key: str, value: Any) -> None:
        self._check(f"write of {key}")
        self.objects[key] = json.dumps(value).encode("utf-8")
        self.tags.pop(key, None)

    def get_json(self, key: str) -> Any | None:
        self._check(f"read of {key}")
        raw = self.objects.get(key)
        return None if raw is None else json.loads(raw)

    def delete_prefix(self, prefix: str, *, keep: tuple[str, ...] = ()) -> list[str]:
        self._check(f"cleanup of {prefix}")
        kept = {prefix + name for name in keep}
        deleted = sorted(k for k in self.objects if k.startswith(prefix) and k not in kept)
        for key in deleted:
            del self.objects[key]
            self.tags.pop(key, None)
        return [key[len(prefix) :] for key in deleted]

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def _check(self, what: str) -> None:
        if self.outages > 0:
            self.outages -= 1
            raise WorkStoreError(f"work store {what}: SlowDown")
