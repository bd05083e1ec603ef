"""The local deployment is what the real SAM transform produces, created by CloudFormation.

``fixtures/sam_features.yaml`` holds the SAM and CloudFormation features the project's
template is about to use (issue 9): AutoPublishAlias on a function and a state machine,
versioned ARNs in DefinitionSubstitutions, LoggingConfig, EventInvokeConfig, conditional
reserved concurrency, a Connector, a managed policy, an event bus policy, a dashboard,
an alarm, a key policy, topic/bucket/queue policies, a hash+range table, a Distributed
Map, template Rules, and one type nobody can create locally.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from portal_local.aws.deploy import DeployError, Stack, deploy_stack, load_template
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import FIXTURES, wait_for_execution

pytestmark = pytest.mark.workflow

SAM_FEATURES = FIXTURES / "sam_features.yaml"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture(scope="module")
def features(endpoint: LocalAwsEndpoint) -> Stack:
    return deploy_stack(endpoint, SAM_FEATURES, {}, "features")


def _props(stack: Stack, logical: str) -> dict[str, Any]:
    return dict(stack.template["Resources"][logical].get("Properties") or {})


def test_the_stack_holds_exactly_the_resources_the_transform_produced(features: Stack) -> None:
    translated = features.template["Resources"]

    assert set(features.physical_ids) == set(translated)
    assert "Transform" not in features.template
    types = features.resource_types
    generated = {logical for logical in translated if logical not in _source_ids()}
    assert {types[g] for g in generated} == {
        "AWS::IAM::Role",  # function and state machine roles
        "AWS::IAM::ManagedPolicy",  # the connector's policy
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::LayerVersion",  # SharedLayer<hash>
        "AWS::StepFunctions::StateMachineVersion",
        "AWS::StepFunctions::StateMachineAlias",
    }
    assert {"WorkerFunctionRole", "WorkerFunctionAliaslive", "FleetStateMachineAliaslive"} <= (
        generated
    )
    completed = {
        e["LogicalResourceId"] for e in features.events if e["ResourceStatus"] == "CREATE_COMPLETE"
    }
    assert completed == set(translated) - set(features.skipped) | {"features"}


def _source_ids() -> set[str]:
    return set(load_template(SAM_FEATURES)["Resources"])


def test_roles_carry_the_policies_sam_generated(
    endpoint: LocalAwsEndpoint, features: Stack
) -> None:
    iam = endpoint.client("iam")
    role = features.physical_ids["WorkerFunctionRole"]
    attached = {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    }
    assert attached == {
        BASIC_EXECUTION,  # added by SAM
        features.physical_ids["ReadLedgerPolicy"],  # the function's Policies
        features.physical_ids["WorkerToLedgerPolicy"],  # the Connector's policy
    }
    connector = iam.get_policy_version(
        PolicyArn=features.physical_ids["WorkerToLedgerPolicy"], VersionId="v1"
    )["PolicyVersion"]["Document"]
    actions = {a for s in connector["Statement"] for a in s["Action"]}
    assert {"dynamodb:GetItem", "dynamodb:PutItem"} <= actions

    machine_role = features.physical_ids["FleetStateMachineRole"]
    expected = {p["PolicyName"] for p in _props(features, "FleetStateMachineRole")["Policies"]}
    assert set(iam.list_role_policies(RoleName=machine_role)["PolicyNames"]) == expected
    documents = [
        iam.get_role_policy(RoleName=machine_role, PolicyName=name)["PolicyDocument"]
        for name in expected
    ]
    invoke = [
        s for d in documents for s in d["Statement"] if "lambda:InvokeFunction" in s["Action"]
    ]
    worker = features.outputs["WorkerName"]
    assert any(worker in json.dumps(s["Resource"]) for s in invoke)  # policy template expanded


def test_functions_get_versions_aliases_invoke_configs_and_their_settings(
    endpoint: LocalAwsEndpoint, features: Stack
) -> None:
    lam = endpoint.client("lambda")
    worker = features.outputs["WorkerName"]
    config = lam.get_function_configuration(FunctionName=worker)
    assert config["Architectures"] == ["arm64"]
    layers = [arn for logical, arn in features.physical_ids.items() if logical.startswith("Shared")]
    assert [layer["Arn"] for layer in config["Layers"]] == layers
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=worker)
    assert lam.get_alias(FunctionName=worker, Name="live")["FunctionVersion"] == "1"
    assert features.outputs["WorkerVersionArn"].endswith(f":{worker}:1")
    invoke_config = lam.get_function_event_invoke_config(FunctionName=worker, Qualifier="live")
    assert invoke_config["MaximumRetryAttempts"] == 1
    queue_arn = endpoint.client("sqs").get_queue_attributes(
        QueueUrl=features.physical_ids["FailureQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn
    groups = endpoint.client("logs").describe_log_groups(
        logGroupNamePrefix=features.physical_ids["WorkerLogs"]
    )["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [7]

    sfn = endpoint.client("stepfunctions")
    machine = features.outputs["StateMachineArn"]
    definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    assert "${" not in definition
    assert features.outputs["WorkerVersionArn"] in definition
    assert features.outputs["WorkerAliasArn"] in definition
    aliases = sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in aliases] == [f"{machine}:live"]
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{machine}:live")
    assert alias["routingConfiguration"] == [
        {"stateMachineVersionArn": f"{machine}:1", "weight": 100}
    ]


def test_policies_alarm_dashboard_key_bus_and_table_are_in_place(
    endpoint: LocalAwsEndpoint, features: Stack
) -> None:
    ids = features.physical_ids
    topic_policy = endpoint.client("sns").get_topic_attributes(TopicArn=ids["Topic"])
    assert "AlarmsPublish" in topic_policy["Attributes"]["Policy"]
    bucket_policy = endpoint.client("s3").get_bucket_policy(Bucket=ids["Bucket"])["Policy"]
    assert "DenyPlainHttp" in bucket_policy  # stored whole, as on AWS
    queue_policy = endpoint.client("sqs").get_queue_attributes(
        QueueUrl=ids["FailureQueue"], AttributeNames=["Policy"]
    )["Attributes"]["Policy"]
    assert "LambdaDestinations" in queue_policy
    alarms = endpoint.client("cloudwatch").describe_alarms(AlarmNames=[ids["WorkerErrorsAlarm"]])
    assert [a["AlarmActions"] for a in alarms["MetricAlarms"]] == [[ids["Topic"]]]
    dashboard = endpoint.client("cloudwatch").get_dashboard(DashboardName=ids["Dashboard"])
    assert features.outputs["WorkerName"] in dashboard["DashboardBody"]
    key_policy = endpoint.client("kms").get_key_policy(KeyId=ids["DataKey"], PolicyName="default")
    assert "CloudWatchAlarms" in key_policy["Policy"]
    bus = endpoint.client("events").describe_event_bus(Name=ids["Bus"])
    assert [s["Sid"] for s in json.loads(bus["Policy"])["Statement"]] == ["AccountPuts"]
    secret = endpoint.client("secretsmanager").get_secret_value(SecretId=ids["ServiceSecret"])
    generated = json.loads(secret["SecretString"])
    assert (generated["username"], len(generated["password"])) == ("service", 24)
    table = endpoint.client("dynamodb").describe_table(TableName=ids["Ledger"])["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [
        ("pk", "HASH"),
        ("sk", "RANGE"),
    ]


def test_distributed_map_and_versioned_arns_run(
    endpoint: LocalAwsEndpoint, features: Stack
) -> None:
    bucket = features.outputs["BucketName"]
    items = [{"action": "sleep", "seconds": 0.1} for _ in range(5)]
    endpoint.client("s3").put_object(Bucket=bucket, Key="items.json", Body=json.dumps(items))
    sfn = endpoint.client("stepfunctions")

    execution = sfn.start_execution(
        stateMachineArn=features.outputs["StateMachineArn"],
        input=json.dumps({"itemsKey": "items.json"}),
    )["executionArn"]
    described = wait_for_execution(sfn, execution)

    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["direct"] == {
        "invoked": features.outputs["WorkerVersionArn"],
        "version": "1",
    }
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
    assert (counts["total"], counts["succeeded"]) == (5, 5)
    # Each child is an execution of its own, as on AWS: listed under its map run, with
    # its own history; the parent's history holds none of its states.
    parent = sfn.get_execution_history(executionArn=execution)["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in parent if "stateEnteredEventDetails" in e
    ]
    assert entered == ["Fleet", "Direct"]
    map_run = runs[0]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 5
    prefix = map_run.replace(":mapRun:", ":execution:").rsplit(":", 1)[0]
    for child in children:
        assert child["executionArn"] == f"{prefix}:{child['name']}"
        assert (child["status"], child["mapRunArn"]) == ("SUCCEEDED", map_run)
        described = sfn.describe_execution(executionArn=child["executionArn"])
        assert json.loads(described["input"]) == {"action": "sleep", "seconds": 0.1}
        history = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
        assert history[0]["type"] == "ExecutionStarted"
        assert history[-1]["type"] == "ExecutionSucceeded"
        assert "Work" in [e.get("stateEnteredEventDetails", {}).get("name") for e in history]


def test_executions_start_through_the_alias_and_versions_keep_their_configuration(
    endpoint: LocalAwsEndpoint, features: Stack
) -> None:
    sfn, lam = endpoint.client("stepfunctions"), endpoint.client("lambda")
    machine, worker = features.outputs["StateMachineArn"], features.outputs["WorkerName"]
    endpoint.client("s3").put_object(
        Bucket=features.outputs["BucketName"], Key="none.json", Body=b"[]"
    )
    config = lam.get_function_configuration(FunctionName=worker)
    variables = {**config["Environment"]["Variables"], "GREETING": "changed after version 1"}
    lam.update_function_configuration(FunctionName=worker, Environment={"Variables": variables})

    for qualified in (f"{machine}:live", f"{machine}:1"):
        arn = sfn.start_execution(stateMachineArn=qualified, input='{"itemsKey": "none.json"}')
        described = wait_for_execution(sfn, arn["executionArn"])
        assert described["status"] == "SUCCEEDED", described

    def greeting(qualifier: str) -> Any:
        answer = lam.invoke(FunctionName=worker, Qualifier=qualifier, Payload=b'{"action": "echo"}')
        return json.loads(answer["Payload"].read())["greeting"]

    assert greeting("$LATEST") == "changed after version 1"
    assert greeting("1") is None  # version 1 keeps the configuration it was published with
    assert greeting("live") is None


def test_a_type_nobody_creates_locally_is_listed_not_silently_dropped(features: Stack) -> None:
    assert list(features.skipped) == ["NotificationRule"]
    assert "AWS::CodeStarNotifications::NotificationRule" in features.skipped["NotificationRule"]
    assert features.outputs["NotDeployedArn"].startswith("arn:aws:local:::not-deployed/")


def test_parameters_drive_conditions_and_rules_pass_when_satisfied(
    endpoint: LocalAwsEndpoint,
) -> None:
    parameters = {"Reserve": "5", "SubnetIds": "subnet-1", "SecurityGroupIds": "sg-1"}

    stack = deploy_stack(endpoint, SAM_FEATURES, parameters, "features-reserved")

    worker = stack.outputs["WorkerName"]
    concurrency = endpoint.client("lambda").get_function_concurrency(FunctionName=worker)
    assert concurrency["ReservedConcurrentExecutions"] == 5


def test_a_failing_rule_refuses_the_stack_before_anything_is_created(
    endpoint: LocalAwsEndpoint,
) -> None:
    with pytest.raises(DeployError, match="SecurityGroupIds"):
        deploy_stack(endpoint, SAM_FEATURES, {"SubnetIds": "subnet-1"}, "features-refused")

    with pytest.raises(ClientError):
        endpoint.client("cloudformation").describe_stacks(StackName="features-refused")


def test_a_resource_that_fails_names_itself_and_the_stack_rolls_back(
    endpoint: LocalAwsEndpoint, tmp_path: Path
) -> None:
    template = tmp_path / "broken.yaml"
    template.write_text(
        textwrap.dedent(
            """\
            Resources:
              Queue:
                Type: AWS::SQS::Queue
              BrokenAlias:
                Type: AWS::Lambda::Alias
                Properties:
                  FunctionName: no-such-function
                  FunctionVersion: "1"
                  Name: live
            """
        ),
        encoding="utf-8",
    )

    with pytest.raises(DeployError, match="BrokenAlias"):
        deploy_stack(endpoint, template, {}, "broken")

    cfn = endpoint.client("cloudformation")
    assert cfn.describe_stacks(StackName="broken")["Stacks"][0]["StackStatus"] == (
        "ROLLBACK_COMPLETE"
    )
    events = cfn.describe_stack_events(StackName="broken")["StackEvents"]
    failed = [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed == ["BrokenAlias"]
