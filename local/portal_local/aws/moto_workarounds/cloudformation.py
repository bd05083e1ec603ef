"""CloudFormation: stack failure and rollback, conditions, parameters and rules."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround, as_text
from portal_local.aws.moto_workarounds.resource_types import NotDeployed


class _ResourceFailed(Exception):
    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


def stack_failure_is_a_500(patches: Patches, endpoint: Endpoint) -> None:
    """A resource that fails makes moto's ``CreateStack`` answer HTTP 500 (the exception
    escapes), with no resource events and no stack to describe. AWS records
    ``CREATE_FAILED`` with the reason for the resource, rolls back and ends in
    ``ROLLBACK_COMPLETE``. Patched: each resource gets its ``CREATE_COMPLETE`` or
    ``CREATE_FAILED`` event; a failure rolls back to ``ROLLBACK_COMPLETE``, no outputs."""
    original_create: Any = cfn_parsing.parse_and_create_resource
    original_resources: Any = cfn_models.Stack.create_resources

    def create(logical_id: str, resource_json: Any, resources: Any, **kwargs: Any) -> Any:
        backend = cfn_models.cloudformation_backends[kwargs["account_id"]][kwargs["region_name"]]
        stack = backend.stacks.get(resources.stack_id)
        kind = str(resource_json.get("Type"))

        def event(status: str, reason: str | None, physical: str = "") -> None:
            if stack is not None:
                stack.events.append(
                    cfn_models.Event(
                        stack.stack_id, stack.name, logical_id, physical, kind, status, reason, None
                    )
                )

        try:
            resource = original_create(logical_id, resource_json, resources, **kwargs)
        except _ResourceFailed:
            raise
        except Exception as exc:
            event("CREATE_FAILED", f"{type(exc).__name__}: {exc}")
            raise _ResourceFailed(logical_id) from exc
        if resource is not None and not isinstance(resource, NotDeployed):
            event("CREATE_COMPLETE", None, str(getattr(resource, "physical_resource_id", "")))
        return resource

    def create_resources(stack: Any) -> None:
        try:
            original_resources(stack)
        except _ResourceFailed as failed:
            reason = f"The following resource(s) failed to create: [{failed.logical_id}]. "
            stack._add_stack_event("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            with contextlib.suppress(Exception):
                stack.resource_map.delete()
            stack.resource_map._resource_json_map = {}
            stack.output_map._output_json_map = {}
            stack.status = "ROLLBACK_COMPLETE"
            stack._add_stack_event("ROLLBACK_COMPLETE")

    patches.set(cfn_parsing, "parse_and_create_resource", create)
    patches.set(cfn_models.Stack, "create_resources", create_resources)


def conditional_resources_listed_empty(patches: Patches, endpoint: Endpoint) -> None:
    """``ListStackResources`` / ``DescribeStackResources`` list each resource whose
    Condition is false as an empty entry; AWS lists only the resources it created."""

    def stack_resources(stack: Any) -> list[Any]:
        return [r for r in stack.resource_map.values() if r is not None]

    patches.set(cfn_models.Stack, "stack_resources", property(stack_resources))


def _is_list(kind: str) -> bool:
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def list_parameter_defaults_not_split(patches: Patches, endpoint: Endpoint) -> None:
    """A ``CommaDelimitedList`` (or ``List<...>``) parameter left at its ``Default`` stays
    one string in moto (only given values are split), so ``!Select [1, !Ref Colors]``
    picks a character. AWS splits the default too."""
    original: Any = cfn_parsing.ResourceMap.load_parameters

    def load_parameters(resources: Any) -> None:
        original(resources)
        for name, spec in (resources._template.get("Parameters") or {}).items():
            value = resources.resolved_parameters.get(name)
            if isinstance(value, str) and _is_list(str(spec.get("Type", ""))):
                resources.resolved_parameters[name] = value.split(",")
                resources._parsed_resources[name] = resources.resolved_parameters[name]

    patches.set(cfn_parsing.ResourceMap, "load_parameters", load_parameters)


def no_value_kept_in_lists(patches: Patches, endpoint: Endpoint) -> None:
    """``!If [Cond, {...}, !Ref AWS::NoValue]`` inside a list (a policy's Statement list)
    leaves a ``None`` item in moto; AWS removes the item."""
    original: Any = cfn_parsing.clean_json

    def clean_json(value: Any, resources: Any) -> Any:
        result = original(value, resources)
        if isinstance(value, list) and isinstance(result, list):
            return [item for item in result if item is not None]
        return result

    patches.set(cfn_parsing, "clean_json", clean_json)


def parameters_not_validated(patches: Patches, endpoint: Endpoint) -> None:
    """moto accepts any parameter value (unknown names; values outside ``AllowedValues``,
    ``AllowedPattern``, ``MinValue``/``MaxValue``, ``MinLength``/``MaxLength``) and ignores
    the template's ``Rules``. AWS refuses such a ``CreateStack`` with a ``ValidationError``
    before creating anything. Patched: the same checks (:func:`parameter_refusal`,
    :func:`rules_refusal`)."""
    original: Any = cfn_models.CloudFormationBackend.create_stack

    def create_stack(backend: Any, name: str, template: str, parameters: Any, **kwargs: Any) -> Any:
        document = cfn_models.Stack.parse_template(template)
        refusal = parameter_refusal(document, parameters) or rules_refusal(document, parameters)
        if refusal:
            raise ValidationError(name, message=refusal)
        return original(backend, name, template, parameters, **kwargs)

    patches.set(cfn_models.CloudFormationBackend, "create_stack", create_stack)


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as CloudFormation resolves them: given, else default; lists split."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        raw = given.get(name, spec.get("Default"))
        if raw is not None:
            raw = ",".join(map(str, raw)) if isinstance(raw, list) else as_text(raw)
            listed = _is_list(str(spec.get("Type", "String")))
            values[name] = [v.strip() for v in raw.split(",")] if listed else raw
    return values


def parameter_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """Why CloudFormation would refuse these parameter values (None: it would not)."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        return f"Parameters: {unknown} do not exist in the template"
    values = parameter_values(template, given)
    for name, spec in declared.items():
        if name not in values:
            return f"Parameters: [{name}] must have values"
        for value in values[name] if isinstance(values[name], list) else [values[name]]:
            problem = _constraint_problem(spec, value)
            if problem:
                return f"Parameter '{name}' {spec.get('ConstraintDescription') or problem}"
    return None


def _constraint_problem(spec: Mapping[str, Any], value: str) -> str | None:
    allowed, pattern = spec.get("AllowedValues"), spec.get("AllowedPattern")
    if allowed is not None and value not in [as_text(a) for a in allowed]:
        return f"must be one of AllowedValues {allowed}"
    if pattern and not re.fullmatch(str(pattern), value):
        return f"failed to satisfy constraint: Malformed input-Parameter must match {pattern}"
    if not int(spec.get("MinLength", 0)) <= len(value) <= int(spec.get("MaxLength", len(value))):
        return f"must contain {spec.get('MinLength', 0)} to {spec.get('MaxLength')} characters"
    if str(spec.get("Type")) == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if not float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number)):
            return f"must be a number from {spec.get('MinValue')} to {spec.get('MaxValue')}"
    return None


def rules_refusal(template: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """The first failing assertion of the template's ``Rules`` (None: all hold).

    A rule applies when its ``RuleCondition`` holds (or it has none); each of its
    ``Assertions`` must then hold. The functions CloudFormation allows there are
    evaluated: ``Fn::And/Or/Not/Equals/Contains/EachMemberEquals/EachMemberIn/FindInMap``
    and ``Ref``; any other function is refused, as CloudFormation refuses it, except that
    ``Fn::RefAll``/``Fn::ValueOf``/``Fn::ValueOfAll`` (AWS-specific parameter types read
    from the account) are refused as not evaluated locally.
    """
    values = parameter_values(template, given)
    try:
        for name, rule in (template.get("Rules") or {}).items():
            if "RuleCondition" in rule and not _rule(rule["RuleCondition"], values, template):
                continue
            for assertion in rule.get("Assertions") or []:
                if not _rule(assertion["Assert"], values, template):
                    why = assertion.get("AssertDescription", "")
                    return f"Template error: Rule {name} failed: {why}"
    except ValueError as exc:
        return f"Template error: {exc}"
    return None


def _rule(expr: Any, values: Mapping[str, Any], template: Mapping[str, Any]) -> Any:
    if isinstance(expr, list):
        return [_rule(e, values, template) for e in expr]
    if not isinstance(expr, dict) or len(expr) != 1:
        return expr
    key, arg = next(iter(expr.items()))
    ev = functools.partial(_rule, values=values, template=template)

    def texts(e: Any) -> list[str]:
        return [as_text(v) for v in ev(e)]

    operators: dict[str, Callable[[], Any]] = {
        "Ref": lambda: values.get(arg, arg),
        "Fn::Equals": lambda: as_text(ev(arg[0])) == as_text(ev(arg[1])),
        "Fn::Not": lambda: not ev(arg[0]),
        "Fn::And": lambda: all(ev(a) for a in arg),
        "Fn::Or": lambda: any(ev(a) for a in arg),
        "Fn::Contains": lambda: as_text(ev(arg[1])) in texts(arg[0]),
        "Fn::EachMemberEquals": lambda: all(v == as_text(ev(arg[1])) for v in texts(arg[0])),
        "Fn::EachMemberIn": lambda: set(texts(arg[0])) <= set(texts(arg[1])),
        "Fn::FindInMap": lambda: template["Mappings"][ev(arg[0])][ev(arg[1])][ev(arg[2])],
    }
    if key not in operators:
        raise ValueError(f"{key} in Rules is not evaluated by the local endpoint")
    return operators[key]()


WORKAROUNDS: tuple[Workaround, ...] = (
    stack_failure_is_a_500,
    conditional_resources_listed_empty,
    list_parameter_defaults_not_split,
    no_value_kept_in_lists,
    parameters_not_validated,
)
