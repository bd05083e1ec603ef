"""Logger, Tracer and Metrics, created once. Every log line passes the redactor."""

from __future__ import annotations

import logging
from typing import Final

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from .sensitive import redact

SERVICE: Final = "portal-security"
NAMESPACE: Final = "PortalSecurityAutomation"


class RedactingFormatter(LambdaPowertoolsFormatter):
    """The JSON formatter, with every registered secret value masked in the output."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger: Final = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
tracer: Final = Tracer(service=SERVICE)
metrics: Final = Metrics(service=SERVICE, namespace=NAMESPACE)
