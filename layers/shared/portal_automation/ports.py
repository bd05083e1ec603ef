"""What the workflow needs from the outside world, as small interfaces.

The steps in ``workflow/`` and ``triggers/`` depend on these protocols only. The real
adapters satisfy them (``aws/`` for Secrets Manager, S3, DynamoDB and Step Functions,
``portal/`` for the Portal Admin API); ``tests/fakes`` holds in-memory twins that
behave the same way, named errors included, so the decisions can be tested in
milliseconds. Every method raises the project's named errors (``errors.py``), never a
botocore or requests exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .aws.executions import Execution
    from .aws.secrets_store import SecretVersion
    from .domain.credentials import PortalCredentials
    from .domain.version import PortalVersion
    from .portal.models import (
        HealthStatus,
        Machine,
        PortalInfo,
        PortalToken,
        SecurityConfig,
        TokenClient,
        UpdateAccepted,
    )
    from .portal.session import AdminSession
    from .portal.vetted import FederationValidation
    from .sensitive import Secret


class SecretsPort(Protocol):
    """The portal credentials secrets and their version stages."""

    def read(
        self, secret_id: str, *, stage: str = ..., version_id: str | None = None
    ) -> SecretVersion: ...

    def pending(self, secret_id: str, version_id: str) -> PortalCredentials | None: ...

    def stages(self, secret_id: str) -> dict[str, list[str]]: ...

    def describe(self, secret_id: str) -> dict[str, Any]: ...

    def put_pending(self, secret_id: str, version_id: str, creds: PortalCredentials) -> None: ...

    def promote(self, secret_id: str, version_id: str) -> None: ...

    def clear_pending(self, secret_id: str, version_id: str) -> None: ...

    def pending_version_id(self, secret_id: str) -> str | None: ...

    def select(self, name_prefix: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
        """The secrets whose name starts with ``name_prefix`` and that carry every tag in
        ``tags``: ARN, Name, Tags (a dict), RotationEnabled, and LastRotatedDate and
        NextRotationDate as epoch seconds or None, as ListSecrets gives them."""
        ...

    def select_pages(
        self, name_prefix: str, tags: Mapping[str, str]
    ) -> Iterator[list[dict[str, Any]]]:
        """``select``, one ListSecrets page at a time. ListSecrets may not list what
        changed in the last five minutes (AWS); DescribeSecret always sees it."""
        ...


class WorkStorePort(Protocol):
    """Encrypted per-run scratch space (probe token, pre-change key, config snapshot)."""

    def put_secret(self, key: str, value: Secret) -> None:
        """A short-lived secret (probe token, pre-change key): tagged to expire within a
        day even if no run deletes it."""
        ...

    def get_secret(self, key: str) -> Secret | None: ...

    def put_json(self, key: str, value: Any) -> None: ...

    def get_json(self, key: str) -> Any | None: ...

    def delete_prefix(self, prefix: str, *, keep: tuple[str, ...] = ()) -> list[str]:
        """Delete every object under ``prefix`` but those named in ``keep`` (their
        names under the prefix); the names of the objects deleted."""
        ...


class LedgerPort(Protocol):
    """Per-portal locks, the runs and each portal's result in them (never a secret).
    A lock's key is a secret ARN, or another key a portal's branch holds. A lock is held
    by its ``owner`` (the run, unless said otherwise: a portal's own lock is held by one
    branch of the run, ``workflow/portal_lock.holder``) and recorded under its run."""

    def acquire(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> None: ...

    def renew(self, secret_arn: str, run_id: str, stage: str, *, owner: str | None = None) -> None:
        """``LockLost`` unless the owner still holds the lock; its expiry moves on."""
        ...

    def release(self, secret_arn: str, run_id: str, *, owner: str | None = None) -> bool:
        """False when the owner did not hold the lock (nothing is released then)."""
        ...

    def holder(self, secret_arn: str) -> str | None: ...

    def held_locks(self, run_id: str) -> list[tuple[str, str]]:
        """The (key, owner) of every lock the run took and has not released."""
        ...

    def lock_stage(self, secret_arn: str, run_id: str) -> str | None: ...

    def record_attempt(self, secret_arn: str, run_id: str) -> int: ...

    def put_run(self, run_id: str, run: dict[str, Any]) -> None: ...

    def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    def put_result(self, run_id: str, secret_arn: str, report: dict[str, Any]) -> None: ...

    def results(self, run_id: str) -> Iterator[dict[str, Any]]: ...

    def result_of(self, run_id: str, secret_arn: str) -> dict[str, Any] | None: ...

    def put_last_outcome(self, secret_arn: str, outcome: dict[str, Any]) -> None: ...

    def last_outcomes(self, secret_arns: list[str]) -> dict[str, dict[str, Any]]: ...


class KeyTargetApi(Protocol):
    """The calls a key rotation makes, of a portal and of an ArcGIS Server site alike
    (``portal.client.PortalClient``, ``server.client.ServerClient``)."""

    base_url: str
    referer: str

    def close(self) -> None: ...

    def generate_token(
        self,
        username: str,
        password: Secret,
        *,
        client: TokenClient | None = ...,
        ip: str | None = ...,
        expiration_minutes: int = ...,
    ) -> PortalToken: ...

    def info(self, token: PortalToken) -> PortalInfo: ...

    def machines(self, token: PortalToken) -> list[Machine]: ...

    def read_shared_key(self, token: PortalToken) -> Secret: ...

    def update_shared_key(self, token: PortalToken, key: Secret | None) -> UpdateAccepted: ...

    def health(self) -> HealthStatus: ...


class PortalApi(KeyTargetApi, Protocol):
    """The Portal Admin API calls the steps make besides a rotation's: only for portals
    (``domain.kinds``: a site is only ever rotated)."""

    def read_security_config(self, token: PortalToken) -> SecurityConfig: ...

    def update_security_config(
        self, token: PortalToken, config: Mapping[str, Any]
    ) -> UpdateAccepted: ...

    def read_user_default_settings(self, token: PortalToken) -> dict[str, Any]: ...

    def update_user_default_settings(
        self, token: PortalToken, settings: Mapping[str, Any]
    ) -> None: ...

    def is_enterprise_on_kubernetes(self, token: PortalToken) -> bool: ...

    def populate_license(self, token: PortalToken) -> None: ...

    def license_user_types(self, token: PortalToken) -> list[str]: ...

    def validate_federated_servers(self, token: PortalToken) -> FederationValidation: ...


class PortalConnector(Protocol):
    """Opens an administrator's session with the portal a credentials secret names.

    Like the HTTP adapter, opening checks the URL and connects nowhere: an unreachable
    portal fails at the session's first call."""

    def session(
        self, creds: PortalCredentials, version: PortalVersion | None = None
    ) -> AbstractContextManager[AdminSession]: ...

    def machine(self, url: str, portal: AdminSession) -> AbstractContextManager[AdminSession]:
        """A session with one machine of ``portal``, at ``url`` (a pinned adminURL), that
        uses the portal session's tokens: the password never goes there."""
        ...


class ExecutionsPort(Protocol):
    """Step Functions executions of the workflow, started idempotently by name."""

    state_machine_arn: str

    def arn_for(self, name: str) -> str: ...

    def start_or_attach(self, name: str, payload: dict[str, Any]) -> Execution: ...

    def describe(self, arn: str) -> Execution: ...

    def wait(self, arn: str, *, seconds: float, poll: float = ...) -> Execution: ...
