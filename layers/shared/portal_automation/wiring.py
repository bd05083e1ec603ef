"""Build the real adapters of one function from its settings (its cold start).

Nothing here touches the network at import: clients are made on first use, and the
CA bundle held in SSM is fetched by the first portal session. What only that first use
needs (boto3, requests) is imported then too.
"""

from __future__ import annotations

import functools
import os
import tempfile
from typing import TYPE_CHECKING

from .aws.clients import lazy_client
from .aws.executions import Executions
from .aws.run_ledger import RunLedger
from .aws.secrets_store import SecretsStore
from .aws.work_store import WorkStore
from .portal.connector import HttpPortalConnector
from .portal.url import UrlPolicy
from .settings import LedgerAccess, StateMachineAccess, StepSettings, WorkStoreAccess
from .workflow.services import Services, digest, not_configured

if TYPE_CHECKING:
    from .portal.transport import TransportSettings


def step_services(settings: StepSettings) -> Services:
    return Services(
        secrets=secrets_store(settings.url_policy),
        portals=HttpPortalConnector(
            functools.cache(lambda: _transport(settings)), settings.url_policy
        ),
        work=(
            work_store(settings)
            if isinstance(settings, WorkStoreAccess)
            else not_configured("work store")
        ),
        ledger=(
            run_ledger(settings) if isinstance(settings, LedgerAccess) else not_configured("ledger")
        ),
        max_restart_seconds=settings.max_restart_seconds,
        read_timeout_seconds=settings.read_timeout_seconds,
    )


def work_store(settings: WorkStoreAccess) -> WorkStore:
    return WorkStore(lazy_client("s3"), settings.work_bucket, settings.work_kms_key_id)


def run_ledger(settings: LedgerAccess) -> RunLedger:
    return RunLedger(lazy_client("dynamodb"), settings.runs_table, settings.lock_ttl_seconds)


def secrets_store(policy: UrlPolicy = UrlPolicy()) -> SecretsStore:  # noqa: B008
    return SecretsStore(lazy_client("secretsmanager"), policy)


def executions(settings: StateMachineAccess) -> Executions:
    return Executions(lazy_client("stepfunctions"), settings.state_machine_arn)


def _transport(settings: StepSettings) -> TransportSettings:
    from .portal.transport import TransportSettings  # noqa: PLC0415 - it imports requests

    return TransportSettings(
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        ca_bundle=_ca_bundle_path(settings),
    )


def _ca_bundle_path(settings: StepSettings) -> str | None:
    if settings.ca_bundle_file:
        return settings.ca_bundle_file
    name = settings.ca_bundle_parameter
    if not name:
        return None
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only when used

    pem = parameters.get_parameter(name, max_age=300)
    path = os.path.join(tempfile.gettempdir(), f"portal-ca-{digest(name)}.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(str(pem))
    return path
