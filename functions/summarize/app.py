"""After the Map: one report per execution, for the notification and the alarms."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, metrics
from portal_automation.workflow.summary import summarize


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = event.get("run") or {}
    portals = event.get("portals") or []
    logger.append_keys(step="summarize", run_id=run.get("runId"))
    report = guarded(summarize, run, portals)
    metrics.add_dimension(name="action", value=str(report["action"]))
    metrics.add_metric("PortalsSucceeded", MetricUnit.Count, len(portals) - report["failed"])
    metrics.add_metric("PortalsFailed", MetricUnit.Count, report["failed"])
    logger.info("run finished", extra={"outcome": report["outcome"], "counts": report["counts"]})
    return report
