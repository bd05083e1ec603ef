"""Secrets Manager rotation function: starts the workflow and reports its real outcome."""

from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes import SecretsManagerEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.aws.executions import Executions
from portal_automation.aws.secrets_store import SecretsStore
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, tracer
from portal_automation.settings import get_settings
from portal_automation.triggers.rotation import rotate

SETTINGS = get_settings()
STATE_MACHINE_ARN = SETTINGS.require("state_machine_arn")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_source(data_class=SecretsManagerEvent)
def lambda_handler(event: SecretsManagerEvent, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(
        step=event.step, secret_arn=event.secret_id, version_id=event.client_request_token
    )
    result: dict[str, Any] = guarded(
        lambda: rotate(
            event.step,
            event.secret_id,
            event.client_request_token,
            secrets=SecretsStore(boto3.client("secretsmanager")),
            executions=Executions(boto3.client("stepfunctions"), STATE_MACHINE_ARN),
            remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
            timing=SETTINGS.execution_timing or None,
        )
    )
    logger.info("rotation step done", extra=result)
    return result
