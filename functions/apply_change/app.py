"""Per portal: change the portal (rotate the key or post the merged config), once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger
from portal_automation.settings import ApplyChangeSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.holding import holding

SETTINGS = load_settings(ApplyChangeSettings)
SERVICES = step_services(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_step("apply_change", holding(apply_change, "ApplyChange"), event, SERVICES)
