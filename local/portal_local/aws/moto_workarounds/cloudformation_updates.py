"""CloudFormation's UpdateStack (what changes, in which order, and what a change does),
and DeleteStack's teardown of what a redeploy leaves.

A redeploy reaches the running system only through the resources CloudFormation updates:
an ``AWS::Lambda::Version`` is published when its resource is new (SAM names it by a hash
of what it hashes, so an unchanged hash publishes nothing), after the function it
references has been updated; a state machine version, when the state machine's revision
(its definition, which names function versions) changed. The local endpoint has to get
that right for a test to see what a redeploy really does (issue 19, FAULTS row 57).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.iam import models as iam_models

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround
from portal_local.aws.moto_workarounds.cloudformation import parameter_refusal, rules_refusal

_PSEUDO = "AWS::"


def _references(node: Any) -> Iterator[str]:
    """The logical ids a resource's JSON names: Ref, Fn::GetAtt, ${...} in Fn::Sub."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                target = value if isinstance(value, list) else str(value).split(".", 1)
                yield str(target[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                variables = value[1] if isinstance(value, list) else {}
                for name in _sub_names(str(text)):
                    if name not in variables:
                        yield name.split(".", 1)[0]
                yield from _references(variables)
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _sub_names(text: str) -> Iterator[str]:
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            return
        name = text[start + 2 : end]
        if not name.startswith("!"):
            yield name
        start = text.find("${", end)


def dependency_order(resources: Mapping[str, Any]) -> list[str]:
    """Logical ids, each after every resource of ``resources`` it references or
    ``DependsOn``."""
    ordered: list[str] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name not in resources:
            return
        if name in path:
            raise ValidationError(message=f"Circular dependency between resources: {path}")
        body = resources[name]
        depends = body.get("DependsOn") or []
        for needed in [*([depends] if isinstance(depends, str) else depends), *_references(body)]:
            if not needed.startswith(_PSEUDO):
                place(needed, (*path, name))
        placed.add(name)
        ordered.append(name)

    for name in resources:
        place(name, ())
    return ordered


def _resolved(resources: Any, body: Mapping[str, Any]) -> Any:
    """A resource's properties with every intrinsic resolved against the stack, now."""
    properties = cfn_parsing.clean_json(body.get("Properties") or {}, resources)
    return json.loads(json.dumps(properties, default=str))


def stack_update_out_of_dependency_order(patches: Patches, endpoint: Endpoint) -> None:
    """moto's ``UpdateStack`` creates the resources a template adds before it updates the
    ones the template changes, so a new ``AWS::Lambda::Version`` publishes its function
    before the function's update (the version keeps the old layer and environment); it
    updates a resource only when its own text changed, not when a value it references
    did (a state machine version whose ``StateMachineRevisionId`` changed is left as it
    was); and it deletes a removed resource whatever its ``DeletionPolicy``.
    CloudFormation follows the references: each resource after those it names, created
    when new, updated (or replaced, for the immutable types) when its properties resolve
    to other values than before, and a removed one is deleted at the end unless retained.
    Patched: that, on moto's own resource map and resource types (an update a type does
    not support fails the stack, ``UPDATE_FAILED`` with the reason; a failed update is
    not rolled back locally)."""

    def update(resources: Any, template: dict[str, Any], parameters: Any = None) -> None:
        old = dict(resources._resource_json_map)
        before = {
            name: _resolved(resources, body)
            for name, body in old.items()
            if resources._parsed_resources.get(name) is not None
        }
        resources._template = template
        if parameters:
            resources.input_parameters = parameters
        resources.load_mapping()
        resources.load_parameters()
        resources.load_conditions()
        resources._resource_json_map = template["Resources"]
        stack = _stack_of(resources)
        for name in dependency_order(template["Resources"]):
            body = template["Resources"][name]
            condition = body.get("Condition")
            if condition and not resources.lazy_condition_map[condition]:
                continue
            if name not in before:
                _ = resources[name]  # created (moto's resource map creates on first use)
                continue
            unchanged = old[name].get("Type") == body.get("Type")
            if unchanged and _resolved(resources, body) == before[name]:
                continue
            try:
                resources._parsed_resources[name] = _updated(resources, name, body)
            except Exception as exc:
                _event(stack, name, body, "UPDATE_FAILED", f"{type(exc).__name__}: {exc}")
                raise
            _event(stack, name, body, "UPDATE_COMPLETE", None)
        for name, body in old.items():
            if name in template["Resources"] or body.get("DeletionPolicy") == "Retain":
                continue
            parsed = resources._parsed_resources.pop(name, None)
            if parsed is not None:
                resources._delete_resource(parsed, body)

    original_stack_update: Any = cfn_models.Stack.update

    def stack_update(stack: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original_stack_update(stack, *args, **kwargs)
        except Exception:  # noqa: BLE001 - recorded in the stack's status and events
            reason = "The local endpoint does not roll an update back: see the UPDATE_FAILED event"
            stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=reason)
            stack.status = "UPDATE_ROLLBACK_FAILED"

    patches.set(cfn_parsing.ResourceMap, "update", update)
    patches.set(cfn_models.Stack, "update", stack_update)


def _updated(resources: Any, name: str, body: Mapping[str, Any]) -> Any:
    updated = cfn_parsing.parse_and_update_resource(
        name,
        dict(body),
        resources,
        account_id=resources._account_id,
        region_name=resources._region_name,
    )
    if updated is None:
        raise ValidationError(message=f"{body.get('Type')} cannot be updated locally")
    return updated


def _stack_of(resources: Any) -> Any:
    backend = cfn_models.cloudformation_backends[resources._account_id][resources._region_name]
    return backend.stacks.get(resources.stack_id)


def _event(stack: Any, name: str, body: Mapping[str, Any], status: str, reason: str | None) -> None:
    if stack is None:
        return
    physical = getattr(stack.resource_map._parsed_resources.get(name), "physical_resource_id", "")
    stack.events.append(
        cfn_models.Event(
            stack.stack_id,
            stack.name,
            name,
            str(physical or ""),
            str(body.get("Type")),
            status,
            reason,
            None,
        )
    )


def update_parameters_not_validated(patches: Patches, endpoint: Endpoint) -> None:
    """moto's ``UpdateStack`` accepts any parameter value, as its ``CreateStack`` does;
    AWS refuses the update (``ValidationError``) before changing anything. Patched: the
    checks of ``CreateStack`` (:func:`~.cloudformation.parameter_refusal`,
    :func:`~.cloudformation.rules_refusal`) on the values the update resolves to."""
    original: Any = cfn_models.CloudFormationBackend.update_stack

    def update_stack(
        backend: Any, *, name: str, template: str, role_arn: Any, parameters: Any, tags: Any
    ) -> Any:
        document = cfn_models.Stack.parse_template(template)
        values = backend._resolve_update_parameters(
            instance=backend.get_stack(name), incoming_params=parameters
        )
        refusal = parameter_refusal(document, values) or rules_refusal(document, values)
        if refusal:
            raise ValidationError(name, message=refusal)
        return original(
            backend,
            name=name,
            template=template,
            role_arn=role_arn,
            parameters=parameters,
            tags=tags,
        )

    patches.set(cfn_models.CloudFormationBackend, "update_stack", update_stack)


def previous_value_of_a_default_is_a_500(patches: Patches, endpoint: Endpoint) -> None:
    """``UpdateStack`` with ``UsePreviousValue`` for a parameter the stack was created
    with at its default (as ``sam deploy`` asks for every parameter not overridden) fails
    in moto with a ``KeyError`` (HTTP 500): it keeps only the values given. AWS uses the
    previous value, the default. Patched: such a parameter is left to the template's
    default (the same value unless the new template changes the default)."""
    original: Any = cfn_models.CloudFormationBackend._resolve_update_parameters

    def resolve(backend: Any, instance: Any, incoming_params: list[dict[str, Any]]) -> Any:
        kept = [
            p
            for p in incoming_params
            if not p.get("UsePreviousValue") or p["ParameterKey"] in instance.parameters
        ]
        return original(backend, instance=instance, incoming_params=kept)

    patches.set(cfn_models.CloudFormationBackend, "_resolve_update_parameters", resolve)


def managed_policy_update_dropped(patches: Patches, endpoint: Endpoint) -> None:
    """moto cannot update an ``AWS::IAM::ManagedPolicy`` of a stack: ``UpdateStack``
    drops it from the stack (its document stays the old one). CloudFormation makes the new
    document the policy's default version (deleting the oldest other version at IAM's
    five) and attaches it to the roles the template now names, detaching the others.
    Patched: so."""

    @classmethod  # type: ignore[misc]
    def update(  # noqa: PLR0917 - moto's signature
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        props = cloudformation_json["Properties"]
        backend = original_resource.backend
        arn = original_resource.arn
        others = [v for v in original_resource.versions if not v.is_default]
        if len(original_resource.versions) >= 5 and others:
            backend.delete_policy_version(arn, others[0].version_id)
        backend.create_policy_version(arn, json.dumps(props["PolicyDocument"]), True)
        wanted = set(props.get("Roles") or [])
        for role in backend.roles.values():
            attached = arn in role.managed_policies
            if role.name in wanted and not attached:
                backend.attach_role_policy(arn, role.name)
            elif attached and role.name not in wanted:
                backend.detach_role_policy(arn, role.name)
        return original_resource

    patches.set(iam_models.ManagedPolicy, "update_from_cloudformation_json", update)


def role_with_managed_policies_not_deleted(patches: Patches, endpoint: Endpoint) -> None:
    """Deleting a stack whose role has managed policies attached (SAM's
    ``ManagedPolicyArns``: ``AWSLambdaBasicExecutionRole``; an ``AWS::IAM::ManagedPolicy``
    naming the role in ``Roles``) fails in moto: its role deletion removes the inline
    policies only, IAM answers ``DeleteConflict`` and ``DeleteStack`` fails with it.
    CloudFormation detaches the role's managed policies before deleting it. Patched: so."""
    original: Any = iam_models.Role.delete_from_cloudformation_json

    @classmethod  # type: ignore[misc]
    def delete(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any) -> None:
        account_id = args[0]
        for backend in iam_models.iam_backends[account_id].values():
            for role in list(backend.roles.values()):
                if role.name == resource_name:
                    for arn in list(role.managed_policies):
                        backend.detach_role_policy(arn, role.name)
        original.__func__(cls, resource_name, cloudformation_json, *args)

    patches.set(iam_models.Role, "delete_from_cloudformation_json", delete)


WORKAROUNDS: tuple[Workaround, ...] = (
    stack_update_out_of_dependency_order,
    previous_value_of_a_default_is_a_500,
    update_parameters_not_validated,
    managed_policy_update_dropped,
    role_with_managed_policies_not_deleted,
)
