"""Deploy a SAM ``template.yaml`` into a :class:`~portal_local.aws.moto_endpoint.LocalAwsEndpoint`.

It does what CloudFormation with the SAM transform would do for the resource types a
project like this one uses, by calling the endpoint's APIs with boto3 (so the result is
the same set of resources a user would find with the AWS CLI):

* template: YAML with CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt
  a.b``...) or JSON; ``Parameters`` (defaults, overrides, ``AllowedValues``,
  ``AllowedPattern``, ``AWS::SSM::Parameter::Value<...>``), ``Mappings``, ``Conditions``
  (``Fn::Equals/Not/And/Or``, ``Condition``), resource and output ``Condition``,
  ``Globals`` (``Function``, ``StateMachine``, ``LayerVersion``, ``SimpleTable``);
* intrinsics: ``Ref`` (parameters, pseudo parameters, resources with CloudFormation's
  per-type meaning), ``Fn::GetAtt``, ``Fn::Sub`` (both forms), ``Fn::Join``,
  ``Fn::Select``, ``Fn::Split``, ``Fn::If``, ``Fn::FindInMap``, ``Fn::Base64``,
  ``Fn::GetAZs``, ``Fn::ToJsonString``, ``Fn::Length``, ``AWS::NoValue``;
* resources are created in dependency order (``Ref``/``GetAtt``/``Sub``/``DependsOn``);
* ``AWS::Serverless::Function`` (``CodeUri`` directory or ``InlineCode``; a role
  ``<LogicalId>Role`` is created unless ``Role`` is given; ``Events`` of type ``SNS``,
  ``SQS``, ``EventBridgeRule``/``CloudWatchEvent``, ``Schedule``), ``AWS::Lambda::Function``
  (``Code.ZipFile`` only), ``AWS::Serverless::LayerVersion`` / ``AWS::Lambda::LayerVersion``
  (``ContentUri`` directory), ``AWS::Serverless::StateMachine`` /
  ``AWS::StepFunctions::StateMachine`` (``DefinitionUri``/``Definition``/
  ``DefinitionString``; ``DefinitionSubstitutions`` are applied here, moto does not),
  ``AWS::SNS::Topic`` (+ ``Subscription``), ``AWS::SNS::Subscription``,
  ``AWS::SQS::Queue``, ``AWS::DynamoDB::Table``, ``AWS::Serverless::SimpleTable``,
  ``AWS::SSM::Parameter``, ``AWS::KMS::Key``, ``AWS::KMS::Alias``,
  ``AWS::SecretsManager::Secret``, ``AWS::Events::EventBus``, ``AWS::Events::Rule``
  (stored; moto never fires them), ``AWS::Lambda::Permission``, ``AWS::IAM::Role``,
  ``AWS::S3::Bucket`` (encryption, public access block, ownership, versioning,
  lifecycle, tags), ``AWS::S3::BucketPolicy``, ``AWS::SNS::TopicPolicy``,
  ``AWS::SQS::QueuePolicy``, ``AWS::Logs::LogGroup``. A secondary setting moto rejects
  is a note in :attr:`Stack.notes`, not a failure. Every other type (alarms, IAM
  policies, scheduler schedules, rotation schedules...) is skipped and listed in
  :attr:`Stack.skipped`; a ``Ref``/``GetAtt`` to a skipped resource gives a placeholder
  name/ARN. IAM is not enforced locally, so role policies are stored, never evaluated.

Code is not copied: function and layer packages are tiny zips whose manifest points at
the source directory (see :func:`portal_local.aws.lambda_runtime.code_zip`), so the
handlers run from the working tree. Layer ARNs that do not exist in the endpoint (public
layers such as Powertools) are dropped with a note: the local interpreter provides those
packages. This is a create-only deployment into a fresh endpoint (no updates, no
rollback).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError

from portal_local.aws.lambda_runtime import code_zip

if TYPE_CHECKING:
    from portal_local.aws.moto_endpoint import LocalAwsEndpoint

DEFAULT_STACK_NAME = "portal-security"


def _trust(service: str) -> dict[str, Any]:
    """The assume-role policy of a role that ``service`` uses."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }


_LAMBDA_TRUST = _trust("lambda.amazonaws.com")
_STATES_TRUST = _trust("states.amazonaws.com")
_GLOBALS_SECTIONS = {
    "Function": "AWS::Serverless::Function",
    "StateMachine": "AWS::Serverless::StateMachine",
    "LayerVersion": "AWS::Serverless::LayerVersion",
    "SimpleTable": "AWS::Serverless::SimpleTable",
}
_SUB_PATTERN = re.compile(r"\$\{([^}]*)\}")


class DeployError(Exception):
    """The template cannot be deployed (the message names the resource or property)."""


@dataclass
class Stack:
    """What a deployment created."""

    name: str
    region: str
    account_id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    """Logical id -> what CloudFormation's ``Ref`` gives (function name, state machine
    ARN, topic ARN, queue URL, table name, role name...); SAM's generated resources
    (``<Function>Role``...) included."""
    arns: dict[str, str] = field(default_factory=dict)
    """Logical id -> ARN, for every created resource that has one."""
    resource_types: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Logical id -> type, for resources not created (unsupported type)."""
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- template loading -------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader + CloudFormation short-form tags; dates stay strings (``2012-10-17``)."""


_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_short_form)


def load_template(path: Path | str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML with short-form tags, or JSON)."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise DeployError(f"{path}: not a CloudFormation template (no Resources)")
    return data


# -- intrinsic functions ----------------------------------------------------------------


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class _Created:
    ref: Any
    attrs: dict[str, Any] = field(default_factory=dict)
    arn: str | None = None


def _is_intrinsic(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and (next(iter(value)) == "Ref" or str(next(iter(value))).startswith("Fn::"))
    )


class _Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
    ) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.pseudo = dict(pseudo)
        self.created: dict[str, _Created] = {}
        self.conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # conditions

    def condition(self, name: str) -> bool:
        if name in self.conditions:
            return self.conditions[name]
        definitions = self.template.get("Conditions") or {}
        if name not in definitions:
            raise DeployError(f"Condition {name!r} is not defined")
        if name in self._evaluating:
            raise DeployError(f"Condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            value = self._condition_value(definitions[name])
        finally:
            self._evaluating.discard(name)
        self.conditions[name] = value
        return value

    def _condition_value(self, expr: Any) -> bool:
        if isinstance(expr, dict) and len(expr) == 1:
            key, arg = next(iter(expr.items()))
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return _scalar_str(left) == _scalar_str(right)
            if key == "Fn::Not":
                return not self._condition_value(arg[0])
            if key == "Fn::And":
                return all(self._condition_value(a) for a in arg)
            if key == "Fn::Or":
                return any(self._condition_value(a) for a in arg)
        value = self.resolve(expr)
        if isinstance(value, bool):
            return value
        raise DeployError(f"not a condition: {expr!r}")

    # values

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if _is_intrinsic(value):
                key, arg = next(iter(value.items()))
                return self._intrinsic(key, arg)
            out = {}
            for k, v in value.items():
                resolved = self.resolve(v)
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        return value

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self.ref(str(self.resolve(arg)))
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else [self.resolve(a) for a in arg]
            if len(parts) != 2:
                raise DeployError(f"Fn::GetAtt needs [resource, attribute]: {arg!r}")
            return self.get_att(str(parts[0]), str(parts[1]))
        if key == "Fn::Sub":
            if isinstance(arg, list):
                text, variables = arg[0], self.resolve(arg[1] if len(arg) > 1 else {})
            else:
                text, variables = arg, {}
            return self._sub(str(self.resolve(text)), variables)
        if key == "Fn::Join":
            delimiter, items = arg
            items = self.resolve(items)
            if not isinstance(items, list):
                raise DeployError(f"Fn::Join needs a list: {arg!r}")
            return str(delimiter).join(_scalar_str(i) for i in items)
        if key == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            try:
                return items[int(index)]
            except (IndexError, TypeError, ValueError) as exc:
                raise DeployError(f"Fn::Select {index!r} out of {items!r}") from exc
        if key == "Fn::Split":
            delimiter, text = arg
            return str(self.resolve(text)).split(str(delimiter))
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(str(name)) else when_false)
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._condition_value({key: arg})
        if key == "Fn::FindInMap":
            name, top, second = (self.resolve(a) for a in arg[:3])
            try:
                return self.template["Mappings"][name][top][second]
            except (KeyError, TypeError) as exc:
                raise DeployError(f"Fn::FindInMap {name}/{top}/{second} not found") from exc
        if key == "Fn::Base64":
            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if key == "Fn::GetAZs":
            region = self.pseudo["AWS::Region"]
            return [f"{region}a", f"{region}b", f"{region}c"]
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key == "Fn::Length":
            return len(self.resolve(arg))
        raise DeployError(f"{key} is not supported by the local deployment")

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.created:
            return self.created[name].ref
        raise DeployError(f"Ref {name!r}: no such parameter or resource (or not created yet)")

    def get_att(self, name: str, attribute: str) -> Any:
        created = self.created.get(name)
        if created is None:
            raise DeployError(f"Fn::GetAtt {name}.{attribute}: no such resource (or not created)")
        if attribute not in created.attrs:
            raise DeployError(f"Fn::GetAtt {name}.{attribute}: attribute not supported")
        return created.attrs[attribute]

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return _scalar_str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                resource, attribute = expr.split(".", 1)
                return _scalar_str(self.get_att(resource, attribute))
            return _scalar_str(self.ref(expr))

        return _SUB_PATTERN.sub(replace, text)


def _scalar_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar_str(v) for v in value)
    return str(value)


def _references(value: Any) -> Iterator[str]:
    """Logical names a (raw) template fragment refers to."""
    if isinstance(value, dict):
        if _is_intrinsic(value):
            key, arg = next(iter(value.items()))
            if key == "Ref" and isinstance(arg, str):
                yield arg
            elif key == "Fn::GetAtt":
                first = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                if isinstance(first, str):
                    yield first
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                local = set(arg[1]) if isinstance(arg, list) and len(arg) > 1 else set()
                if isinstance(text, str):
                    for expr in _SUB_PATTERN.findall(text):
                        name = expr.split(".", 1)[0]
                        if not expr.startswith("!") and name not in local:
                            yield name
                if isinstance(arg, list) and len(arg) > 1:
                    yield from _references(arg[1])
                return
            yield from _references(arg)
            return
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


# -- helpers ----------------------------------------------------------------------------


def _suffix(stack: str, logical: str) -> str:
    digest = hashlib.sha256(f"{stack}/{logical}".encode()).digest()
    return base64.b32encode(digest).decode().rstrip("=")[:12]


def _generated_name(stack: str, logical: str, max_len: int = 64, prefix: bool = True) -> str:
    suffix = _suffix(stack, logical)
    head = f"{stack}-{logical}" if prefix else logical
    return f"{head[: max_len - len(suffix) - 1]}-{suffix}"


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise DeployError(f"{what}: not an integer: {value!r}") from exc


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _attr_str(value: Any) -> str:
    return _scalar_str(value) if not isinstance(value, dict | list) else json.dumps(value)


def _tags_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": str(k), "Value": _scalar_str(v)} for k, v in tags.items()]
    if isinstance(tags, list):
        return [{"Key": str(t["Key"]), "Value": _scalar_str(t["Value"])} for t in tags]
    return []


def _merge_globals(global_props: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge, lists concatenate (globals first), scalars override."""
    merged: dict[str, Any] = copy.deepcopy(dict(global_props))
    for key, value in props.items():
        current = merged.get(key)
        if (
            isinstance(current, dict)
            and isinstance(value, dict)
            and not _is_intrinsic(current)
            and not _is_intrinsic(value)
        ):
            merged[key] = _merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + value
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _service_of(resource_type: str) -> str:
    parts = resource_type.split("::")
    return parts[1].lower() if len(parts) > 2 else "unknown"


# -- the deployment ---------------------------------------------------------------------


class _Deployment:
    def __init__(
        self,
        endpoint: LocalAwsEndpoint,
        template_path: Path,
        parameters: Mapping[str, str],
        stack_name: str,
    ) -> None:
        self.endpoint = endpoint
        self.template_path = template_path.resolve()
        self.base_dir = self.template_path.parent
        self.template = load_template(self.template_path)
        self.stack = Stack(stack_name, endpoint.region, endpoint.account_id)
        self.region = endpoint.region
        self.account = endpoint.account_id
        self._clients: dict[str, Any] = {}
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{stack_name}/"
                f"{hashlib.sha256(stack_name.encode()).hexdigest()[:8]}-0000-4000-8000-"
                f"{hashlib.sha256(stack_name.encode()).hexdigest()[8:20]}"
            ),
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.resolver = _Resolver(self.template, self._parameters(parameters), pseudo)
        self.stack.parameters = dict(self.resolver.parameters)
        self._aliases: dict[str, str] = {}
        self._resources = self._apply_globals()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.endpoint.client(service)
        return self._clients[service]

    # parameters, globals, order

    def _parameters(self, overrides: Mapping[str, str]) -> dict[str, Any]:
        declared = self.template.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise DeployError(f"Parameters {unknown} do not exist in the template")
        values: dict[str, Any] = {}
        for name, declared_spec in declared.items():
            spec = declared_spec or {}
            if name in overrides:
                raw: Any = overrides[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                raise DeployError(f"Parameter {name} has no Default and no value was given")
            raw = _scalar_str(raw) if not isinstance(raw, list) else ",".join(map(str, raw))
            allowed = spec.get("AllowedValues")
            if allowed is not None and raw not in [_scalar_str(a) for a in allowed]:
                raise DeployError(f"Parameter {name}={raw!r} is not one of {allowed}")
            pattern = spec.get("AllowedPattern")
            if pattern and not re.fullmatch(str(pattern), raw):
                raise DeployError(f"Parameter {name}={raw!r} does not match {pattern}")
            param_type = str(spec.get("Type", "String"))
            if param_type.startswith("AWS::SSM::Parameter::Value<"):
                try:
                    raw = self.client("ssm").get_parameter(Name=raw)["Parameter"]["Value"]
                except Exception as exc:
                    raise DeployError(f"Parameter {name}: SSM parameter {raw!r} not found") from exc
            if param_type == "CommaDelimitedList" or param_type.startswith("List<"):
                values[name] = [item.strip() for item in raw.split(",")] if raw else []
            else:
                values[name] = raw
        return values

    def _apply_globals(self) -> dict[str, dict[str, Any]]:
        globals_ = self.template.get("Globals") or {}
        resources: dict[str, dict[str, Any]] = {}
        for logical, raw_resource in self.template["Resources"].items():
            resource = copy.deepcopy(raw_resource)
            section = next(
                (s for s, t in _GLOBALS_SECTIONS.items() if t == resource.get("Type")), None
            )
            if section and section in globals_:
                resource["Properties"] = _merge_globals(
                    globals_[section] or {}, resource.get("Properties") or {}
                )
            resources[logical] = resource
            props = resource.get("Properties") or {}
            if (
                resource.get("Type")
                in (
                    "AWS::Serverless::Function",
                    "AWS::Serverless::StateMachine",
                )
                and "Role" not in props
            ):
                self._aliases[f"{logical}Role"] = logical
        return resources

    def _order(self, logical_ids: list[str]) -> list[str]:
        known = set(logical_ids)
        deps: dict[str, set[str]] = {}
        for logical in logical_ids:
            resource = self._resources[logical]
            found = {self._aliases.get(n, n) for n in _references(resource.get("Properties"))}
            depends = resource.get("DependsOn") or []
            found.update([depends] if isinstance(depends, str) else depends)
            deps[logical] = {d for d in found if d in known and d != logical}
        ordered: list[str] = []
        done: set[str] = set()
        remaining = list(logical_ids)
        while remaining:
            ready = [r for r in remaining if deps[r] <= done]
            if not ready:
                raise DeployError(f"circular dependency between {sorted(remaining)}")
            for logical in ready:
                ordered.append(logical)
                done.add(logical)
            remaining = [r for r in remaining if r not in done]
        return ordered

    # run

    def run(self) -> Stack:
        for name in self.template.get("Conditions") or {}:
            self.stack.conditions[name] = self.resolver.condition(name)
        active = [
            logical
            for logical, resource in self._resources.items()
            if not resource.get("Condition") or self.resolver.condition(str(resource["Condition"]))
        ]
        for logical in self._order(active):
            resource = self._resources[logical]
            resource_type = str(resource.get("Type"))
            handler = self._handlers().get(resource_type)
            if handler is None:
                self.stack.skipped[logical] = resource_type
                try:
                    props = self.resolver.resolve(resource.get("Properties") or {})
                except DeployError:
                    props = resource.get("Properties") or {}
                self._register(
                    logical, resource_type, self._placeholder(logical, resource_type, props)
                )
                continue
            props = self.resolver.resolve(resource.get("Properties") or {})
            try:
                created = handler(logical, props)
            except DeployError:
                raise
            except Exception as exc:
                raise DeployError(f"{logical} ({resource_type}): {exc}") from exc
            self._register(logical, resource_type, created)
        for name, output in (self.template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition and not self.resolver.condition(str(condition)):
                continue
            self.stack.outputs[name] = self.resolver.resolve(output.get("Value"))
        return self.stack

    def _register(self, logical: str, resource_type: str, created: _Created) -> None:
        self.resolver.created[logical] = created
        self.stack.physical_ids[logical] = _scalar_str(created.ref)
        self.stack.resource_types[logical] = resource_type
        if created.arn:
            self.stack.arns[logical] = created.arn

    def _placeholder(self, logical: str, resource_type: str, props: Mapping[str, Any]) -> _Created:
        """Ref/GetAtt values for a skipped resource: its name property, or a CFN-like name."""
        name_keys = [k for k in props if k.endswith("Name") and isinstance(props[k], str)]
        name = props[name_keys[0]] if name_keys else _generated_name(self.stack.name, logical)
        service = _service_of(resource_type)
        arn = f"arn:aws:{service}:{self.region}:{self.account}:{logical}/{name}"

        class _AnyAttr(dict[str, Any]):
            def __missing__(self, key: str) -> str:
                return arn if key.endswith("Arn") else f"{name}.{key}"

            def __contains__(self, key: object) -> bool:
                return True

        return _Created(name, _AnyAttr(Arn=arn))

    def _handlers(self) -> dict[str, Callable[[str, dict[str, Any]], _Created]]:
        return {
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Lambda::LayerVersion": self._layer,
            "AWS::Serverless::Function": self._serverless_function,
            "AWS::Lambda::Function": self._lambda_function,
            "AWS::Serverless::StateMachine": self._serverless_state_machine,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::SQS::Queue": self._queue,
            "AWS::DynamoDB::Table": self._table,
            "AWS::Serverless::SimpleTable": self._simple_table,
            "AWS::SSM::Parameter": self._ssm_parameter,
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::Events::EventBus": self._event_bus,
            "AWS::Events::Rule": self._event_rule,
            "AWS::Lambda::Permission": self._lambda_permission,
            "AWS::IAM::Role": self._iam_role,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SNS::TopicPolicy": self._topic_policy,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::Logs::LogGroup": self._log_group,
        }

    def _path(self, value: Any, what: str) -> Path:
        if not isinstance(value, str) or value.startswith("s3://"):
            raise DeployError(f"{what}: only a local directory or file is supported, got {value!r}")
        path = (self.base_dir / value).resolve()
        if not path.exists():
            raise DeployError(f"{what}: {path} does not exist")
        return path

    # Lambda

    def _layer(self, logical: str, props: dict[str, Any]) -> _Created:
        content = props.get("ContentUri", props.get("Content"))
        directory = self._path(content, f"{logical}.ContentUri")
        kwargs: dict[str, Any] = {
            "LayerName": str(props.get("LayerName") or logical),
            "Content": {"ZipFile": code_zip(directory)},
        }
        for key in ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if key in props:
                kwargs[key] = props[key]
        arn = self.client("lambda").publish_layer_version(**kwargs)["LayerVersionArn"]
        return _Created(arn, {"Arn": arn, "LayerVersionArn": arn}, arn)

    def _create_role(self, logical: str, trust: Mapping[str, Any]) -> _Created:
        name = _generated_name(self.stack.name, f"{logical}Role")
        role = self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]
        created = _Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}, role["Arn"])
        self._register(f"{logical}Role", "AWS::IAM::Role", created)
        return created

    def _existing_layers(self, logical: str, layers: list[Any]) -> list[str]:
        """Layer version ARNs that exist in the endpoint; others are dropped with a note."""
        kept = []
        for arn in (str(a) for a in layers):
            parts = arn.split(":")
            exists = False
            if len(parts) == 8 and parts[4] == self.account and parts[5] == "layer":
                try:
                    self.client("lambda").get_layer_version(
                        LayerName=parts[6], VersionNumber=int(parts[7])
                    )
                    exists = True
                except (ClientError, ValueError):  # not found: treated as a foreign layer
                    exists = False
            if exists:
                kept.append(arn)
            else:
                self.stack.notes.append(
                    f"{logical}: layer {arn} is not in the local endpoint; dropped "
                    "(its packages must come from the local interpreter)"
                )
        return kept

    def _serverless_function(self, logical: str, props: dict[str, Any]) -> _Created:
        if "InlineCode" in props:
            directory = self.endpoint.run_dir / "inline" / logical
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "index.py").write_text(str(props["InlineCode"]), encoding="utf-8")
        else:
            directory = self._path(props.get("CodeUri"), f"{logical}.CodeUri")
        runtime = str(props.get("Runtime", ""))
        if not runtime.startswith("python"):
            raise DeployError(f"{logical}: Runtime {runtime!r} is not supported (python only)")
        role = props.get("Role") or self._create_role(logical, _LAMBDA_TRUST).attrs["Arn"]
        name = str(props.get("FunctionName") or _generated_name(self.stack.name, logical))
        created = self._create_function(logical, name, directory, str(role), props)
        for event_name, event in (props.get("Events") or {}).items():
            self._function_event(logical, created, str(event_name), event or {})
        return created

    def _lambda_function(self, logical: str, props: dict[str, Any]) -> _Created:
        code = props.get("Code") or {}
        if "ZipFile" not in code:
            raise DeployError(
                f"{logical}: only Code.ZipFile is supported for AWS::Lambda::Function"
            )
        directory = self.endpoint.run_dir / "inline" / logical
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "index.py").write_text(str(code["ZipFile"]), encoding="utf-8")
        name = str(props.get("FunctionName") or _generated_name(self.stack.name, logical))
        return self._create_function(logical, name, directory, str(props["Role"]), props)

    def _create_function(
        self, logical: str, name: str, directory: Path, role: str, props: Mapping[str, Any]
    ) -> _Created:
        variables = (props.get("Environment") or {}).get("Variables") or {}
        kwargs: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": str(props.get("Runtime")),
            "Role": role,
            "Handler": str(props.get("Handler")),
            "Code": {"ZipFile": code_zip(directory)},
            "Timeout": _int(props.get("Timeout", 3), f"{logical}.Timeout"),
            "MemorySize": _int(props.get("MemorySize", 128), f"{logical}.MemorySize"),
            "Environment": {"Variables": {str(k): _scalar_str(v) for k, v in variables.items()}},
            "Layers": self._existing_layers(logical, list(props.get("Layers") or [])),
        }
        for key in ("Description", "Architectures", "TracingConfig"):
            if key in props:
                kwargs[key] = props[key]
        if props.get("KmsKeyArn"):  # SAM's KmsKeyArn is the Lambda API's KMSKeyArn
            kwargs["KMSKeyArn"] = props["KmsKeyArn"]
        if isinstance(props.get("Tracing"), str):
            kwargs["TracingConfig"] = {"Mode": props["Tracing"]}
        if props.get("Tags"):
            kwargs["Tags"] = {str(k): _scalar_str(v) for k, v in dict(props["Tags"]).items()}
        arn = self.client("lambda").create_function(**kwargs)["FunctionArn"]
        return _Created(name, {"Arn": arn}, arn)

    def _function_event(
        self, logical: str, function: _Created, event_name: str, event: Mapping[str, Any]
    ) -> None:
        event_type = str(event.get("Type"))
        props = event.get("Properties") or {}
        arn = str(function.arn)
        if event_type == "SNS":
            self.client("sns").subscribe(TopicArn=props["Topic"], Protocol="lambda", Endpoint=arn)
        elif event_type == "SQS":
            self.client("lambda").create_event_source_mapping(
                EventSourceArn=props["Queue"],
                FunctionName=arn,
                BatchSize=_int(props.get("BatchSize", 10), f"{logical}.{event_name}.BatchSize"),
            )
        elif event_type in ("EventBridgeRule", "CloudWatchEvent", "Schedule"):
            self._rule_for(logical, event_name, props, arn, "Lambda")
        else:
            self.stack.notes.append(f"{logical}: event {event_name} ({event_type}) not created")

    def _rule_for(
        self, logical: str, event_name: str, props: Mapping[str, Any], target: str, kind: str
    ) -> None:
        rule_logical = f"{logical}{event_name}"
        name = str(props.get("Name") or _generated_name(self.stack.name, rule_logical))
        kwargs: dict[str, Any] = {"Name": name, "State": "ENABLED"}
        if "Pattern" in props:
            kwargs["EventPattern"] = _json_text(props["Pattern"])
        if "Schedule" in props:
            kwargs["ScheduleExpression"] = str(props["Schedule"])
        if props.get("EventBusName"):
            kwargs["EventBusName"] = str(props["EventBusName"])
        if props.get("Enabled") is False or props.get("State") == "DISABLED":
            kwargs["State"] = "DISABLED"
        events = self.client("events")
        rule_arn = events.put_rule(**kwargs)["RuleArn"]
        target_spec: dict[str, Any] = {"Id": f"{rule_logical}{kind}Target", "Arn": target}
        for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig"):
            if key in props:
                target_spec[key] = props[key]
        if isinstance(target_spec.get("Input"), dict | list):
            target_spec["Input"] = json.dumps(target_spec["Input"])
        put = {"Rule": name, "Targets": [target_spec]}
        if "EventBusName" in kwargs:
            put["EventBusName"] = kwargs["EventBusName"]
        events.put_targets(**put)
        self._register(
            rule_logical, "AWS::Events::Rule", _Created(name, {"Arn": rule_arn}, rule_arn)
        )

    # Step Functions

    def _definition_text(self, logical: str, props: Mapping[str, Any]) -> str:
        if "DefinitionUri" in props:
            path = self._path(props["DefinitionUri"], f"{logical}.DefinitionUri")
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in (".yaml", ".yml"):
                text = json.dumps(yaml.load(text, Loader=_CfnLoader))  # noqa: S506
            return text
        if "Definition" in props:
            return json.dumps(props["Definition"])
        if "DefinitionString" in props:
            return str(props["DefinitionString"])
        raise DeployError(f"{logical}: no DefinitionUri, Definition or DefinitionString")

    def _substitute(self, logical: str, text: str, substitutions: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in substitutions:
                return match.group(0)
            return json.dumps(_scalar_str(substitutions[key]))[1:-1]

        result = _SUB_PATTERN.sub(replace, text)
        left = sorted(set(_SUB_PATTERN.findall(result)))
        if left:
            self.stack.notes.append(f"{logical}: placeholders without a substitution: {left}")
        try:
            json.loads(result)
        except ValueError as exc:
            raise DeployError(f"{logical}: the definition is not valid JSON: {exc}") from exc
        return result

    def _serverless_state_machine(self, logical: str, props: dict[str, Any]) -> _Created:
        role = props.get("Role") or self._create_role(logical, _STATES_TRUST).attrs["Arn"]
        name = str(props.get("Name") or _generated_name(self.stack.name, logical, 80, False))
        created = self._create_state_machine(logical, name, str(role), props)
        for event_name, event in (props.get("Events") or {}).items():
            event_type = str((event or {}).get("Type"))
            if event_type in ("EventBridgeRule", "CloudWatchEvent", "Schedule"):
                self._rule_for(
                    logical,
                    str(event_name),
                    event.get("Properties") or {},
                    str(created.arn),
                    "StepFunctions",
                )
            else:
                self.stack.notes.append(f"{logical}: event {event_name} ({event_type}) not created")
        return created

    def _state_machine(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(
            props.get("StateMachineName") or _generated_name(self.stack.name, logical, 80, False)
        )
        merged = dict(props)
        merged["Type"] = props.get("StateMachineType", "STANDARD")
        return self._create_state_machine(logical, name, str(props["RoleArn"]), merged)

    def _create_state_machine(
        self, logical: str, name: str, role: str, props: Mapping[str, Any]
    ) -> _Created:
        definition = self._substitute(
            logical,
            self._definition_text(logical, props),
            props.get("DefinitionSubstitutions") or {},
        )
        kwargs: dict[str, Any] = {
            "name": name,
            "definition": definition,
            "roleArn": role,
            "type": str(props.get("Type", "STANDARD")).upper(),
        }
        tags = _tags_list(props.get("Tags"))
        if tags:
            kwargs["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in tags]
        arn = self.client("stepfunctions").create_state_machine(**kwargs)["stateMachineArn"]
        return _Created(arn, {"Arn": arn, "Name": name}, arn)

    # messaging

    def _topic(self, logical: str, props: dict[str, Any]) -> _Created:
        fifo = str(props.get("FifoTopic", "")).lower() == "true"
        name = str(props.get("TopicName") or _generated_name(self.stack.name, logical, 251))
        if fifo and not name.endswith(".fifo"):
            name += ".fifo"
        attributes = {
            key: _attr_str(props[key])
            for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
            if key in props
        }
        kwargs: dict[str, Any] = {"Name": name, "Attributes": attributes}
        if props.get("Tags"):
            kwargs["Tags"] = _tags_list(props["Tags"])
        arn = self.client("sns").create_topic(**kwargs)["TopicArn"]
        for subscription in props.get("Subscription") or []:
            self.client("sns").subscribe(
                TopicArn=arn,
                Protocol=str(subscription["Protocol"]),
                Endpoint=str(subscription["Endpoint"]),
            )
        return _Created(arn, {"TopicArn": arn, "TopicName": name}, arn)

    def _subscription(self, logical: str, props: dict[str, Any]) -> _Created:
        attributes = {
            key: _attr_str(props[key])
            for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy")
            if key in props
        }
        arn = self.client("sns").subscribe(
            TopicArn=str(props["TopicArn"]),
            Protocol=str(props["Protocol"]),
            Endpoint=str(props["Endpoint"]),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return _Created(arn, {"Arn": arn}, arn)

    def _queue(self, logical: str, props: dict[str, Any]) -> _Created:
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        name = str(props.get("QueueName") or _generated_name(self.stack.name, logical, 75))
        if fifo and not name.endswith(".fifo"):
            name += ".fifo"
        keys = (
            "DelaySeconds",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "ReceiveMessageWaitTimeSeconds",
            "VisibilityTimeout",
            "KmsMasterKeyId",
            "KmsDataKeyReusePeriodSeconds",
            "SqsManagedSseEnabled",
            "FifoQueue",
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "FifoThroughputLimit",
            "RedrivePolicy",
            "RedriveAllowPolicy",
        )
        attributes = {key: _attr_str(props[key]) for key in keys if key in props}
        kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if props.get("Tags"):
            kwargs["tags"] = {t["Key"]: t["Value"] for t in _tags_list(props["Tags"])}
        sqs = self.client("sqs")
        url = sqs.create_queue(**kwargs)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return _Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url}, arn)

    # data

    def _table(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("TableName") or _generated_name(self.stack.name, logical, 255))
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": str(props.get("BillingMode", "PROVISIONED")),
        }
        if kwargs["BillingMode"] == "PROVISIONED":
            throughput = props.get("ProvisionedThroughput") or {}
            kwargs["ProvisionedThroughput"] = {
                "ReadCapacityUnits": _int(throughput.get("ReadCapacityUnits", 5), "Read"),
                "WriteCapacityUnits": _int(throughput.get("WriteCapacityUnits", 5), "Write"),
            }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "DeletionProtectionEnabled"):
            if key in props:
                kwargs[key] = props[key]
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            sse = dict(props["SSESpecification"])
            sse["Enabled"] = bool(sse.pop("SSEEnabled", True))
            kwargs["SSESpecification"] = sse
        if props.get("Tags"):
            kwargs["Tags"] = _tags_list(props["Tags"])
        dynamodb = self.client("dynamodb")
        table = dynamodb.create_table(**kwargs)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        attrs = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attrs["StreamArn"] = table["LatestStreamArn"]
        return _Created(name, attrs, table["TableArn"])

    def _simple_table(self, logical: str, props: dict[str, Any]) -> _Created:
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        kind = {"String": "S", "Number": "N", "Binary": "B"}[str(key.get("Type", "String"))]
        table_props: dict[str, Any] = {
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "BillingMode": "PROVISIONED"
            if props.get("ProvisionedThroughput")
            else "PAY_PER_REQUEST",
        }
        for name in ("TableName", "ProvisionedThroughput", "SSESpecification", "Tags"):
            if name in props:
                table_props[name] = props[name]
        return self._table(logical, table_props)

    def _ssm_parameter(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("Name") or f"CFN-{logical}-{_suffix(self.stack.name, logical)}")
        kwargs: dict[str, Any] = {
            "Name": name,
            "Value": _scalar_str(props["Value"]),
            "Type": str(props.get("Type", "String")),
        }
        for key in ("Description", "AllowedPattern", "Tier", "DataType"):
            if key in props:
                kwargs[key] = str(props[key])
        if props.get("Tags"):
            kwargs["Tags"] = _tags_list(props["Tags"])
        self.client("ssm").put_parameter(**kwargs)
        arn = f"arn:aws:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"
        return _Created(name, {"Type": kwargs["Type"], "Value": kwargs["Value"]}, arn)

    def _kms_key(self, logical: str, props: dict[str, Any]) -> _Created:
        kwargs: dict[str, Any] = {}
        if "KeyPolicy" in props:
            kwargs["Policy"] = _json_text(props["KeyPolicy"])
        for key in ("Description", "KeyUsage", "KeySpec", "MultiRegion"):
            if key in props:
                kwargs[key] = props[key]
        if props.get("Tags"):
            kwargs["Tags"] = [
                {"TagKey": t["Key"], "TagValue": t["Value"]} for t in _tags_list(props["Tags"])
            ]
        kms = self.client("kms")
        key = kms.create_key(**kwargs)["KeyMetadata"]
        if str(props.get("EnableKeyRotation", "")).lower() == "true":
            kms.enable_key_rotation(KeyId=key["KeyId"])
        if str(props.get("Enabled", "true")).lower() == "false":
            kms.disable_key(KeyId=key["KeyId"])
        return _Created(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}, key["Arn"])

    def _kms_alias(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props["AliasName"])
        self.client("kms").create_alias(AliasName=name, TargetKeyId=str(props["TargetKeyId"]))
        arn = f"arn:aws:kms:{self.region}:{self.account}:{name}"
        return _Created(name, {}, arn)

    def _secret(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("Name") or _generated_name(self.stack.name, logical, 256, False))
        kwargs: dict[str, Any] = {"Name": name}
        for key in ("Description", "KmsKeyId"):
            if key in props:
                kwargs[key] = str(props[key])
        if "SecretString" in props:
            kwargs["SecretString"] = str(props["SecretString"])
        elif "GenerateSecretString" in props:
            kwargs["SecretString"] = self._generated_secret(props["GenerateSecretString"])
        if props.get("Tags"):
            kwargs["Tags"] = _tags_list(props["Tags"])
        arn = self.client("secretsmanager").create_secret(**kwargs)["ARN"]
        return _Created(arn, {"Id": arn}, arn)

    def _generated_secret(self, spec: Mapping[str, Any]) -> str:
        options: dict[str, Any] = {
            "PasswordLength": _int(spec.get("PasswordLength", 32), "PasswordLength")
        }
        for key in (
            "ExcludeCharacters",
            "ExcludeLowercase",
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "IncludeSpace",
            "RequireEachIncludedType",
        ):
            if key in spec:
                options[key] = spec[key]
        password = self.client("secretsmanager").get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
            document = json.loads(str(spec["SecretStringTemplate"]))
            document[str(spec["GenerateStringKey"])] = password
            return json.dumps(document)
        return str(password)

    # events, permissions, IAM

    def _event_bus(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props["Name"])
        arn = self.client("events").create_event_bus(Name=name)["EventBusArn"]
        return _Created(name, {"Arn": arn, "Name": name}, arn)

    def _event_rule(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("Name") or _generated_name(self.stack.name, logical))
        kwargs: dict[str, Any] = {"Name": name, "State": str(props.get("State", "ENABLED"))}
        if "EventPattern" in props:
            kwargs["EventPattern"] = _json_text(props["EventPattern"])
        for key in ("ScheduleExpression", "Description", "RoleArn", "EventBusName"):
            if key in props:
                kwargs[key] = str(props[key])
        events = self.client("events")
        arn = events.put_rule(**kwargs)["RuleArn"]
        targets = []
        for target in props.get("Targets") or []:
            spec = dict(target)
            if isinstance(spec.get("Input"), dict | list):
                spec["Input"] = json.dumps(spec["Input"])
            targets.append(spec)
        if targets:
            put: dict[str, Any] = {"Rule": name, "Targets": targets}
            if "EventBusName" in kwargs:
                put["EventBusName"] = kwargs["EventBusName"]
            events.put_targets(**put)
        return _Created(name, {"Arn": arn}, arn)

    def _lambda_permission(self, logical: str, props: dict[str, Any]) -> _Created:
        kwargs: dict[str, Any] = {
            "FunctionName": str(props["FunctionName"]),
            "StatementId": logical,
            "Action": str(props["Action"]),
            "Principal": str(props["Principal"]),
        }
        for key in ("SourceArn", "SourceAccount", "EventSourceToken", "FunctionUrlAuthType"):
            if key in props:
                kwargs[key] = str(props[key])
        self.client("lambda").add_permission(**kwargs)
        return _Created(logical)

    def _iam_role(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("RoleName") or _generated_name(self.stack.name, logical))
        kwargs: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": _json_text(props["AssumeRolePolicyDocument"]),
        }
        for key in ("Path", "Description", "PermissionsBoundary"):
            if key in props:
                kwargs[key] = str(props[key])
        if "MaxSessionDuration" in props:
            kwargs["MaxSessionDuration"] = _int(props["MaxSessionDuration"], "MaxSessionDuration")
        if props.get("Tags"):
            kwargs["Tags"] = _tags_list(props["Tags"])
        iam = self.client("iam")
        role = iam.create_role(**kwargs)["Role"]
        for policy in props.get("Policies") or []:
            iam.put_role_policy(
                RoleName=name,
                PolicyName=str(policy["PolicyName"]),
                PolicyDocument=_json_text(policy["PolicyDocument"]),
            )
        if props.get("ManagedPolicyArns"):
            self.stack.notes.append(
                f"{logical}: ManagedPolicyArns not attached (moto does not load AWS managed "
                "policies; IAM is not enforced locally anyway)"
            )
        return _Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}, role["Arn"])

    # storage, policies, logs

    def _optional(self, logical: str, what: str, call: Callable[[], Any]) -> None:
        """A secondary configuration call: moto not supporting it is a note, not a failure."""
        try:
            call()
        except (ClientError, NotImplementedError) as exc:
            self.stack.notes.append(f"{logical}: {what} not applied locally ({exc})")

    def _bucket(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("BucketName") or _generated_name(self.stack.name, logical, 63).lower())
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
            )
        encryption = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")
        if encryption:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule.get(
                        "ServerSideEncryptionByDefault", {"SSEAlgorithm": "AES256"}
                    ),
                    **(
                        {"BucketKeyEnabled": rule["BucketKeyEnabled"]}
                        if "BucketKeyEnabled" in rule
                        else {}
                    ),
                }
                for rule in encryption
            ]
            self._optional(
                logical,
                "BucketEncryption",
                lambda: s3.put_bucket_encryption(
                    Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
                ),
            )
        if "PublicAccessBlockConfiguration" in props:
            self._optional(
                logical,
                "PublicAccessBlockConfiguration",
                lambda: s3.put_public_access_block(
                    Bucket=name,
                    PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
                ),
            )
        if "OwnershipControls" in props:
            self._optional(
                logical,
                "OwnershipControls",
                lambda: s3.put_bucket_ownership_controls(
                    Bucket=name, OwnershipControls=props["OwnershipControls"]
                ),
            )
        if "VersioningConfiguration" in props:
            self._optional(
                logical,
                "VersioningConfiguration",
                lambda: s3.put_bucket_versioning(
                    Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
                ),
            )
        lifecycle = (props.get("LifecycleConfiguration") or {}).get("Rules")
        if lifecycle:
            self._optional(
                logical,
                "LifecycleConfiguration",
                lambda: s3.put_bucket_lifecycle_configuration(
                    Bucket=name,
                    LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle]},
                ),
            )
        if props.get("Tags"):
            tags = _tags_list(props["Tags"])
            self._optional(
                logical,
                "Tags",
                lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags}),
            )
        arn = f"arn:aws:s3:::{name}"
        attrs = {
            "Arn": arn,
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{self.region}.amazonaws.com",
        }
        return _Created(name, attrs, arn)

    def _bucket_policy(self, logical: str, props: dict[str, Any]) -> _Created:
        """Store the policy minus its conditional Deny statements.

        moto enforces a bucket policy's Deny statements on object requests but ignores
        their Condition, so the usual ``DenyPlainHttp`` (``aws:SecureTransport: false``)
        would deny every request to the (plain HTTP) local endpoint.
        """
        document = props["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        statements = document.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        kept = [s for s in statements if not (s.get("Effect") == "Deny" and "Condition" in s)]
        dropped = [str(s.get("Sid", "?")) for s in statements if s not in kept]
        if dropped:
            self.stack.notes.append(
                f"{logical}: conditional Deny statements {dropped} not applied "
                "(moto would enforce them without their Condition)"
            )
        if kept:
            self.client("s3").put_bucket_policy(
                Bucket=str(props["Bucket"]), Policy=json.dumps({**document, "Statement": kept})
            )
        return _Created(logical)

    def _topic_policy(self, logical: str, props: dict[str, Any]) -> _Created:
        for topic in props.get("Topics") or []:
            self.client("sns").set_topic_attributes(
                TopicArn=str(topic),
                AttributeName="Policy",
                AttributeValue=_json_text(props["PolicyDocument"]),
            )
        return _Created(logical)

    def _queue_policy(self, logical: str, props: dict[str, Any]) -> _Created:
        for queue_url in props.get("Queues") or []:
            self.client("sqs").set_queue_attributes(
                QueueUrl=str(queue_url), Attributes={"Policy": _json_text(props["PolicyDocument"])}
            )
        return _Created(logical)

    def _log_group(self, logical: str, props: dict[str, Any]) -> _Created:
        name = str(props.get("LogGroupName") or _generated_name(self.stack.name, logical, 512))
        kwargs: dict[str, Any] = {"logGroupName": name}
        if props.get("KmsKeyId"):
            kwargs["kmsKeyId"] = str(props["KmsKeyId"])
        if props.get("Tags"):
            kwargs["tags"] = {t["Key"]: t["Value"] for t in _tags_list(props["Tags"])}
        logs = self.client("logs")
        logs.create_log_group(**kwargs)
        if "RetentionInDays" in props:
            days = _int(props["RetentionInDays"], f"{logical}.RetentionInDays")
            self._optional(
                logical,
                "RetentionInDays",
                lambda: logs.put_retention_policy(logGroupName=name, retentionInDays=days),
            )
        arn = f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"
        return _Created(name, {"Arn": arn}, arn)


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape of the S3 API."""
    api: dict[str, Any] = {"Status": str(rule.get("Status", "Enabled"))}
    if "Id" in rule:
        api["ID"] = str(rule["Id"])
    if "Prefix" in rule:
        api["Filter"] = {"Prefix": str(rule["Prefix"])}
    else:
        api["Filter"] = {"Prefix": ""}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": _int(rule["ExpirationInDays"], "ExpirationInDays")}
    if "NoncurrentVersionExpirationInDays" in rule:
        api["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": _int(rule["NoncurrentVersionExpirationInDays"], "Noncurrent")
        }
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def deploy_stack(
    endpoint: LocalAwsEndpoint,
    template_path: Path | str,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
) -> Stack:
    """Create every supported resource of ``template_path`` in ``endpoint``.

    ``parameters`` override the template's parameter defaults (unknown names are an
    error, as in CloudFormation). Raises :class:`DeployError` with the logical id at fault.
    """
    return _Deployment(endpoint, Path(template_path), dict(parameters or {}), stack_name).run()
