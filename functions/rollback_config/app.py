"""Per portal: post the configuration snapshot taken before a failed change."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger
from portal_automation.settings import RollbackConfigSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.holding import holding
from portal_automation.workflow.rollback import rollback_config

SETTINGS = load_settings(RollbackConfigSettings)
SERVICES = step_services(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_step("rollback_config", holding(rollback_config, "RollbackConfig"), event, SERVICES)
