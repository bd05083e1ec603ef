"""Per portal: prove the change took effect after the restart."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger
from portal_automation.settings import VerifySettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.holding import holding
from portal_automation.workflow.verify import verify

SETTINGS = load_settings(VerifySettings)
SERVICES = step_services(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_step("verify", holding(verify, "Verify"), event, SERVICES)
