"""DynamoDB ledger: one lock per portal secret, and what each run did to each portal.

No secret ever goes in here: items hold ARNs, execution names, counters and timestamps.
The lock is a conditional put, so two runs on one secret cannot both hold it; it
expires (``expiresAt``, also the table's TTL attribute) so a crashed run cannot block
the next one forever.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import PortalAutomationError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class PortalBusy(PortalAutomationError):
    """Another run holds this portal's lock (two rotations of one secret at once)."""


class LedgerUnavailable(PortalAutomationError):
    transient = True


class RunLedger:
    def __init__(self, client: DynamoDBClient, table: str, lock_ttl_seconds: int) -> None:
        self._client = client
        self._table = table
        self._ttl = lock_ttl_seconds

    def acquire(self, secret_arn: str, run_id: str) -> None:
        now = int(time.time())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"lock#{secret_arn}"},
                    "owner": {"S": run_id},
                    "acquiredAt": {"N": str(now)},
                    "expiresAt": {"N": str(now + self._ttl)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #o = :me OR expiresAt < :now",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": run_id}, ":now": {"N": str(now)}},
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                holder = self.holder(secret_arn)
                raise PortalBusy(
                    f"another run ({holder or 'unknown'}) is changing the portal of "
                    f"{secret_arn}; this run changes nothing. Retry after it finishes"
                ) from None
            raise LedgerUnavailable(f"lock for {secret_arn}: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise LedgerUnavailable(f"lock for {secret_arn}: {type(exc).__name__}") from None

    def holder(self, secret_arn: str) -> str | None:
        item = self._get(f"lock#{secret_arn}")
        return item["owner"]["S"] if item else None

    def release(self, secret_arn: str, run_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"lock#{secret_arn}"}},
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": run_id}},
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise LedgerUnavailable(f"unlock {secret_arn}: {_code(exc)}") from None

    def record_attempt(self, secret_arn: str, run_id: str) -> int:
        """Count one attempt to change the portal; return the new count."""
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"run#{run_id}#{secret_arn}"}},
                UpdateExpression="ADD attempts :one SET updatedAt = :now, expiresAt = :exp",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":now": {"N": str(int(time.time()))},
                    ":exp": {"N": str(int(time.time()) + 30 * 86_400)},
                },
                ReturnValues="UPDATED_NEW",
            )
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"record attempt: {_code(exc)}") from None
        return int(answer["Attributes"]["attempts"]["N"])

    def attempts(self, secret_arn: str, run_id: str) -> int:
        item = self._get(f"run#{run_id}#{secret_arn}")
        return int(item["attempts"]["N"]) if item and "attempts" in item else 0

    def _get(self, pk: str) -> dict[str, Any] | None:
        try:
            answer = self._client.get_item(
                TableName=self._table, Key={"pk": {"S": pk}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"ledger read: {_code(exc)}") from None
        return answer.get("Item")


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__
