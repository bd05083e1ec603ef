"""Per portal: promote the verified key, release the lock, and report."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import workflow_step
from portal_automation.observability import metrics
from portal_automation.workflow.finalize import finalize
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState

SERVICES = Services()


@metrics.log_metrics
@workflow_step("finalize", SERVICES)
def lambda_handler(state: PortalState, services: Services, context: LambdaContext) -> Any:
    report = finalize(state, services)
    metrics.add_dimension(name="action", value=state.item.action)
    timings = report.get("timings", {})
    if "restartSeconds" in timings:
        metrics.add_metric("RestartSeconds", MetricUnit.Seconds, timings["restartSeconds"])
    if "totalSeconds" in timings:
        metrics.add_metric("PortalRunSeconds", MetricUnit.Seconds, timings["totalSeconds"])
    metrics.add_metric("HealthPolls", MetricUnit.Count, report.get("healthPolls", 0))
    return report
