"""Resource policies moto stores but does not evaluate as AWS does: S3 buckets, event buses."""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import EventsBackend
from moto.iam.access_control import PermissionResult
from moto.s3.models import FakeBucket

from portal_local.aws.access import current, evaluate, request_context, statements_of
from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround


def _caller(endpoint: Endpoint) -> tuple[str, bool]:
    """(``aws:PrincipalArn``, ``aws:SecureTransport``) of the request being served."""
    context = current()
    principal = context.principal if context else endpoint.principals.operator
    return principal.arn, context.secure_transport if context else True


def bucket_policy_conditions_deny(patches: Patches, endpoint: Endpoint) -> None:
    """moto evaluates a bucket policy on object requests without any request context, so
    every statement with a ``Condition`` denies (the usual ``DenyPlainHttp`` on
    ``aws:SecureTransport: false`` denies every request; even a conditional Allow does).
    AWS evaluates the conditions against the request (S3 user guide, "Bucket policy
    examples"; IAM "Policy evaluation logic": an explicit Deny in the bucket policy
    wins over any identity policy). Patched: the whole policy is evaluated
    (:func:`access.evaluate`) with the caller's ``aws:PrincipalArn`` (a function's role,
    the operator...) and ``aws:SecureTransport`` (:mod:`portal_local.aws.access`); a HEAD
    is ``s3:GetObject``, as on AWS."""

    def get_permission(bucket: Any, action: str, resource: str) -> Any:
        if bucket.policy is None:
            return PermissionResult.NEUTRAL
        principal, secure = _caller(endpoint)
        action = "s3:GetObject" if action == "s3:HeadObject" else action
        statements = statements_of(bucket.policy.decode())
        verdict = evaluate(statements, action, resource, request_context(principal, secure))
        return {"Deny": PermissionResult.DENIED, "Allow": PermissionResult.PERMITTED}.get(
            verdict, PermissionResult.NEUTRAL
        )

    patches.set(FakeBucket, "get_permission", get_permission)


def event_bus_policy_not_enforced(patches: Patches, endpoint: Endpoint) -> None:
    """moto stores an event bus's resource policy but never evaluates it: ``PutEvents``
    puts any event. AWS evaluates it for each entry (EventBridge user guide,
    "Permissions for event buses" and "Using IAM policy conditions": ``events:source``,
    ``events:detail-type``, ``aws:PrincipalArn``); an explicit Deny refuses the request
    with ``AccessDeniedException``. Patched: each entry's bus policy is evaluated with the
    caller's principal and the entry's source and detail type."""
    original: Any = EventsBackend.put_events

    def put_events(backend: Any, events: list[dict[str, Any]]) -> Any:
        principal, secure = _caller(endpoint)
        for entry in events:
            name = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
            bus = backend.event_buses.get(name)
            if bus is None or not bus.policy:
                continue
            context = request_context(
                principal,
                secure,
                **{
                    "events:source": entry.get("Source"),
                    "events:detail-type": entry.get("DetailType"),
                },
            )
            if evaluate(statements_of(bus.policy), "events:PutEvents", bus.arn, context) == "Deny":
                raise JsonRESTError(
                    "AccessDeniedException",
                    f"User: {principal} is not authorized to perform: events:PutEvents on "
                    f"resource: {bus.arn} with an explicit deny in a resource-based policy",
                )
        return original(backend, events)

    patches.set(EventsBackend, "put_events", put_events)


WORKAROUNDS: tuple[Workaround, ...] = (
    bucket_policy_conditions_deny,
    event_bus_policy_not_enforced,
)
