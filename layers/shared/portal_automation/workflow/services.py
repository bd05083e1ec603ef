"""What the steps need from the outside world, built once per warm function.

boto3 clients are created on first use, never at import (cold start stays small and
importing never touches the network).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3

from ..aws.run_ledger import RunLedger
from ..aws.secrets_store import SecretsStore
from ..aws.work_store import WorkStore
from ..domain.credentials import PortalCredentials
from ..portal import AdminSession, PortalClient
from ..portal.transport import TransportSettings
from ..settings import Settings, get_settings


@dataclass
class Services:
    settings: Settings = field(default_factory=get_settings)

    def _client(self, name: str) -> Any:
        return boto3.client(name)  # type: ignore[call-overload]

    @cached_property
    def secrets(self) -> SecretsStore:
        return SecretsStore(
            self._client("secretsmanager"), allow_http=self.settings.allow_http_portals
        )

    @cached_property
    def work(self) -> WorkStore:
        return WorkStore(
            self._client("s3"),
            self.settings.require("work_bucket"),
            self.settings.work_kms_key_id,
        )

    @cached_property
    def ledger(self) -> RunLedger:
        return RunLedger(
            self._client("dynamodb"),
            self.settings.require("runs_table"),
            self.settings.lock_ttl_seconds,
        )

    @cached_property
    def _transport(self) -> TransportSettings:
        return TransportSettings(
            connect_timeout=self.settings.connect_timeout_seconds,
            read_timeout=self.settings.read_timeout_seconds,
            ca_bundle=self._ca_bundle_path(),
        )

    def client_for(self, creds: PortalCredentials) -> PortalClient:
        return PortalClient(
            creds.url,
            referer=creds.referer,
            allow_http=self.settings.allow_http_portals,
            settings=self._transport,
        )

    @contextmanager
    def session(self, creds: PortalCredentials) -> Iterator[AdminSession]:
        client = self.client_for(creds)
        try:
            yield AdminSession(client, creds.username, creds.password)
        finally:
            client.close()

    def _ca_bundle_path(self) -> str | None:
        if self.settings.ca_bundle_file:
            return self.settings.ca_bundle_file
        name = self.settings.ca_bundle_parameter
        if not name:
            return None
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only when used

        pem = parameters.get_parameter(name, max_age=300)
        path = os.path.join(tempfile.gettempdir(), f"portal-ca-{_digest(name)}.pem")
        with open(path, "w", encoding="ascii") as handle:
            handle.write(str(pem))
        return path


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def work_prefix(run_id: str, secret_arn: str) -> str:
    return f"runs/{run_id}/{_digest(secret_arn)}/"
