"""Per portal: settle what a failed branch left behind and report it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.handler_support import run_step
from portal_automation.observability import logger, metrics
from portal_automation.settings import RecordFailureSettings, load_settings
from portal_automation.wiring import step_services
from portal_automation.workflow.failure import record_failure

SETTINGS = load_settings(RecordFailureSettings)
SERVICES = step_services(SETTINGS)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_step("record_failure", record_failure, event, SERVICES)
    # The error name is the class of a named error or a States.* error: a small set,
    # so it can be a dimension (the dashboard's "failures by error").
    metrics.add_dimension(name="action", value=str(report.get("action")))
    metrics.add_dimension(name="error", value=str((report.get("error") or {}).get("name")))
    metrics.add_metric("PortalFailures", MetricUnit.Count, 1)
    return report
