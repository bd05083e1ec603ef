"""After the run: put the workflow's audit events on the project's event bus."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.aws.clients import lazy_client
from portal_automation.handler_support import guarded
from portal_automation.observability import logger
from portal_automation.settings import PublishAuditSettings, load_settings
from portal_automation.wiring import run_ledger
from portal_automation.workflow.audit import publish_audit

SETTINGS = load_settings(PublishAuditSettings)
LEDGER = run_ledger(SETTINGS)
EVENTS = lazy_client("events")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(step="publish_audit", run_id=event.get("runId"))
    result = guarded(publish_audit, event, LEDGER, EVENTS, SETTINGS.event_bus_name)
    logger.info("audit events published", extra=result)
    return result
