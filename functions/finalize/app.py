"""Per portal: promote the verified key, release the lock, and report."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger, metrics
from portal_automation.settings import FinalizeSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.finalize import finalize

SETTINGS = load_settings(FinalizeSettings)
SERVICES = step_services(SETTINGS)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_step("finalize", finalize, event, SERVICES)
    metrics.add_dimension(name="action", value=str(report.get("action")))
    timings = report.get("timings", {})
    if "restartSeconds" in timings:
        metrics.add_metric("RestartSeconds", MetricUnit.Seconds, timings["restartSeconds"])
    if "totalSeconds" in timings:
        metrics.add_metric("PortalRunSeconds", MetricUnit.Seconds, timings["totalSeconds"])
    metrics.add_metric("HealthPolls", MetricUnit.Count, report.get("healthPolls", 0))
    return report
