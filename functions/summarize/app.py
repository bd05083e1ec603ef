"""After the Map: clean up what a branch left without a result, then one report per run,
from the ledger, for the notification and alarms. Second entry: the run's execution
ended (an EventBridge status-change event), and what it left is cleaned up."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, metrics
from portal_automation.settings import SummarizeSettings, load_settings
from portal_automation.wiring import executions, step_services
from portal_automation.workflow.cleanup import CHILD_ENDED, clean_up_run, on_execution_ended
from portal_automation.workflow.summary import summarize

SETTINGS = load_settings(SummarizeSettings)
SERVICES = step_services(SETTINGS)
EXECUTIONS = executions(SETTINGS)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "detail-type" in event:  # from EventBridge: the run's execution has ended
        logger.append_keys(step="run-ended", event_id=str(event.get("id")))
        return guarded(on_execution_ended, event, SERVICES, EXECUTIONS)
    run_id = str(event.get("runId"))
    logger.append_keys(step="summarize", run_id=run_id)
    guarded(lambda: clean_up_run(run_id, SERVICES, reason=CHILD_ENDED))
    report = guarded(summarize, run_id, SERVICES.ledger, SERVICES.work)
    metrics.add_dimension(name="action", value=str(report["action"]))
    metrics.add_dimension(name="outcome", value=str(report["outcome"]))
    metrics.add_metric("Runs", MetricUnit.Count, 1)
    metrics.add_metric("PortalsSucceeded", MetricUnit.Count, report["total"] - report["failed"])
    metrics.add_metric("PortalsFailed", MetricUnit.Count, report["failed"])
    if "runSeconds" in report:
        metrics.add_metric("RunSeconds", MetricUnit.Seconds, report["runSeconds"])
    logger.info("run finished", extra={"outcome": report["outcome"], "counts": report["counts"]})
    return report
