"""EventBridge: an event a rule sends to a Lambda function."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

from moto.events import models as events_models
from moto.events.utils import EventTemplateParser

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround

EVENTS_PRINCIPAL = "events.amazonaws.com"


def _allows(policy_text: str, rule_arn: str) -> bool:
    """Whether a function's resource policy lets EventBridge invoke it for ``rule_arn``."""
    for statement in json.loads(policy_text or "{}").get("Statement", []):
        principal = statement.get("Principal") or {}
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if statement.get("Effect") != "Allow" or EVENTS_PRINCIPAL not in str(service):
            continue
        source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
        if source in (None, rule_arn):
            return True
    return False


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
                threading.Thread(
                    target=_deliver, args=(endpoint, rule.arn, target["Arn"], payload), daemon=True
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


def _deliver(endpoint: Endpoint, rule_arn: str, function_arn: str, payload: Any) -> None:
    lam = endpoint.client("lambda")
    try:
        policy = lam.get_policy(FunctionName=function_arn)["Policy"]
    except Exception:  # noqa: BLE001 - no policy: EventBridge may not invoke it
        return
    if _allows(policy, rule_arn):
        body = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        lam.invoke(FunctionName=function_arn, InvocationType="Event", Payload=body.encode())


WORKAROUNDS: tuple[Workaround, ...] = (put_events_to_a_lambda_target_is_a_500,)
