"""Per portal: settle what a failed branch left behind and report it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.workflow.failure import record_failure
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState

SERVICES = Services()


@workflow_step("record_failure", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    return record_failure(state, services)
