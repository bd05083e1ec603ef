"""Per portal: credentials, token, version, current state and the plan."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState

SERVICES = Services()


@workflow_step("preflight", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    return preflight(state, services)
