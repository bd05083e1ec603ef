"""EventBridge target: start (or attach to) the execution an event asks for."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.aws.clients import lazy_client
from portal_automation.aws.desired_config import DesiredDocument, read_desired
from portal_automation.handler_support import guarded
from portal_automation.observability import logger
from portal_automation.settings import StartFromEventSettings, load_settings
from portal_automation.triggers.events import start_for_event
from portal_automation.wiring import executions

SETTINGS = load_settings(StartFromEventSettings)
EXECUTIONS = executions(SETTINGS)
SSM = lazy_client("ssm")


def desired_document() -> DesiredDocument:
    # Always fresh: the event may be the very change of this parameter.
    return read_desired(SSM, SETTINGS.desired_config_parameter)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(
        event_id=str(event.get("id")),
        detail_type=str(event.get("detail-type")),
        source=str(event.get("source")),
    )
    result = guarded(
        lambda: start_for_event(
            event,
            executions=EXECUTIONS,
            desired_document=desired_document,
            drift_mode=SETTINGS.drift_mode,
            timing_defaults=SETTINGS.execution_timing,
            request_principals=SETTINGS.request_principal_arns,
        )
    )
    logger.info("execution for event", extra=result)
    return result
