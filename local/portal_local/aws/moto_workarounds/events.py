"""EventBridge: an event a rule sends to a Lambda function.

:func:`invoke_lambda_target` is the one place that models it (for ``PutEvents`` here, for
Step Functions' status changes in :mod:`.status_events`): EventBridge invokes a Lambda
target asynchronously, and only when the function's resource policy lets
``events.amazonaws.com`` invoke it for that rule (docs/AWS_FACTS.md 6).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any, Final

from moto.events import models as events_models
from moto.events.utils import EventTemplateParser

from portal_local.aws.access import evaluate, statements_of
from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround

EVENTS_PRINCIPAL: Final = "events.amazonaws.com"


def invoke_lambda_target(endpoint: Endpoint, rule_arn: str, target: str, payload: str) -> bool:
    """EventBridge's delivery of ``payload`` to the Lambda ``target`` of ``rule_arn``: an
    asynchronous invocation, made only when the function's resource policy allows it.
    Whether it was made."""
    lam = endpoint.client("lambda")
    try:
        policy = lam.get_policy(FunctionName=target)["Policy"]
    except lam.exceptions.ResourceNotFoundException:
        return False  # no resource policy: EventBridge may not invoke the function
    context = {
        "aws:PrincipalArn": EVENTS_PRINCIPAL,
        "aws:SourceArn": rule_arn,
        "AWS:SourceArn": rule_arn,
    }
    # moto writes a permission added on an alias with the function's unqualified ARN
    # as its Resource (AWS: the alias's ARN), and shares it between qualifiers.
    function = ":".join(target.split(":")[:7])
    if evaluate(statements_of(policy), "lambda:InvokeFunction", function, context) != "Allow":
        return False
    lam.invoke(FunctionName=target, InvocationType="Event", Payload=payload.encode())
    return True


def put_events_to_a_lambda_target_is_a_500(patches: Patches, endpoint: Endpoint) -> None:
    """``PutEvents`` with an event a rule matches whose target is a Lambda function makes
    moto raise ``NotImplementedError`` (HTTP 500): it delivers to logs, SQS, archives
    and buses only. AWS accepts the event and invokes the function asynchronously
    (``Event``), when the function's resource policy lets ``events.amazonaws.com``
    invoke it for that rule. Patched: so, on a thread of its own (the event's input
    transformer applied, as moto does for its own targets). Not modelled: delivery
    retries and the target's dead-letter queue."""
    original: Any = events_models.Rule.send_to_targets

    def send_to_targets(rule: Any, event: Any, transform_input: bool = True) -> None:
        lambdas = [t for t in rule.targets if ":lambda:" in str(t.get("Arn"))]
        others = [t for t in rule.targets if t not in lambdas]
        if lambdas and rule.event_pattern.matches_event(event):
            for target in lambdas:
                transformer = target.get("InputTransformer") or {}
                payload = (
                    EventTemplateParser.parse(
                        input_template=str(transformer.get("InputTemplate")),
                        input_paths_map=transformer.get("InputPathsMap", {}),
                        event=event,
                    )
                    if transformer and transform_input
                    else _as_delivered(event)
                )
                body = payload if isinstance(payload, str) else json.dumps(payload, default=str)
                threading.Thread(
                    target=invoke_lambda_target,
                    args=(endpoint, rule.arn, target["Arn"], body),
                    daemon=True,
                ).start()
        if others:
            saved = rule.targets
            rule.targets = others
            try:
                original(rule, event, transform_input)
            finally:
                rule.targets = saved

    patches.set(events_models.Rule, "send_to_targets", send_to_targets)


def _as_delivered(event: Any) -> dict[str, Any]:
    """moto's event as EventBridge delivers it: its time as ISO 8601 text, without moto's
    own ingestion time."""
    delivered = {k: v for k, v in dict(event).items() if k != "ingestion-time"}
    if isinstance(delivered.get("time"), int | float):
        when = dt.datetime.fromtimestamp(delivered["time"], tz=dt.UTC)
        delivered["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


WORKAROUNDS: tuple[Workaround, ...] = (put_events_to_a_lambda_target_is_a_500,)
