"""Per portal: watch the health check for one window while the portal restarts."""

import functools
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger
from portal_automation.settings import PollHealthSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.holding import holding
from portal_automation.workflow.restart_wait import poll_health

SETTINGS = load_settings(PollHealthSettings)
SERVICES = step_services(SETTINGS)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def remaining() -> float:
        return context.get_remaining_time_in_millis() / 1000

    step = functools.partial(poll_health, remaining_seconds=remaining)
    return run_step("poll_health", holding(step, "PollHealth"), event, SERVICES)
