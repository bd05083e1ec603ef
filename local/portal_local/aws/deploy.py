"""Deploy a SAM ``template.yaml`` into a :class:`~portal_local.aws.moto_endpoint.LocalAwsEndpoint`
the way ``sam deploy`` does it: package, transform, ``CreateStack``.

1. **Package** (what ``sam package`` does): every local ``CodeUri`` / ``ContentUri`` /
   ``Code`` / ``Content`` becomes a zip in the endpoint's S3 (a package bucket, like
   ``sam deploy``'s managed bucket), referenced by ``s3://`` URI and named by its
   content's digest, as ``sam package`` names an upload: the same code gives the same
   key, so the translated template (and SAM's version logical ids) change only when the
   code does. The zip only holds a manifest pointing at an immutable copy of the source
   directory (:func:`portal_local.aws.lambda_code.snapshot`), so each deployed version
   runs the code it was deployed with. A ``DefinitionUri`` is inlined as
   ``Definition``: ``sam package`` would upload it to S3, which moto's CloudFormation
   would ignore.
2. **Transform** with ``aws-sam-translator`` (the library behind ``sam`` and
   CloudFormation's ``AWS::Serverless-2016-10-31`` transform), offline: the region is
   given, and AWS managed policy names resolve through the translator's bundled policy
   map (``samtranslator/internal/data/aws_managed_policies.json``; the IAM fallback
   loader is never called). The translated template is what CloudFormation would run:
   SAM's generated roles and policies, versions, aliases, permissions, logical ids.
3. **CreateStack**, or **UpdateStack** when the stack exists (``sam deploy`` makes a
   change set of either kind), through boto3 against the endpoint (template in the
   package bucket, like ``sam deploy``: the translated template is larger than
   ``TemplateBody``'s 51,200 bytes), then read the stack's events, resources and
   outputs. A stack that does not reach ``CREATE_COMPLETE`` / ``UPDATE_COMPLETE``
   raises :class:`DeployError` naming the failed resource and the reason from its
   ``*_FAILED`` event; an update that changes nothing is no error (``sam deploy
   --no-fail-on-empty-changeset``).

moto's CloudFormation creates and updates the resources (route (a) of issue 9): no
CloudFormation engine of our own. Its gaps are filled in
:mod:`portal_local.aws.moto_workarounds` (an update as CloudFormation makes it:
:mod:`~portal_local.aws.moto_workarounds.cloudformation_updates`); a resource type
nobody can create locally is kept out of the way by a placeholder and listed in
:attr:`Stack.skipped` with the reason.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

from portal_local.aws.lambda_code import code_zip, content_digest, snapshot

DEFAULT_STACK_NAME = "portal-security"
PACKAGE_BUCKET = "portal-local-sam-packages"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]

# Resource type -> (property holding a local path, how ``sam package`` rewrites it).
_PACKAGED = {
    "AWS::Serverless::Function": ("CodeUri", "uri"),
    "AWS::Serverless::LayerVersion": ("ContentUri", "uri"),
    "AWS::Lambda::Function": ("Code", "s3-object"),
    "AWS::Lambda::LayerVersion": ("Content", "s3-object"),
}


class DeployError(Exception):
    """The template cannot be deployed (the message names the resource or property)."""


@dataclass
class Stack:
    """What a deployment created, as CloudFormation reports it."""

    name: str
    stack_id: str
    region: str
    account_id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    """Logical id -> physical id (what ``Ref`` gives), SAM's generated resources included."""
    resource_types: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Logical id -> why the local endpoint did not create it (type and reason)."""
    template: dict[str, Any] = field(default_factory=dict)
    """The translated template CloudFormation received."""
    notes: list[str] = field(default_factory=list)
    """Settings the local endpoint left out (public layers...), and why."""
    events: list[dict[str, Any]] = field(default_factory=list)


def load_template(path: Path | str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML with short-form tags, or JSON) with
    cfn-lint's decoder, into plain dicts and lists."""
    from cfnlint.decode import decode_str  # noqa: PLC0415

    path = Path(path)
    data, problems = decode_str(path.read_text(encoding="utf-8"))
    if problems or not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        detail = "; ".join(str(p) for p in problems or []) or "no Resources"
        raise DeployError(f"{path}: not a CloudFormation template ({detail})")
    return dict(json.loads(json.dumps(data, default=str)))  # unquoted dates are strings to CFN


def package(
    template: Mapping[str, Any],
    base_dir: Path,
    s3: Any,
    bucket: str,
    snapshots: Path | None = None,
) -> dict[str, Any]:
    """The template as ``sam package`` leaves it: local code in S3 (named by its content;
    with ``snapshots``, a package points at an immutable copy under it, else at the
    source directory), definitions inlined."""
    packaged = copy.deepcopy(dict(template))
    for logical, resource in packaged["Resources"].items():
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind in _PACKAGED and isinstance(props.get(_PACKAGED[kind][0]), str):
            prop, style = _PACKAGED[kind]
            if props[prop].startswith("s3://"):
                continue
            source = _local_path(base_dir, props[prop], f"{logical}.{prop}")
            data = code_zip(snapshot(source, snapshots) if snapshots else source)
            key = f"{content_digest(source)}.zip"
            s3.put_object(Bucket=bucket, Key=key, Body=data)
            props[prop] = (
                f"s3://{bucket}/{key}" if style == "uri" else {"S3Bucket": bucket, "S3Key": key}
            )
        definition_prop = {
            "AWS::Serverless::StateMachine": "DefinitionUri",
            "AWS::StepFunctions::StateMachine": "DefinitionS3Location",
        }.get(str(kind))
        if definition_prop and isinstance(props.get(definition_prop), str):
            path = _local_path(base_dir, props.pop(definition_prop), f"{logical}.{definition_prop}")
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml  # noqa: PLC0415

                text = json.dumps(yaml.safe_load(text))
            inline = "Definition" if kind == "AWS::Serverless::StateMachine" else "DefinitionString"
            props[inline] = json.loads(text) if inline == "Definition" else text
    return packaged


def _local_path(base_dir: Path, value: str, what: str) -> Path:
    path = (base_dir / value).resolve()
    if not path.exists():
        raise DeployError(f"{what}: {path} does not exist")
    return path


def transform(template: Mapping[str, Any], parameters: Mapping[str, str], region: str) -> Any:
    """The SAM transform, offline (see the module docstring)."""
    from samtranslator.model.exceptions import InvalidDocumentException  # noqa: PLC0415
    from samtranslator.parser.parser import Parser  # noqa: PLC0415
    from samtranslator.translator.translator import Translator  # noqa: PLC0415

    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session)
    try:
        return translator.translate(
            copy.deepcopy(dict(template)), dict(parameters), get_managed_policy_map=dict
        )
    except InvalidDocumentException as exc:
        raise DeployError("; ".join(cause.message for cause in exc.causes) or str(exc)) from exc


class DeployTarget(Protocol):
    """Where a stack is deployed: the endpoint itself, or one running elsewhere
    (``portal-local up``), reached by its URL."""

    region: str
    account_id: str
    notes: list[str]

    @property
    def packages_dir(self) -> Path: ...

    def client(self, service_name: str) -> Any: ...


def deploy_stack(
    endpoint: DeployTarget,
    template_path: Path | str,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
) -> Stack:
    """Package, transform and create ``template_path`` as stack ``stack_name``, or update
    the stack when it exists.

    ``parameters`` override the template's parameter defaults (on an update, the ones not
    given keep their previous values, as ``sam deploy`` asks). Raises
    :class:`DeployError` when the transform or CloudFormation refuses the template, or
    when a resource fails (naming its logical id and the reason).
    """
    from portal_local.aws.moto_workarounds import not_deployable  # noqa: PLC0415

    parameters = {k: str(v) for k, v in (parameters or {}).items()}
    template_path = Path(template_path).resolve()
    s3 = endpoint.client("s3")
    try:
        s3.create_bucket(Bucket=PACKAGE_BUCKET)
    except ClientError as exc:  # a second stack in the same endpoint
        if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    packaged = package(
        load_template(template_path),
        template_path.parent,
        s3,
        PACKAGE_BUCKET,
        endpoint.packages_dir,
    )
    translated = transform(packaged, parameters, endpoint.region)
    key = f"templates/{stack_name}.json"
    s3.put_object(Bucket=PACKAGE_BUCKET, Key=key, Body=json.dumps(translated).encode())
    cfn = endpoint.client("cloudformation")
    notes_before = len(endpoint.notes)
    stack_id, done = _create_or_update(cfn, stack_name, key, translated, parameters)
    described = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    events = list(reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"]))
    if described["StackStatus"] != done:
        failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")] or events[-1:]
        raise DeployError(
            "; ".join(
                f"{e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
                for e in failed
            )
            + f" [stack {described['StackStatus']}]"
        )
    stack = Stack(stack_name, stack_id, endpoint.region, endpoint.account_id, events=events)
    stack.template = translated
    stack.notes = endpoint.notes[notes_before:]
    stack.outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}
    paginator = cfn.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_id):
        for resource in page["StackResourceSummaries"]:
            logical, kind = resource["LogicalResourceId"], resource["ResourceType"]
            stack.physical_ids[logical] = resource.get("PhysicalResourceId", "")
            stack.resource_types[logical] = kind
            reason = not_deployable(kind)
            if reason:
                stack.skipped[logical] = f"{kind}: {reason}"
    return stack


def _create_or_update(
    cfn: Any,
    stack_name: str,
    key: str,
    translated: Mapping[str, Any],
    parameters: Mapping[str, str],
) -> tuple[str, str]:
    """The stack's id and the status it must reach: created, or updated (parameters not
    given keep their previous values)."""
    url = f"https://{PACKAGE_BUCKET}.s3.amazonaws.com/{key}"
    given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    try:
        existing = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError:
        existing = None
    try:
        if existing is None or existing["StackStatus"] == "ROLLBACK_COMPLETE":
            created = cfn.create_stack(
                StackName=stack_name, TemplateURL=url, Parameters=given, Capabilities=CAPABILITIES
            )
            return str(created["StackId"]), "CREATE_COMPLETE"
        previous = [
            {"ParameterKey": name, "UsePreviousValue": True}
            for name in (translated.get("Parameters") or {})
            if name not in parameters
            and name in {p["ParameterKey"] for p in existing.get("Parameters") or []}
        ]
        updated = cfn.update_stack(
            StackName=stack_name,
            TemplateURL=url,
            Parameters=given + previous,
            Capabilities=CAPABILITIES,
        )
        return str(updated["StackId"]), "UPDATE_COMPLETE"
    except ClientError as exc:
        message = str(exc.response["Error"].get("Message", exc))
        if existing is not None and "No updates are to be performed" in message:
            return str(existing["StackId"]), str(existing["StackStatus"])
        raise DeployError(f"{stack_name}: {message}") from exc
