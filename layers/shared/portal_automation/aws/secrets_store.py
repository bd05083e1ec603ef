"""Secrets Manager adapter: read the credentials secret and manage its versions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.credentials import PortalCredentials
from ..errors import (
    InvalidCredentialsSecret,
    SecretAccessDenied,
    SecretNotFound,
    SecretStoreRejected,
    SecretStoreUnavailable,
)
from ..portal.url import UrlPolicy

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CURRENT: Final = "AWSCURRENT"
PENDING: Final = "AWSPENDING"
PREVIOUS: Final = "AWSPREVIOUS"
_DENIED: Final = frozenset({"AccessDeniedException", "DecryptionFailure", "AccessDenied"})
_NOT_FOUND: Final = frozenset({"ResourceNotFoundException"})
LIST_PAGE_SIZE: Final = 100  # ListSecrets' largest page
_TRANSIENT: Final = frozenset(
    {"ThrottlingException", "InternalServiceError", "ServiceUnavailable", "RequestTimeout"}
)


@dataclass(frozen=True)
class SecretVersion:
    version_id: str
    credentials: PortalCredentials


class SecretsStore:
    def __init__(
        self,
        client: SecretsManagerClient,
        policy: UrlPolicy = UrlPolicy(),  # noqa: B008 - immutable
    ) -> None:
        self._client = client
        self._policy = policy

    def read(
        self, secret_id: str, *, stage: str = CURRENT, version_id: str | None = None
    ) -> SecretVersion:
        args: dict[str, Any] = {"SecretId": secret_id}
        if version_id:
            args["VersionId"] = version_id
        else:
            args["VersionStage"] = stage
        with _translated(secret_id, "read"):
            answer = self._client.get_secret_value(**args)
        text = answer.get("SecretString")
        if text is None:
            raise InvalidCredentialsSecret(
                f"secret {secret_id} holds binary data; a JSON SecretString is required"
            )
        creds = PortalCredentials.from_secret_string(text, self._policy)
        return SecretVersion(answer["VersionId"], creds)

    def pending(self, secret_id: str, version_id: str) -> PortalCredentials | None:
        """The credentials stored in version ``version_id``, if it holds a value yet.

        Secrets Manager's RotateSecret labels the new version AWSPENDING before the
        rotation function has put anything in it; such a version reads as None.
        """
        try:
            return self.read(secret_id, version_id=version_id).credentials
        except SecretNotFound:
            return None

    def stages(self, secret_id: str) -> dict[str, list[str]]:
        """Version id → stages, for every version that has a stage."""
        with _translated(secret_id, "describe"):
            answer = self._client.describe_secret(SecretId=secret_id)
        return {k: list(v) for k, v in answer.get("VersionIdsToStages", {}).items()}

    def describe(self, secret_id: str) -> dict[str, Any]:
        with _translated(secret_id, "describe"):
            return dict(self._client.describe_secret(SecretId=secret_id))

    def put_pending(self, secret_id: str, version_id: str, creds: PortalCredentials) -> None:
        with _translated(secret_id, "write"):
            self._client.put_secret_value(
                SecretId=secret_id,
                ClientRequestToken=version_id,
                SecretString=creds.to_secret_string(),
                VersionStages=[PENDING],
            )

    def promote(self, secret_id: str, version_id: str) -> None:
        """Make ``version_id`` AWSCURRENT (AWSPREVIOUS follows) and drop its AWSPENDING.

        Idempotent: a re-run after a crash finds the version already current.
        """
        stages = self.stages(secret_id)
        current = next((v for v, s in stages.items() if CURRENT in s), None)
        if current != version_id:
            with _translated(secret_id, "write"):
                self._client.update_secret_version_stage(
                    SecretId=secret_id,
                    VersionStage=CURRENT,
                    MoveToVersionId=version_id,
                    **({"RemoveFromVersionId": current} if current else {}),
                )
        if PENDING in stages.get(version_id, []):
            self._remove_pending(secret_id, version_id)

    def clear_pending(self, secret_id: str, version_id: str) -> None:
        """Remove AWSPENDING from ``version_id``; nothing to do when it is not there."""
        if PENDING in self.stages(secret_id).get(version_id, []):
            self._remove_pending(secret_id, version_id)

    def _remove_pending(self, secret_id: str, version_id: str) -> None:
        with _translated(secret_id, "write"):
            self._client.update_secret_version_stage(
                SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=version_id
            )

    def pending_version_id(self, secret_id: str) -> str | None:
        """The version labelled AWSPENDING, unless that label sits on the current version."""
        for version, stages in self.stages(secret_id).items():
            if PENDING in stages and CURRENT not in stages:
                return version
        return None

    def select(self, name_prefix: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
        """ListSecrets, paginated. Its name and tag filters are coarse (prefix matches, and
        tag keys and values matched apart), so every tag is checked again here."""
        return [entry for page in self.select_pages(name_prefix, tags) for entry in page]

    def select_pages(
        self, name_prefix: str, tags: Mapping[str, str]
    ) -> Iterator[list[dict[str, Any]]]:
        """The same as ``select``, a page of up to ``LIST_PAGE_SIZE`` secrets at a time (a
        caller that stops early saves the calls)."""
        filters: list[Any] = [{"Key": "name", "Values": [name_prefix]}]
        for key, value in tags.items():
            filters += [
                {"Key": "tag-key", "Values": [key]},
                {"Key": "tag-value", "Values": [value]},
            ]
        pages = iter(
            self._client.get_paginator("list_secrets").paginate(
                Filters=filters, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
            )
        )
        while True:
            with _translated(name_prefix + "*", "list"):
                page = next(pages, None)
            if page is None:
                return
            yield [
                _listed(entry)
                for entry in page.get("SecretList", [])
                if str(entry.get("Name", "")).startswith(name_prefix)
                and all(_tags(entry).get(k) == v for k, v in tags.items())
            ]


def _tags(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {t.get("Key"): t.get("Value") for t in entry.get("Tags", [])}


def _listed(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ARN": entry["ARN"],
        "Name": str(entry.get("Name", "")),
        "Tags": _tags(entry),
        "RotationEnabled": bool(entry.get("RotationEnabled", False)),
        "LastRotatedDate": _epoch(entry.get("LastRotatedDate")),
        "NextRotationDate": _epoch(entry.get("NextRotationDate")),
    }


def _epoch(value: Any) -> float | None:
    """A ListSecrets date (a datetime from botocore) as epoch seconds."""
    return round(value.timestamp(), 3) if hasattr(value, "timestamp") else None


@contextmanager
def _translated(secret_id: str, action: str) -> Iterator[None]:
    """Map botocore errors to named errors that carry the secret's ARN, never its value."""
    where = f"secret {secret_id} ({action})"
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _DENIED:
            raise SecretAccessDenied(
                f"access denied to {where}: the function's role may not {action} "
                "this secret or decrypt it with its KMS key"
            ) from None
        if code in _NOT_FOUND:
            raise SecretNotFound(f"{where}: not found") from None
        if code in _TRANSIENT:
            raise SecretStoreUnavailable(f"{where}: Secrets Manager answered {code}") from None
        raise SecretStoreRejected(f"{where}: Secrets Manager refused with {code}") from None
    except BotoCoreError as exc:
        raise SecretStoreUnavailable(f"{where}: {type(exc).__name__}") from None
