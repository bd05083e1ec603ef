"""Per portal: change the portal (rotate the key or post the merged config), once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState

SERVICES = Services()


@workflow_step("apply_change", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    return apply_change(state, services)
