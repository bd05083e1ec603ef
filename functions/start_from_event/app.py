"""EventBridge target: start (or attach to) the execution an event asks for."""

import json
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.aws.executions import Executions
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, tracer
from portal_automation.settings import get_settings
from portal_automation.triggers.events import start_for_event

SETTINGS = get_settings()
STATE_MACHINE_ARN = SETTINGS.require("state_machine_arn")


def desired_document() -> Any:
    name = SETTINGS.require("desired_config_parameter")
    # Always fresh: the event may be the very change of this parameter.
    return json.loads(str(parameters.get_parameter(name, force_fetch=True)))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(event_id=event.get_id, detail_type=event.detail_type, source=event.source)
    result: dict[str, Any] = guarded(
        lambda: start_for_event(
            event.raw_event,
            executions=Executions(boto3.client("stepfunctions"), STATE_MACHINE_ARN),
            desired_document=desired_document,
            drift_mode=SETTINGS.drift_mode,
            timing_defaults=SETTINGS.execution_timing,
        )
    )
    logger.info("execution for event", extra=result)
    return result
