"""Per portal: credentials, token, version, current state and the plan."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger
from portal_automation.settings import PreflightSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.holding import holding
from portal_automation.workflow.preflight import preflight

SETTINGS = load_settings(PreflightSettings)
SERVICES = step_services(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_step("preflight", holding(preflight, "Preflight", renews=False), event, SERVICES)
