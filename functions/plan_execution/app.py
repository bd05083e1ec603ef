"""First state: validate the execution input, store the run and its portals' manifest."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import guarded
from portal_automation.observability import logger
from portal_automation.settings import PlanExecutionSettings, load_settings
from portal_automation.wiring import run_ledger, secrets_store, work_store
from portal_automation.workflow.plan import Planner, plan_execution

SETTINGS = load_settings(PlanExecutionSettings)
PLANNER = Planner(SETTINGS, secrets_store(), run_ledger(SETTINGS), work_store(SETTINGS))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    execution_id = str(event.get("executionId", "unknown"))
    logger.append_keys(step="plan", execution_id=execution_id)
    plan = guarded(plan_execution, event.get("input"), execution_id, PLANNER)
    plan["maxConcurrency"] = SETTINGS.max_concurrency
    logger.info("planned", extra={"action": plan["action"], "portals": plan["portals"]})
    return plan
