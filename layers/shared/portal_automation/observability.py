"""Logger and Metrics, created once. Every log line passes the redactor.

No tracer: the functions and the state machine run with X-Ray active tracing
(template.yaml), which records every invocation and AWS call segment without an SDK in
the code. The X-Ray SDK that Powertools' Tracer needs reaches end of support on
2027-02-25 and would make up most of the layer and of each cold import.
"""

from __future__ import annotations

import logging
from typing import Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from .sensitive import redact

SERVICE: Final = "portal-security"
NAMESPACE: Final = "PortalSecurityAutomation"


class RedactingFormatter(LambdaPowertoolsFormatter):
    """The JSON formatter, with every registered secret value masked in the output."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger: Final = Logger(service=SERVICE, logger_formatter=RedactingFormatter())
metrics: Final = Metrics(service=SERVICE, namespace=NAMESPACE)
