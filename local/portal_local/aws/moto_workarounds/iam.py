"""IAM: each function call evaluated against its role; roles as CloudFormation makes them."""

from __future__ import annotations

from typing import Any

from moto.iam.models import Role, iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.utilities.utils import get_partition

from portal_local.aws.access import (
    Refusal,
    RequestContext,
    evaluate,
    request_context,
    statements_of,
)
from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround, as_json


def function_role_policies_not_enforced(patches: Patches, endpoint: Endpoint) -> None:
    """moto authorizes every request (unless ``INITIAL_NO_AUTH_ACTION_COUNT`` is set, and
    then only for access keys its own IAM and STS issued): a function's call runs
    whatever its role allows. AWS evaluates the caller's identity policies and, for
    Secrets Manager, the secret's resource policy (IAM user guide, "Policy evaluation
    logic": an explicit Deny in either refuses; within one account an Allow in either
    suffices; otherwise the implicit deny), and answers ``AccessDeniedException``.
    Patched: each authorization a function's request needs
    (:meth:`access.CallRecorder.authorizations`, KMS use included) is evaluated with
    :func:`access.evaluate` against the role's inline and managed policies as moto's IAM
    holds them, and the secret's policy; a refused request is answered as AWS answers it
    and not run. Not modelled: KMS key policies (the functions' keys are the stack's,
    whose policies delegate to IAM), permission boundaries, SCPs and session policies."""

    def authorize(context: RequestContext, needed: list[tuple[str, str]]) -> Refusal | None:
        principal = context.principal.arn
        try:
            statements = _role_statements(endpoint.account_id, principal)
        except Exception:  # noqa: BLE001 - no such role: nothing allows the call
            statements = []
        request = request_context(principal, context.secure_transport, **context.condition_keys)
        for action, resource in needed:
            identity = evaluate(statements, action, resource, request)
            resource_policy = _secret_policy(endpoint, action, resource)
            on_resource = evaluate(resource_policy, action, resource, request)
            refused = f"User: {principal} is not authorized to perform: {action} on resource: "
            if "Deny" in (identity, on_resource):
                return Refusal(action, resource, f"{refused}{resource} with an explicit deny")
            if "Allow" not in (identity, on_resource):
                return Refusal(
                    action,
                    resource,
                    f"{refused}{resource} because no identity-based policy allows the "
                    f"{action} action",
                )
        return None

    patches.set(endpoint.recorder, "authorize", authorize)


def _role_statements(account_id: str, role_arn: str) -> list[dict[str, Any]]:
    role = iam_backends[account_id]["global"].get_role_by_arn(role_arn)
    documents: list[Any] = list(role.policies.values())
    for policy in role.managed_policies.values():
        documents += [
            v.document for v in policy.versions if v.version_id == policy.default_version_id
        ]
    return [s for document in documents for s in statements_of(document)]


def _secret_policy(endpoint: Endpoint, action: str, resource: str) -> list[dict[str, Any]]:
    if not action.lower().startswith("secretsmanager:"):
        return []
    backend = secretsmanager_backends[endpoint.account_id][endpoint.region]
    secret = backend.secrets.get(resource) if backend._is_valid_identifier(resource) else None
    policy = getattr(secret, "policy", None)  # a replica has none of its own
    return statements_of(policy) if policy else []


def role_policies_mangled(patches: Patches, endpoint: Endpoint) -> None:
    """``AWS::IAM::Role``: moto's CloudFormation drops ``ManagedPolicyArns`` (where SAM puts
    AWSLambdaBasicExecutionRole...) and stores each inline policy as Python's ``repr`` of
    the dict (``GetRolePolicy`` then answers text that is not JSON). AWS attaches the
    managed policies and stores JSON. Patched once the role is made."""
    original: Any = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, /, name: str, cfn: Any, account: str, region: str, **kwargs: Any) -> Any:
        role = original(cls, name, cfn, account, region, **kwargs)
        props = cfn.get("Properties", {})
        for policy in props.get("Policies") or []:
            role.put_policy(policy["PolicyName"], as_json(policy["PolicyDocument"]))
        for arn in props.get("ManagedPolicyArns") or []:
            iam_backends[account][get_partition(region)].attach_role_policy(arn, role.name)
        return role

    patches.set(Role, "create_from_cloudformation_json", classmethod(create))


WORKAROUNDS: tuple[Workaround, ...] = (
    function_role_policies_not_enforced,
    role_policies_mangled,
)
