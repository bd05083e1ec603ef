"""Resource types moto's CloudFormation lacks or gets wrong: created through the endpoint's API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from portal_local.aws.moto_workarounds.base import Endpoint, Patches, Workaround, as_json, as_text


def _pick(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): as_text(v) for k, v in tags.items()}
    return {str(t["Key"]): as_text(t["Value"]) for t in tags or []}


class ApiResource:
    """A stack resource made with boto3 calls to the endpoint (duck-types moto's
    ``CloudFormationModel`` as far as moto's ``ResourceMap`` uses it)."""

    cfn_type = ""
    endpoint: Endpoint

    def __init__(self, ref: str, attributes: Mapping[str, Any]) -> None:
        self.physical_resource_id = ref
        self.attributes = dict(attributes)

    @classmethod
    def create_from_cloudformation_json(
        cls, name: str, cfn: Mapping[str, Any], account: str, region: str, **kwargs: Any
    ) -> ApiResource:
        props = {k: v for k, v in (cfn.get("Properties") or {}).items() if v is not None}
        return cls(*API_CREATED[cls.cfn_type](cls.endpoint, name, props))

    @classmethod
    def has_cfn_attr(cls, attribute: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute: str) -> Any:
        if attribute not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute]

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ApiResource,
        new_resource_name: str,
        cloudformation_json: Mapping[str, Any],
        account_id: str,
        region_name: str,
    ) -> ApiResource:
        """An update as CloudFormation makes it: in place (:data:`API_UPDATED`), or a
        replacement for a type whose resources never change (:data:`API_REPLACED`: a new
        version is published; the old one stays, as SAM retains it)."""
        props = {
            k: v for k, v in (cloudformation_json.get("Properties") or {}).items() if v is not None
        }
        if cls.cfn_type in API_REPLACED:
            return cls(*API_CREATED[cls.cfn_type](cls.endpoint, new_resource_name, props))
        if cls.cfn_type not in API_UPDATED:
            raise NotImplementedError(f"the local endpoint does not update a {cls.cfn_type}")
        ref = original_resource.physical_resource_id
        original_resource.attributes.update(API_UPDATED[cls.cfn_type](cls.endpoint, ref, props))
        return original_resource

    def is_created(self) -> bool:
        return True

    def delete(self, account: str, region: str) -> None:
        """Rollback leaves it (a failed local deployment goes with its endpoint)."""


class NotDeployed(ApiResource):
    """Placeholder for a type neither moto nor :data:`API_CREATED` can create: ``Ref`` and
    ``GetAtt`` give placeholder values (moto would fail the stack on a ``GetAtt`` to it);
    the deployment lists it in ``Stack.skipped``."""

    @classmethod
    def create_from_cloudformation_json(
        cls, name: str, cfn: Mapping[str, Any], account: str, region: str, **kwargs: Any
    ) -> ApiResource:
        return cls(name, {})

    def get_cfn_attribute(self, attribute: str) -> Any:
        return f"arn:aws:local:::not-deployed/{self.physical_resource_id}/{attribute}"


Creator = Callable[[Endpoint, str, dict[str, Any]], tuple[str, Mapping[str, Any]]]


def _lambda_function(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation drops Layers, Architectures, TracingConfig, KmsKeyArn,
    LoggingConfig, DeadLetterConfig and Tags. Layers of other accounts (public layers) do
    not exist in moto, which refuses them: left out, with a note (``endpoint.notes``)."""
    kwargs = _function_kwargs(ep, name, props)
    lam = ep.client("lambda")
    arn = lam.create_function(**kwargs)["FunctionArn"]
    if "ReservedConcurrentExecutions" in props:
        reserved = int(props["ReservedConcurrentExecutions"])
        lam.put_function_concurrency(FunctionName=arn, ReservedConcurrentExecutions=reserved)
    return kwargs["FunctionName"], {"Arn": arn}


def _update_lambda_function(ep: Endpoint, ref: str, props: dict[str, Any]) -> Mapping[str, Any]:
    """Its configuration and code, as CloudFormation updates a function (moto's
    UpdateFunctionConfiguration keeps only what its model has: layers, environment,
    timeout, memory, handler, runtime, role, description, VPC)."""
    kwargs = _function_kwargs(ep, ref, props)
    lam = ep.client("lambda")
    code = kwargs.pop("Code")
    for dropped in ("Tags", "Architectures"):
        kwargs.pop(dropped, None)
    lam.update_function_configuration(**kwargs)
    lam.update_function_code(FunctionName=ref, **code)
    if "ReservedConcurrentExecutions" in props:
        reserved = int(props["ReservedConcurrentExecutions"])
        lam.put_function_concurrency(FunctionName=ref, ReservedConcurrentExecutions=reserved)
    else:
        lam.delete_function_concurrency(FunctionName=ref)
    return {}


def _function_kwargs(ep: Endpoint, name: str, props: dict[str, Any]) -> dict[str, Any]:
    code = dict(props["Code"])
    if "ZipFile" in code:
        code["ZipFile"] = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])
    variables = (props.get("Environment") or {}).get("Variables") or {}
    layers = props.get("Layers") or []
    kwargs: dict[str, Any] = {
        **_pick(props, "Runtime", "Handler", "Description", "Architectures", "TracingConfig"),
        **_pick(props, "LoggingConfig", "DeadLetterConfig", "EphemeralStorage", "VpcConfig"),
        **{k: int(v) for k, v in _pick(props, "Timeout", "MemorySize").items()},
        **({"KMSKeyArn": props["KmsKeyArn"]} if "KmsKeyArn" in props else {}),
        "FunctionName": str(props.get("FunctionName") or name),
        "Role": props["Role"],
        "Code": code,
        "Environment": {"Variables": {str(k): as_text(v) for k, v in variables.items()}},
        "Tags": _tags(props.get("Tags")),
        "Layers": [arn for arn in layers if f":{ep.account_id}:layer:" in arn],
    }
    for arn in sorted(set(layers) - set(kwargs["Layers"])):
        ep.notes.append(
            f"{kwargs['FunctionName']}: layer {arn} belongs to another account (a public layer) "
            "and is left out: moto refuses it; the local interpreter provides its packages"
        )
    return kwargs


def _lambda_version(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::Version`` gives moto's model object (500)."""
    version = ep.client("lambda").publish_version(**_pick(props, "FunctionName", "Description"))
    return version["FunctionArn"], {"Version": version["Version"]}


def _lambda_alias(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig")
    arn = ep.client("lambda").create_alias(**_pick(props, *keys))["AliasArn"]
    return arn, {"AliasArn": arn}


def _update_lambda_alias(ep: Endpoint, ref: str, props: dict[str, Any]) -> Mapping[str, Any]:
    keys = ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig")
    ep.client("lambda").update_alias(**_pick(props, *keys))
    return {}


def _event_invoke_config(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds")
    kwargs = _pick(props, *keys, "DestinationConfig")
    ep.client("lambda").put_function_event_invoke_config(**kwargs)
    return name, {}


def _layer_version(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Lambda::LayerVersion`` gives moto's model object (500), and
    ``CompatibleArchitectures`` are dropped."""
    keys = ("Content", "Description", "CompatibleRuntimes", "CompatibleArchitectures")
    kwargs = {"LayerName": props.get("LayerName", name), **_pick(props, *keys, "LicenseInfo")}
    return ep.client("lambda").publish_layer_version(**kwargs)["LayerVersionArn"], {}


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    return [_lower_keys(v) for v in value] if isinstance(value, list) else value


def _definition(props: Mapping[str, Any]) -> str:
    definition = as_json(props.get("Definition", props.get("DefinitionString", "")))
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", as_text(value))
    return definition


def _revision(arn: str, definition: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, arn + definition))


def _state_machine(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation ignores ``DefinitionSubstitutions`` and ``Definition``, drops
    logging and tracing, and (with ``execute_state_machine``) creates the state machine in
    a backend the Step Functions API does not read: it can be neither described nor run."""
    definition = _definition(props)
    machine = str(props.get("StateMachineName") or name)[:80]
    arn = ep.client("stepfunctions").create_state_machine(
        name=machine,
        definition=definition,
        roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"),
        tags=[{"key": k, "value": v} for k, v in _tags(props.get("Tags")).items()],
        **_lower_keys(_pick(props, "LoggingConfiguration", "TracingConfiguration")),
    )["stateMachineArn"]
    return arn, {
        "Arn": arn,
        "Name": machine,
        "StateMachineName": machine,
        "StateMachineRevisionId": _revision(arn, definition),
    }


def _update_state_machine(ep: Endpoint, ref: str, props: dict[str, Any]) -> Mapping[str, Any]:
    definition = _definition(props)
    ep.client("stepfunctions").update_state_machine(
        stateMachineArn=ref,
        definition=definition,
        roleArn=props["RoleArn"],
        **_lower_keys(_pick(props, "LoggingConfiguration", "TracingConfiguration")),
    )
    return {"StateMachineRevisionId": _revision(ref, definition)}


def _state_machine_version(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """moto has no ``PublishStateMachineVersion`` API: published on the backend's model."""
    arn = str(props["StateMachineArn"])
    parts = arn.split(":")
    machine = stepfunctions_parser_backends[parts[4]][parts[3]].describe_state_machine(arn)
    machine.publish(props.get("Description"))
    version: Any = machine.latest_version
    return version.arn, {"Arn": version.arn}


def _state_machine_alias(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    preference = props.get("DeploymentPreference") or {}
    routing = props.get("RoutingConfiguration") or [
        {"StateMachineVersionArn": preference.get("StateMachineVersionArn"), "Weight": 100}
    ]
    arn = ep.client("stepfunctions").create_state_machine_alias(
        name=str(props.get("Name") or name),
        description=props.get("Description", ""),
        routingConfiguration=_lower_keys(routing),
    )["stateMachineAliasArn"]
    return arn, {"Arn": arn}


def _update_state_machine_alias(ep: Endpoint, ref: str, props: dict[str, Any]) -> Mapping[str, Any]:
    preference = props.get("DeploymentPreference") or {}
    routing = props.get("RoutingConfiguration") or [
        {"StateMachineVersionArn": preference.get("StateMachineVersionArn"), "Weight": 100}
    ]
    ep.client("stepfunctions").update_state_machine_alias(
        stateMachineAliasArn=ref,
        description=props.get("Description", ""),
        routingConfiguration=_lower_keys(routing),
    )
    return {}


def _event_bus(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """``Ref`` of an ``AWS::Events::EventBus`` gives moto's model object (500)."""
    events, bus = ep.client("events"), str(props.get("Name") or name)
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    arn = events.create_event_bus(Name=bus, Tags=tags)["EventBusArn"]
    if "Policy" in props:
        events.put_permission(EventBusName=bus, Policy=as_json(props["Policy"]))
    return bus, {"Arn": arn, "Name": bus, "Policy": as_json(props.get("Policy", ""))}


def _event_bus_policy(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    events, bus = ep.client("events"), str(props.get("EventBusName", "default"))
    if "Statement" in props:
        current = events.describe_event_bus(Name=bus).get("Policy")
        document: Any = json.loads(current or '{"Version": "2012-10-17", "Statement": []}')
        document["Statement"] = [  # an update replaces the statement of the same id
            s for s in document["Statement"] if s.get("Sid") != props["StatementId"]
        ]
        document["Statement"].append({"Sid": props["StatementId"], **props["Statement"]})
        events.put_permission(EventBusName=bus, Policy=json.dumps(document))
    else:
        keys = ("Action", "Principal", "StatementId", "Condition")
        events.put_permission(EventBusName=bus, **_pick(props, *keys))
    return str(props["StatementId"]), {}


def _topic_policy(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    policy = as_json(props["PolicyDocument"])
    for topic in props["Topics"]:
        ep.client("sns").set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=policy
        )
    return name, {}


def _subscription(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    keys = ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
    attributes = {
        k: as_json(v) if isinstance(v, dict) else as_text(v) for k, v in _pick(props, *keys).items()
    }
    arn = ep.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props.get("Endpoint", ""),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn, {"Arn": arn}


def _queue_policy(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    for url in props["Queues"]:
        policy = {"Policy": as_json(props["PolicyDocument"])}
        ep.client("sqs").set_queue_attributes(QueueUrl=url, Attributes=policy)
    return name, {}


def _bucket_policy(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    ep.client("s3").put_bucket_policy(
        Bucket=props["Bucket"], Policy=as_json(props["PolicyDocument"])
    )
    return name, {}


def _alarm(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    alarm = str(props.pop("AlarmName", name))
    ep.client("cloudwatch").put_metric_alarm(AlarmName=alarm, **props)
    return alarm, {"Arn": f"arn:aws:cloudwatch:{ep.region}:{ep.account_id}:alarm:{alarm}"}


def _rotation_schedule(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    immediately = as_text(props.get("RotateImmediatelyOnUpdate", True)).lower() == "true"
    arn = ep.client("secretsmanager").rotate_secret(
        **_pick(props, "SecretId", "RotationLambdaARN"),
        RotationRules=props.get("RotationRules", {}),
        RotateImmediately=immediately,
    )["ARN"]
    return arn, {}


def _kms_key(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation fails an ``AWS::KMS::Key`` without ``KeyPolicy`` (KeyError);
    AWS gives it the default key policy (the account's root may use it)."""
    kms = ep.client("kms")
    kwargs = _pick(props, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in props:
        kwargs["Policy"] = as_json(props["KeyPolicy"])
    tags = [{"TagKey": k, "TagValue": v} for k, v in _tags(props.get("Tags")).items()]
    key = kms.create_key(Tags=tags, **kwargs)["KeyMetadata"]
    if as_text(props.get("EnableKeyRotation", False)).lower() == "true":
        kms.enable_key_rotation(KeyId=key["KeyId"])
    if as_text(props.get("Enabled", True)).lower() == "false":
        kms.disable_key(KeyId=key["KeyId"])
    return key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}


def _ssm_parameter(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    """moto's CloudFormation fails an ``AWS::SSM::Parameter`` without ``Name``; AWS
    generates one."""
    kwargs = {
        k: str(v)
        for k, v in _pick(props, "Description", "AllowedPattern", "Tier", "DataType").items()
    }
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    parameter, kind = str(props.get("Name") or name), str(props.get("Type", "String"))
    value = as_text(props["Value"])
    ep.client("ssm").put_parameter(Name=parameter, Value=value, Type=kind, Tags=tags, **kwargs)
    return parameter, {"Type": kind, "Value": value}


def _secret(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    sm, generate = ep.client("secretsmanager"), props.get("GenerateSecretString")
    kwargs = {k: str(v) for k, v in _pick(props, "Description", "KmsKeyId", "SecretString").items()}
    if generate:
        keys = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation")
        password = sm.get_random_password(**_pick(generate, *keys, "IncludeSpace"))
        value = password["RandomPassword"]
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            value = json.dumps({**document, generate["GenerateStringKey"]: value})
        kwargs["SecretString"] = value
    tags = [{"Key": k, "Value": v} for k, v in _tags(props.get("Tags")).items()]
    arn = sm.create_secret(Name=str(props.get("Name") or name), Tags=tags, **kwargs)["ARN"]
    return arn, {"Id": arn}


def _schedule(ep: Endpoint, name: str, props: dict[str, Any]) -> Any:
    schedule = str(props.pop("Name", name))[:64]
    arn = ep.client("scheduler").create_schedule(Name=schedule, **props)["ScheduleArn"]
    return schedule, {"Arn": arn}


API_CREATED: dict[str, Creator] = {
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Version": _lambda_version,
    "AWS::Lambda::Alias": _lambda_alias,
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Lambda::LayerVersion": _layer_version,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::StepFunctions::StateMachineVersion": _state_machine_version,
    "AWS::StepFunctions::StateMachineAlias": _state_machine_alias,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::EventBusPolicy": _event_bus_policy,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::SecretsManager::RotationSchedule": _rotation_schedule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::KMS::Key": _kms_key,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::SecretsManager::Secret": _secret,
}
"""Resource types moto's CloudFormation lacks (no model) or gets wrong (the creator's
docstring says how), each created through the endpoint's API from its properties."""

Updater = Callable[[Endpoint, str, dict[str, Any]], Mapping[str, Any]]
"""(endpoint, physical id, new properties) -> the attributes that changed."""


def _put_again(creator: Creator) -> Updater:
    """An update made by the creator's own call, which puts the whole resource again."""

    def update(ep: Endpoint, ref: str, props: dict[str, Any]) -> Mapping[str, Any]:
        return creator(ep, ref, props)[1]

    return update


API_UPDATED: dict[str, Updater] = {
    "AWS::Lambda::Function": _update_lambda_function,
    "AWS::Lambda::Alias": _update_lambda_alias,
    "AWS::Lambda::EventInvokeConfig": _put_again(_event_invoke_config),
    "AWS::StepFunctions::StateMachine": _update_state_machine,
    "AWS::StepFunctions::StateMachineAlias": _update_state_machine_alias,
    "AWS::CloudWatch::Alarm": _put_again(_alarm),
    "AWS::SQS::QueuePolicy": _put_again(_queue_policy),
    "AWS::S3::BucketPolicy": _put_again(_bucket_policy),
    "AWS::SNS::TopicPolicy": _put_again(_topic_policy),
    "AWS::Events::EventBusPolicy": _put_again(_event_bus_policy),
}
"""The API-created types the endpoint updates in place, as CloudFormation does."""

API_REPLACED = frozenset(
    {
        "AWS::Lambda::Version",
        "AWS::Lambda::LayerVersion",
        "AWS::StepFunctions::StateMachineVersion",
    }
)
"""Types whose resources never change: CloudFormation replaces them (a new version)."""


def not_deployable(resource_type: str) -> str | None:
    """Why the local endpoint cannot create ``resource_type`` (None: it can)."""
    if resource_type in API_CREATED or resource_type in cfn_parsing.get_model_map():
        return None
    return "moto has no CloudFormation support for this type and the endpoint does not create it"


def cfn_types_missing_or_broken(patches: Patches, endpoint: Endpoint) -> None:
    """moto's CloudFormation lacks many types, and skips them: a ``GetAtt`` to one then
    fails the stack with a 500. Types in :data:`API_CREATED` are created through the
    endpoint's API instead; any other missing type gets a :class:`NotDeployed`
    placeholder and is listed in the deployment's ``Stack.skipped``."""
    original: Any = cfn_parsing.resource_class_from_type
    classes = {
        t: type(t, (ApiResource,), {"cfn_type": t, "endpoint": endpoint}) for t in API_CREATED
    }

    def resource_class_from_type(resource_type: str) -> Any:
        found = classes.get(resource_type) or original(resource_type)
        return (
            NotDeployed if found is None and resource_type not in cfn_parsing.NULL_MODELS else found
        )

    patches.set(cfn_parsing, "resource_class_from_type", resource_class_from_type)


WORKAROUNDS: tuple[Workaround, ...] = (cfn_types_missing_or_broken,)
