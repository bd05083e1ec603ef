"""Per portal: prove the change took effect after the restart."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.verify import verify

SERVICES = Services()


@workflow_step("verify", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    return verify(state, services)
