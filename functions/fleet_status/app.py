"""Twice a day: the fleet's key ages as metrics (OldestKeyAgeDays, KeysOverMaxAge), and
each portal's key age as a log line (the dashboard's "key age by portal")."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from portal_automation.fleet_status import (
    KEY_AGE_LOG_MESSAGE,
    fleet_status,
    key_age_log_fields,
    key_ages,
)
from portal_automation.handler_support import guarded
from portal_automation.observability import logger, metrics
from portal_automation.settings import FleetStatusSettings, load_settings
from portal_automation.wiring import run_ledger, secrets_store

SETTINGS = load_settings(FleetStatusSettings)
LEDGER = run_ledger(SETTINGS)
SECRETS = secrets_store()


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(step="fleet_status")
    statuses = guarded(fleet_status, SECRETS, LEDGER, SETTINGS.secret_arn_prefix)
    ages = key_ages(statuses, SETTINGS.max_key_age_days)
    for status in statuses:
        logger.info(KEY_AGE_LOG_MESSAGE, extra=key_age_log_fields(status))
    metrics.add_metric("PortalsManaged", MetricUnit.Count, ages.portals)
    metrics.add_metric("KeysOverMaxAge", MetricUnit.Count, len(ages.over))
    if ages.oldest_days is not None:
        metrics.add_metric("OldestKeyAgeDays", MetricUnit.Count, ages.oldest_days)
    report = ages.as_json()
    report["overMaxAge"] = report["overMaxAge"][:100]
    logger.info("fleet key ages", extra=report)
    return report
