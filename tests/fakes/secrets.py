"""Secrets Manager as ``SecretsStore`` sees it: versions, stages, and its named errors."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal_automation.aws.secrets_store import (
    CURRENT,
    LIST_PAGE_SIZE,
    PENDING,
    PREVIOUS,
    SecretVersion,
)
from portal_automation.domain.credentials import PortalCredentials
from portal_automation.errors import (
    InvalidCredentialsSecret,
    SecretAccessDenied,
    SecretNotFound,
    SecretStoreRejected,
    SecretStoreUnavailable,
)
from portal_automation.portal.url import UrlPolicy

ACCOUNT = "123456789012"
REGION = "us-east-1"
_suffixes = itertools.count(1)


@dataclass
class _Version:
    text: str | None
    stages: set[str] = field(default_factory=set)


@dataclass
class _Secret:
    arn: str
    name: str
    versions: dict[str, _Version] = field(default_factory=dict)
    rotation_enabled: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    last_rotated: float | None = None
    next_rotation: float | None = None


class FakeSecrets:
    """``SecretsPort``. Secrets are found by full ARN, by name, or by partial ARN."""

    def __init__(self, policy: UrlPolicy = UrlPolicy()) -> None:  # noqa: B008
        self._policy = policy
        self._secrets: dict[str, _Secret] = {}
        self.denied: set[str] = set()  # ARNs every call on which is AccessDenied
        self.outages = 0  # the next N calls answer ThrottlingException
        self.calls: list[tuple[str, str]] = []  # (operation, ARN)
        # ListSecrets "might not reflect changes from the last five minutes" (AWS): the
        # secrets created since ``unlisted_from`` is set are not listed yet.
        self.unlisted_from: int | None = None

    # --- setting up ------------------------------------------------------------------

    def create(
        self, name: str, value: dict[str, Any] | str, *, arn: str | None = None, **tags: str
    ) -> str:
        arn = (
            arn or f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-{next(_suffixes):06d}"
        )
        text = value if isinstance(value, str) else json.dumps(value)
        secret = _Secret(arn, name, tags=dict(tags))
        secret.versions[str(uuid.uuid4())] = _Version(text, {CURRENT})
        self._secrets[arn] = secret
        return arn

    def edit(self, secret_id: str, value: dict[str, Any]) -> None:
        """An operator's PutSecretValue: a new version of ``value`` becomes AWSCURRENT."""
        secret = self._find(secret_id)
        version_id = str(uuid.uuid4())
        secret.versions[version_id] = _Version(json.dumps(value))
        self.promote(secret_id, version_id)

    def start_rotation(self, secret_id: str, token: str) -> None:
        """What RotateSecret does before the rotation function runs: an empty AWSPENDING."""
        secret = self._find(secret_id)
        secret.rotation_enabled = True
        self._move(secret, PENDING, token)
        secret.versions.setdefault(token, _Version(None)).stages.add(PENDING)

    def value(self, secret_id: str, stage: str = CURRENT) -> dict[str, Any]:
        """The JSON of the version holding ``stage`` (for assertions)."""
        secret = self._find(secret_id)
        for version in secret.versions.values():
            if stage in version.stages and version.text is not None:
                return dict(json.loads(version.text))
        raise KeyError(stage)

    # --- SecretsPort -------------------------------------------------------------------

    def read(
        self, secret_id: str, *, stage: str = CURRENT, version_id: str | None = None
    ) -> SecretVersion:
        secret = self._enter("read", secret_id)
        if version_id is not None:
            found = secret.versions.get(version_id)
            chosen = (version_id, found) if found and found.text is not None else None
        else:
            chosen = next(
                ((v, ver) for v, ver in secret.versions.items() if stage in ver.stages), None
            )
            if chosen is not None and chosen[1].text is None:
                chosen = None
        if chosen is None:
            raise SecretNotFound(f"secret {secret_id} (read): not found")
        text = chosen[1].text
        if text is None:  # pragma: no cover - excluded above
            raise InvalidCredentialsSecret("no value")
        creds = PortalCredentials.from_secret_string(text, self._policy)
        return SecretVersion(chosen[0], creds)

    def pending(self, secret_id: str, version_id: str) -> PortalCredentials | None:
        try:
            return self.read(secret_id, version_id=version_id).credentials
        except SecretNotFound:
            return None

    def stages(self, secret_id: str) -> dict[str, list[str]]:
        secret = self._enter("describe", secret_id)
        return {v: sorted(ver.stages) for v, ver in secret.versions.items() if ver.stages}

    def describe(self, secret_id: str) -> dict[str, Any]:
        secret = self._enter("describe", secret_id)
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "RotationEnabled": secret.rotation_enabled,
            "VersionIdsToStages": self.stages(secret.arn),
            "Tags": [{"Key": k, "Value": v} for k, v in secret.tags.items()],
        }

    def put_pending(self, secret_id: str, version_id: str, creds: PortalCredentials) -> None:
        secret = self._enter("write", secret_id)
        text = creds.to_secret_string()
        existing = secret.versions.get(version_id)
        if existing is not None and existing.text is not None and existing.text != text:
            # PutSecretValue with a token already used for another value.
            raise SecretStoreRejected(
                f"secret {secret_id} (write): Secrets Manager refused with ResourceExistsException"
            )
        self._move(secret, PENDING, version_id)
        version = secret.versions.setdefault(version_id, _Version(None))
        version.text = text
        version.stages.add(PENDING)

    def promote(self, secret_id: str, version_id: str) -> None:
        secret = self._enter("write", secret_id)
        if version_id not in secret.versions:
            raise SecretStoreRejected(
                f"secret {secret_id} (write): Secrets Manager refused with "
                "InvalidParameterException"
            )
        current = next((v for v, ver in secret.versions.items() if CURRENT in ver.stages), None)
        if current != version_id:
            if current is not None:
                self._move(secret, PREVIOUS, current)
                secret.versions[current].stages.discard(CURRENT)
                secret.versions[current].stages.add(PREVIOUS)
            secret.versions[version_id].stages.add(CURRENT)
        secret.versions[version_id].stages.discard(PENDING)

    def clear_pending(self, secret_id: str, version_id: str) -> None:
        secret = self._enter("write", secret_id)
        version = secret.versions.get(version_id)
        if version is not None:
            version.stages.discard(PENDING)

    def pending_version_id(self, secret_id: str) -> str | None:
        for version, stages in self.stages(secret_id).items():
            if PENDING in stages and CURRENT not in stages:
                return version
        return None

    def select(self, name_prefix: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
        return [entry for page in self.select_pages(name_prefix, tags) for entry in page]

    def select_pages(
        self, name_prefix: str, tags: Mapping[str, str]
    ) -> Iterator[list[dict[str, Any]]]:
        listed = list(self._secrets.values())[: self.unlisted_from]
        for start in range(0, max(1, len(listed)), LIST_PAGE_SIZE):
            self.calls.append(("list", name_prefix))
            if self.outages > 0:
                self.outages -= 1
                raise SecretStoreUnavailable(
                    f"secret {name_prefix}* (list): Secrets Manager answered ThrottlingException"
                )
            yield [
                {
                    "ARN": secret.arn,
                    "Name": secret.name,
                    "Tags": dict(secret.tags),
                    "RotationEnabled": secret.rotation_enabled,
                    "LastRotatedDate": secret.last_rotated,
                    "NextRotationDate": secret.next_rotation,
                }
                for secret in listed[start : start + LIST_PAGE_SIZE]
                if secret.name.startswith(name_prefix)
                and all(secret.tags.get(k) == v for k, v in tags.items())
            ]

    def not_listed_yet(self) -> None:
        """Secrets created from now on are not listed (until ``listed_now``)."""
        self.unlisted_from = len(self._secrets)

    def listed_now(self) -> None:
        self.unlisted_from = None

    # --- plumbing ----------------------------------------------------------------------

    def _enter(self, action: str, secret_id: str) -> _Secret:
        secret = self._find(secret_id)
        self.calls.append((action, secret.arn))
        if self.outages > 0:
            self.outages -= 1
            raise SecretStoreUnavailable(
                f"secret {secret_id} ({action}): Secrets Manager answered ThrottlingException"
            )
        if secret.arn in self.denied:
            raise SecretAccessDenied(
                f"access denied to secret {secret_id} ({action}): the function's role may not "
                f"{action} this secret or decrypt it with its KMS key"
            )
        return secret

    def _find(self, secret_id: str) -> _Secret:
        for secret in self._secrets.values():
            if secret_id in (secret.arn, secret.name) or secret.arn.startswith(secret_id + "-"):
                return secret
        raise SecretNotFound(f"secret {secret_id}: not found")

    @staticmethod
    def _move(secret: _Secret, stage: str, to_version: str) -> None:
        for version_id, version in secret.versions.items():
            if version_id != to_version:
                version.stages.discard(stage)
