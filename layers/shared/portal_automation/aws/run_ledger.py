"""DynamoDB ledger: per-portal locks, and what each run asked and did, portal by portal.

No secret ever goes in here: items hold ARNs, execution names, counters, timestamps and
the per-portal reports (facts only). The table has a partition key ``pk`` and a sort key
``sk``:

    lock#<key>          lock                  a lock (owner, expiresAt, the stage that last
                                              renewed it); the key is a secret ARN, or
                                              another key a branch holds (a portal's)
    run#<run id>        run                   the run: action, dry run, securityConfig...
    run#<run id>        lock#<key>#<owner>    a lock the run took, and its owner (so a stopped
                                              run's locks can be found and released)
    run#<run id>        attempt#<secret ARN>  attempts to change that portal in the run
    run#<run id>        result#<secret ARN>   that portal's report (the Map writes none)
    secret#<secret ARN> last                  the portal's last outcome, for ``status``

The lock is a conditional put, so two runs on one secret cannot both hold it; every
step of the run renews it (a conditional update on the owner), and it expires
(``expiresAt``, also the table's TTL attribute) ``lock_ttl_seconds`` after the last
renewal, so a crashed run cannot block the next one forever while a live one keeps it
for as long as it waits. Run items expire after ``RUN_RETENTION_DAYS``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import LedgerUnavailable, LockLost, PortalBusy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RUN_RETENTION_DAYS: Final = 90
_DAY: Final = 86_400


class RunLedger:
    def __init__(self, client: DynamoDBClient, table: str, lock_ttl_seconds: int) -> None:
        self._client = client
        self._table = table
        self._ttl = lock_ttl_seconds

    # --- locks ---------------------------------------------------------------------

    def acquire(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> None:
        owner = owner or run_id
        # The run's record of the lock first: a crash between the two leaves a record
        # of a lock never taken, which releasing later (owner-conditional) ignores.
        self._put(
            f"run#{run_id}",
            _held_sk(secret_arn, owner),
            {"lockKey": {"S": secret_arn}, "owner": {"S": owner}},
        )
        now = int(time.time())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **_key(f"lock#{secret_arn}", "lock"),
                    "owner": {"S": owner},
                    "acquiredAt": {"N": str(now)},
                    "expiresAt": {"N": str(now + self._ttl)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #o = :me OR expiresAt < :now",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}, ":now": {"N": str(now)}},
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
        item = self._get(f"lock#{secret_arn}", "lock")
        return item["owner"]["S"] if item else None

    def renew(self, secret_arn: str, run_id: str, stage: str, *, owner: str | None = None) -> None:
        """Push the lock's expiry ``lock_ttl_seconds`` on, and note ``stage``, if this run
        still holds it; ``LockLost`` if it does not (released, or taken by another run
        after it expired)."""
        now = int(time.time())
        owner = owner or run_id
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(f"lock#{secret_arn}", "lock"),
                UpdateExpression="SET expiresAt = :exp, #s = :stage, renewedAt = :now",
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner", "#s": "stage"},
                ExpressionAttributeValues={
                    ":me": {"S": owner},
                    ":exp": {"N": str(now + self._ttl)},
                    ":stage": {"S": stage},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                holder = self.holder(secret_arn)
                raise LockLost(
                    f"the lock on {secret_arn} is no longer this run's ("
                    + (f"run {holder} holds it" if holder else "released or expired")
                    + "); this run changes nothing more on that portal"
                ) from None
            raise LedgerUnavailable(f"renew lock for {secret_arn}: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise LedgerUnavailable(f"renew lock for {secret_arn}: {type(exc).__name__}") from None

    def release(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> bool:
        """Release the lock if this run holds it; False when it did not (already
        released, expired and taken, or never taken)."""
        owner = owner or run_id
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_key(f"lock#{secret_arn}", "lock"),
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}},
            )
            released = True
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise LedgerUnavailable(f"unlock {secret_arn}: {_code(exc)}") from None
            released = False
        except BotoCoreError as exc:
            raise LedgerUnavailable(f"unlock {secret_arn}: {type(exc).__name__}") from None
        self._delete(f"run#{run_id}", _held_sk(secret_arn, owner))
        return released

    def held_locks(self, run_id: str) -> list[tuple[str, str]]:
        """The (key, owner) of every lock the run took and has not released (taken by
        another run since, maybe: releasing them is owner-conditional)."""
        return [
            (str(item["lockKey"]["S"]), str(item.get("owner", {}).get("S", run_id)))
            for item in self._query(f"run#{run_id}", "lock#")
        ]

    def lock_stage(self, secret_arn: str, run_id: str) -> str | None:
        """The step that last renewed the run's lock ("Preflight": taken, not renewed);
        None when the run does not hold it."""
        item = self._get(f"lock#{secret_arn}", "lock")
        if item is None or item["owner"]["S"] != run_id:
            return None
        return str(item.get("stage", {}).get("S", "Preflight"))

    # --- runs ----------------------------------------------------------------------

    def record_attempt(self, secret_arn: str, run_id: str) -> int:
        """Count one attempt to change the portal; return the new count."""
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=_key(f"run#{run_id}", f"attempt#{secret_arn}"),
                UpdateExpression="ADD attempts :one SET updatedAt = :now, expiresAt = :exp",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":now": {"N": str(int(time.time()))},
                    ":exp": {"N": str(_expiry())},
                },
                ReturnValues="UPDATED_NEW",
            )
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"record attempt: {_code(exc)}") from None
        return int(answer["Attributes"]["attempts"]["N"])

    def put_run(self, run_id: str, run: dict[str, Any]) -> None:
        """What the run asked (stored once, read by every portal's steps)."""
        self._put(f"run#{run_id}", "run", {"run": {"S": json.dumps(run)}})

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        item = self._get(f"run#{run_id}", "run")
        return json.loads(item["run"]["S"]) if item else None

    def put_result(self, run_id: str, secret_arn: str, report: dict[str, Any]) -> None:
        """One portal's report in the run (idempotent: a re-run overwrites it)."""
        self._put(
            f"run#{run_id}",
            f"result#{secret_arn}",
            {"status": {"S": str(report.get("status"))}, "report": {"S": json.dumps(report)}},
        )

    def results(self, run_id: str) -> Iterator[dict[str, Any]]:
        """Every portal's report in the run, in pages."""
        for item in self._query(f"run#{run_id}", "result#"):
            yield json.loads(item["report"]["S"])

    def result_of(self, run_id: str, secret_arn: str) -> dict[str, Any] | None:
        """The portal's report in the run, if one is recorded."""
        item = self._get(f"run#{run_id}", f"result#{secret_arn}")
        return json.loads(item["report"]["S"]) if item else None

    # --- each portal's last outcome --------------------------------------------------

    def put_last_outcome(self, secret_arn: str, outcome: dict[str, Any]) -> None:
        self._put(
            f"secret#{secret_arn}",
            "last",
            {"outcome": {"S": json.dumps(outcome)}},
            expires=False,
        )

    def last_outcomes(self, secret_arns: list[str]) -> dict[str, dict[str, Any]]:
        """The last outcome of each secret that has one (BatchGetItem, 100 at a time)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(secret_arns), 100):
            keys: list[Any] = [
                _key(f"secret#{a}", "last") for a in secret_arns[start : start + 100]
            ]
            request: Any = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while request:
                try:
                    page = self._client.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    raise LedgerUnavailable(f"last outcomes: {_code(exc)}") from None
                for item in page.get("Responses", {}).get(self._table, []):
                    found[item["pk"]["S"][len("secret#") :]] = json.loads(item["outcome"]["S"])
                request = page.get("UnprocessedKeys") or {}
        return found

    # --- plumbing --------------------------------------------------------------------

    def _put(self, pk: str, sk: str, attributes: dict[str, Any], *, expires: bool = True) -> None:
        item: dict[str, Any] = {
            **_key(pk, sk),
            **attributes,
            "updatedAt": {"N": str(int(time.time()))},
        }
        if expires:
            item["expiresAt"] = {"N": str(_expiry())}
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"ledger write of {sk}: {_code(exc)}") from None

    def _query(self, pk: str, sk_prefix: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":sk": {"S": sk_prefix}},
            "ConsistentRead": True,
        }
        while True:
            try:
                page = self._client.query(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise LedgerUnavailable(f"ledger query of {pk}: {_code(exc)}") from None
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, pk: str, sk: str) -> None:
        try:
            self._client.delete_item(TableName=self._table, Key=_key(pk, sk))
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"ledger delete of {sk}: {_code(exc)}") from None

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = self._client.get_item(
                TableName=self._table, Key=_key(pk, sk), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise LedgerUnavailable(f"ledger read: {_code(exc)}") from None
        return answer.get("Item")


def _held_sk(key: str, owner: str) -> str:
    """The sort key of a run's record of a lock: one per key and owner (two branches of
    one run may contend for one portal's lock), bounded whatever the owner's length."""
    return f"lock#{key}#{hashlib.sha256(owner.encode()).hexdigest()[:16]}"


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _expiry() -> int:
    return int(time.time()) + RUN_RETENTION_DAYS * _DAY


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__
