"""Secrets Manager rotation function: starts the workflow and reports its real outcome."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import guarded
from portal_automation.observability import logger
from portal_automation.settings import RotationSettings, load_settings
from portal_automation.triggers.rotation import rotation_step
from portal_automation.wiring import executions, secrets_store

SETTINGS = load_settings(RotationSettings)
SECRETS = secrets_store()
EXECUTIONS = executions(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(
        step=str(event.get("Step")),
        secret_arn=str(event.get("SecretId")),
        version_id=str(event.get("ClientRequestToken")),
    )
    result = guarded(
        lambda: rotation_step(
            event,
            secrets=SECRETS,
            executions=EXECUTIONS,
            remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000,
            timing=SETTINGS.execution_timing or None,
        )
    )
    logger.info("rotation step done", extra=result)
    return result
