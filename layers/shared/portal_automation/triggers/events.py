"""EventBridge events → executions, idempotently.

The execution is named after the event id (``event-<id>``), so a duplicate delivery of
the same event, even a concurrent one, attaches to the execution the first started
instead of starting another. What an event asks for:

- ``Rotate Shared Key`` / ``Apply Security Config`` from ``portal-security.requests`` on
  the project's bus: ``detail`` is an execution input without ``action``;
  ``Apply Security Config`` without ``securityConfig`` applies the desired document;
- ``Parameter Store Change`` for the desired-config parameter (someone edited it), and
  the drift schedule's ``Scheduled Event``: the desired document is applied to its
  portals, or only compared (dry run) when the deployment's drift mode is ``report``;
- ``Scheduled Rotation``, which the fleet rotation schedule's rule makes (an input
  transformer over its ``Scheduled Event``): rotate the key of every portal its
  ``detail.select`` selects.

The desired document names its portals (``portals``) or selects them (``select``: tags,
name prefix), as an execution input does, and may say ``proxyHostsMode``. Anyone allowed
``ssm:PutParameter`` on it can write it, so a *real* change from it (the parameter's
change, a drift schedule that re-applies, a request to apply it) starts only when its
version was written by a principal the deployment names (``RequestPrincipalArns``, the
same principals the bus lets put requests); otherwise the start fails with
``UnattributedChange`` (the event goes to the dead-letter queue) and no portal is
touched. A dry run of it (the drift report) changes nothing and needs no such writer
(FAULTS row 49).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError

from ..aws.desired_config import DesiredDocument
from ..domain.principals import is_named
from ..errors import (
    InvalidExecutionInput,
    InvalidTriggerEvent,
    UnattributedChange,
    UnsupportedEvent,
)
from ..ports import ExecutionsPort
from ..workflow.plan import describe

REQUEST_SOURCE: Final = "portal-security.requests"
ROTATE_NOW: Final = "Rotate Shared Key"
APPLY_NOW: Final = "Apply Security Config"
PARAMETER_CHANGED: Final = "Parameter Store Change"
SCHEDULED: Final = "Scheduled Event"
SCHEDULED_ROTATION: Final = "Scheduled Rotation"
_TARGETS: Final = ("portals", "select")

ReadDesired = Callable[[], DesiredDocument]
# Step Functions execution names: at most 80 characters, and none of whitespace,
# < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or control characters. Names made from
# an id of other characters, or too long, end in "." + a digest of the whole id: no two
# ids share a name, and no such name can equal a name made from a plain id (no ".").
_MAX_NAME: Final = 80
_PLAIN: Final = re.compile(r"^[A-Za-z0-9_-]+$")
_DIGEST_CHARS: Final = 32


def parse_event(event: Mapping[str, Any]) -> EventBridgeModel:
    """The EventBridge event, or ``InvalidTriggerEvent`` naming what it lacks."""
    try:
        return EventBridgeModel.model_validate(event)
    except ValidationError as exc:
        raise InvalidTriggerEvent(f"not an EventBridge event: {describe(exc)}") from None


def execution_name(prefix: str, key: str) -> str:
    """A valid execution name for ``key``, the same for the same key, unique per key."""
    name = f"{prefix}-{key}"
    if _PLAIN.fullmatch(key) and len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    room = _MAX_NAME - len(prefix) - 2 - _DIGEST_CHARS
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", key)[:room].strip("-") or "id"
    return f"{prefix}-{readable}.{digest}"


def start_for_event(
    event: Mapping[str, Any],
    *,
    executions: ExecutionsPort,
    desired_document: ReadDesired,
    drift_mode: str,
    timing_defaults: Mapping[str, Any] | None = None,
    request_principals: Sequence[str] = (),
) -> dict[str, Any]:
    event_id = parse_event(event).id
    if not event_id:
        raise InvalidTriggerEvent("event without an id: cannot start an idempotent execution")
    payload = execution_input(event, Desired(desired_document, request_principals), drift_mode)
    if payload is None:
        # The desired document names no portal (a fresh deployment, or one an operator
        # emptied on purpose): nothing to compare or apply, and nothing has failed.
        return {"started": False, "skipped": "the desired-config document names no portals"}
    if timing_defaults:
        payload["timing"] = {**timing_defaults, **payload.get("timing", {})}
    execution = executions.start_or_attach(execution_name("event", event_id), payload)
    return {
        "executionArn": execution.arn,
        # True also when Step Functions answered a duplicate of a running execution as a
        # success (same name and input); the executionArn is what identifies the run.
        "started": execution.started,
        "action": payload["action"],
        "portals": len(payload["portals"]) if "portals" in payload else None,
        "select": payload.get("select"),
    }


class Desired:
    """The desired-config document, and the principals who may write one that applies."""

    def __init__(self, read: ReadDesired, request_principals: Sequence[str]) -> None:
        self._read = read
        self._principals = request_principals

    def document(self, *, applied: bool, allow_empty: bool = False) -> Mapping[str, Any]:
        desired = self._read()
        document = desired.document
        if not isinstance(document, Mapping):
            raise InvalidExecutionInput("the desired-config document must be a JSON object")
        if "securityConfig" not in document:
            raise InvalidExecutionInput("the desired-config document is missing securityConfig")
        if not allow_empty and not _target(document):
            raise InvalidExecutionInput(
                "the desired-config document names no portals (portals) and selects none (select)"
            )
        if applied and _target(document) and not is_named(desired.written_by, self._principals):
            raise UnattributedChange(
                f"the desired-config document (version {desired.version}) was last written by "
                f"{desired.written_by or 'an unknown principal'}, which is not one of the "
                "deployment's RequestPrincipalArns: it is not applied, and no run was "
                "started. A named principal must write it (again) for it to apply"
            )
        return document


def execution_input(
    event: Mapping[str, Any], desired: Desired, drift_mode: str
) -> dict[str, Any] | None:
    """The execution input an event asks for; None when the desired document it applies
    names no portal."""
    kind = event.get("detail-type")
    source = event.get("source")
    detail = event.get("detail") or {}
    if not isinstance(detail, Mapping):
        raise InvalidExecutionInput("event detail must be a JSON object")
    if source == REQUEST_SOURCE and kind == ROTATE_NOW:
        return {**detail, "action": "rotate-shared-key", "source": "eventbridge"}
    if source == REQUEST_SOURCE and kind == APPLY_NOW:
        payload = {**detail, "action": "apply-security-config", "source": "eventbridge"}
        if "securityConfig" not in payload:
            document = desired.document(applied=payload.get("dryRun") is not True)
            payload.update(_desired(document))
            if not any(target in payload for target in _TARGETS):
                payload.update(_target(document))
        return payload
    if source == "aws.events" and kind == SCHEDULED_ROTATION:
        return {
            "action": "rotate-shared-key",
            "select": detail.get("select"),
            "source": "fleet-rotation-schedule",
        }
    if (source == "aws.ssm" and kind == PARAMETER_CHANGED) or (
        source == "aws.events" and kind == SCHEDULED
    ):
        # Editing the document is the request to apply it; the schedule only reports
        # drift unless the deployment says to re-apply.
        dry_run = source == "aws.events" and drift_mode == "report"
        document = desired.document(applied=not dry_run, allow_empty=True)
        if not _target(document):
            return None
        return {
            "action": "apply-security-config",
            **_target(document),
            **_desired(document),
            "dryRun": dry_run,
            "source": "desired-config-change" if source == "aws.ssm" else "drift-schedule",
            **({"timing": document["timing"]} if "timing" in document else {}),
        }
    raise UnsupportedEvent(f"no run is defined for events {source!r} / {kind!r}")


def _desired(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's ``securityConfig``, and its ``proxyHostsMode`` when it has one."""
    found = {"securityConfig": document["securityConfig"]}
    if "proxyHostsMode" in document:
        found["proxyHostsMode"] = document["proxyHostsMode"]
    return found


def _target(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document's ``portals`` or ``select`` (both, and planning refuses the run)."""
    return {key: document[key] for key in _TARGETS if document.get(key)}
