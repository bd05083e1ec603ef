"""After the Map: one report per run, from the ledger, for the notification and alarms."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, metrics
from portal_automation.settings import SummarizeSettings, load_settings
from portal_automation.wiring import run_ledger, work_store
from portal_automation.workflow.summary import summarize

SETTINGS = load_settings(SummarizeSettings)
LEDGER = run_ledger(SETTINGS)
WORK = work_store(SETTINGS)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run_id = str(event.get("runId"))
    logger.append_keys(step="summarize", run_id=run_id)
    report = guarded(summarize, run_id, LEDGER, WORK)
    metrics.add_dimension(name="action", value=str(report["action"]))
    metrics.add_dimension(name="outcome", value=str(report["outcome"]))
    metrics.add_metric("Runs", MetricUnit.Count, 1)
    metrics.add_metric("PortalsSucceeded", MetricUnit.Count, report["total"] - report["failed"])
    metrics.add_metric("PortalsFailed", MetricUnit.Count, report["failed"])
    if "runSeconds" in report:
        metrics.add_metric("RunSeconds", MetricUnit.Seconds, report["runSeconds"])
    logger.info("run finished", extra={"outcome": report["outcome"], "counts": report["counts"]})
    return report
