"""After the run: put the workflow's audit events on the project's event bus."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.aws.clients import lazy_client
from portal_automation.handler_support import guarded
from portal_automation.observability import logger
from portal_automation.settings import PublishAuditSettings, load_settings
from portal_automation.triggers.events import audit_entries

SETTINGS = load_settings(PublishAuditSettings)
EVENTS = lazy_client("events")
_BATCH = 10  # PutEvents takes at most 10 entries


def publish(summary: dict[str, Any]) -> dict[str, Any]:
    entries = audit_entries(summary, SETTINGS.event_bus_name)
    failed = 0
    for start in range(0, len(entries), _BATCH):
        answer = EVENTS.put_events(Entries=entries[start : start + _BATCH])
        failed += int(answer.get("FailedEntryCount", 0))
    return {"published": len(entries) - failed, "failed": failed}


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(step="publish_audit", run_id=event.get("runId"))
    result = guarded(publish, event)
    logger.info("audit events published", extra=result)
    return result
