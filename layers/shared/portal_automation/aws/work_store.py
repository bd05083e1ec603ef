"""Encrypted scratch space for one run: the probe token, the pre-change key, the config
snapshot. Objects live in S3 with SSE-KMS (a customer-managed key when configured), a
bucket policy that refuses plain HTTP, and lifecycle rules that expire them; they never
enter execution history, logs or DynamoDB. The probe token and the pre-change key carry
the tag ``SHORT_LIVED`` (a rule expires those after a day: the second line behind the
steps that delete them); a config snapshot is kept for a manual rollback.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import WorkStoreError
from ..sensitive import Secret

SHORT_LIVED: Final = "lifetime=run"
"""The object tag (key=value) of the scratch objects a day-long lifecycle rule expires."""

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class WorkStore:
    def __init__(self, client: S3Client, bucket: str, kms_key_id: str | None) -> None:
        self._client = client
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def put_secret(self, key: str, value: Secret) -> None:
        self._put(key, value.reveal().encode("utf-8"), tagging=SHORT_LIVED)

    def get_secret(self, key: str) -> Secret | None:
        raw = self._get(key)
        return None if raw is None else Secret(raw.decode("utf-8"))

    def put_json(self, key: str, value: Any) -> None:
        self._put(key, json.dumps(value).encode("utf-8"))

    def get_json(self, key: str) -> Any | None:
        raw = self._get(key)
        return None if raw is None else json.loads(raw)

    def delete_prefix(self, prefix: str, *, keep: tuple[str, ...] = ()) -> list[str]:
        kept = {prefix + name for name in keep}
        try:
            listed = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix)
            keys: list[Any] = [
                {"Key": obj["Key"]} for obj in listed.get("Contents", []) if obj["Key"] not in kept
            ]
            if keys:
                self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": keys})
        except (ClientError, BotoCoreError) as exc:
            raise WorkStoreError(f"work store cleanup of {prefix}: {type(exc).__name__}") from None
        return [str(key["Key"])[len(prefix) :] for key in keys]

    def _put(self, key: str, body: bytes, *, tagging: str | None = None) -> None:
        args: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
        if self._kms_key_id:
            args["SSEKMSKeyId"] = self._kms_key_id
        if tagging:
            args["Tagging"] = tagging
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body, **args)
        except (ClientError, BotoCoreError) as exc:
            raise WorkStoreError(f"work store write of {key}: {_code(exc)}") from None

    def _get(self, key: str) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise WorkStoreError(f"work store read of {key}: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise WorkStoreError(f"work store read of {key}: {type(exc).__name__}") from None
        body: bytes = answer["Body"].read()
        return body


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__
