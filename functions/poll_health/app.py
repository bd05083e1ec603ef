"""Per portal: watch the health check for one window while the portal restarts."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.workflow.restart_wait import poll_health
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState

SERVICES = Services()


@workflow_step("poll_health", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    return poll_health(
        state, services, remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000
    )
