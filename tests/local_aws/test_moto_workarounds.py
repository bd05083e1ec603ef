"""Each moto workaround is still needed: raw moto (no endpoint, no patch) still has the bug.

Every test here runs moto in-process (``mock_aws``) with the endpoint's configuration but
none of :mod:`portal_local.aws.moto_workarounds` installed, and asserts the behaviour
the workaround exists for. When a moto upgrade fixes one, its test fails: delete the
workaround (and the test). ``test_every_workaround_has_a_raw_moto_test`` keeps the list
complete. No endpoint may run in this module (moto's state is per process).
"""

from __future__ import annotations

import inspect
import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from portal_local.aws import moto_workarounds
from portal_local.aws.moto_workarounds import API_CREATED, MOTO_CONFIG, WORKAROUNDS

from tests.local_aws._support import trust_policy

REGION = "us-east-1"
TRUST = trust_policy("lambda.amazonaws.com")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]

        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

        yield client


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _function(aws: Any, name: str = "fn", **kwargs: Any) -> str:
    role = aws("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST)
    return str(
        aws("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": _zip("def handler(event, context):\n    return {'ran': True}\n")},
            **kwargs,
        )["FunctionArn"]
    )


def _run(aws: Any, definition: dict[str, Any], document: Any = None) -> dict[str, Any]:
    role = aws("iam").create_role(
        RoleName=f"sfn-{time.monotonic_ns()}", AssumeRolePolicyDocument=TRUST
    )
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"raw-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn=role["Role"]["Arn"],
    )["stateMachineArn"]
    arn = sfn.start_execution(
        stateMachineArn=machine, name="run", input=json.dumps(document or {})
    )["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    pytest.fail("raw execution still running after 60 s")


def _stack(aws: Any, template: dict[str, Any], **kwargs: Any) -> Any:
    return aws("cloudformation").create_stack(
        StackName=f"raw-{time.monotonic_ns()}", TemplateBody=json.dumps(template), **kwargs
    )


# -- Lambda -----------------------------------------------------------------------------


def test_raw_moto_lambda_runs_no_code(aws: Any) -> None:
    _function(aws)
    answer = aws("lambda").invoke(FunctionName="fn", Payload=b'{"asked": 1}')
    assert json.loads(answer["Payload"].read()) == {"asked": 1}  # the body, not the handler's


def test_raw_moto_invoke_ignores_qualifier(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: PLC0415

    seen: list[Any] = []
    monkeypatch.setattr(
        LambdaSimpleBackend, "invoke", lambda _b, _n, qualifier, *_a: seen.append(qualifier)
    )
    _function(aws)
    aws("lambda").publish_version(FunctionName="fn")
    aws("lambda").invoke(FunctionName="fn", Qualifier="1", Payload=b"{}")
    assert seen == [None]  # AWS: version 1


def test_raw_moto_lambda_service_errors_unnamed(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.awslambda.exceptions import LambdaClientError  # noqa: PLC0415
    from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: PLC0415

    def throttled(*args: Any, **kwargs: Any) -> None:
        error = LambdaClientError("TooManyRequestsException", "Rate exceeded")
        error.code = 429
        raise error

    arn = _function(aws)
    monkeypatch.setattr(LambdaSimpleBackend, "invoke", throttled)
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": arn,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    output = json.loads(_run(aws, definition)["output"])
    assert output["Error"] == "Exception"  # AWS: Lambda.TooManyRequestsException


# -- Step Functions ---------------------------------------------------------------------


def test_raw_moto_interpreter_calls_port_5000(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client  # noqa: PLC0415

    monkeypatch.delenv("MOTO_PORT", raising=False)
    assert boto_client.moto_server_port() == "5000"
    assert "moto_server_port()" in inspect.getsource(boto_client.boto_client_for)


def test_raw_moto_unnamed_execution_is_named_none(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    assert started["executionArn"].endswith(":None")


def test_raw_moto_start_by_version_or_alias_fails(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role, publish=True)
    version = machine["stateMachineVersionArn"]
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )
    for qualified in (version, f"{machine['stateMachineArn']}:live"):
        with pytest.raises(Exception):  # noqa: B017, PT011 - a 500 or StateMachineDoesNotExist
            sfn.start_execution(stateMachineArn=qualified, name="run")


def test_raw_moto_execution_names_not_validated(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=definition, roleArn=role)
    for name in ("has space", "a/b", "x" * 81):
        started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=name)
        assert started["executionArn"]  # AWS: InvalidName (ValidationException past 80)


def test_raw_moto_aws_sdk_errors_lower_case() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: PLC0415
        state_task_service_aws_sdk as aws_sdk,
    )

    name = aws_sdk.StateTaskServiceAwsSdk._normalise_service_error_name("secretsmanager")
    assert name == "secretsmanager"  # AWS: SecretsManager
    assert moto_workarounds.aws_sdk_error_prefix("secretsmanager") == "SecretsManager"


def test_raw_moto_step_functions_quotas_not_enforced(aws: Any) -> None:
    big = "x" * (200 * 1024)
    too_big = {"big": "y" * (moto_workarounds.MAX_PAYLOAD_BYTES + 1)}
    arn = _function(aws)  # the simple backend answers with the request: a 400 KiB result
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload": {"a.$": "$.big", "b.$": "$.big"}},
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}
                ],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Parameters": {"caught.$": "$.error.Error"}, "End": True},
        },
    }
    caught = _run(aws, definition, {"big": big})
    assert caught["status"] == "SUCCEEDED"  # AWS: FAILED, States.ALL cannot catch it
    assert json.loads(caught["output"]) == {"caught": "States.DataLimitExceeded"}
    started = _run(aws, {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, too_big)
    assert started["executionArn"]  # AWS: StartExecution answers InvalidExecutionInput
    from moto.stepfunctions.parser.asl.eval.event import event_manager  # noqa: PLC0415

    assert "25" not in inspect.getsource(event_manager.EventManager.add_event)  # no history cap


def test_raw_moto_map_iteration_states_errors_become_runtime(aws: Any) -> None:
    failing = {"Type": "Fail", "Error": "States.Timeout", "Cause": "iteration timed out"}
    definition = {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "F", "States": {"F": failing}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Pass", "OutputPath": "$.error", "End": True},
        },
    }
    output = json.loads(_run(aws, definition, {"items": [1]})["output"])
    assert output["Error"] == "States.Runtime"  # AWS: States.Timeout


def _one_child_fails(aws: Any) -> dict[str, Any]:
    """A Distributed Map over two items, the second one failing, run to its end."""
    work = {"Type": "Pass", "End": True}
    failing = {"Type": "Fail", "Error": "Broken", "Cause": "an item failed"}
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}],
        "Default": "Work",
    }
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Pick",
        "States": {"Pick": choice, "Work": work, "Fail": failing},
    }
    the_map = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
    items = [{"fail": False}, {"fail": True}]
    return _run(aws, {"StartAt": "Fleet", "States": {"Fleet": the_map}}, {"items": items})


def test_raw_moto_distributed_map_children_not_executions(aws: Any) -> None:
    done = _one_child_fails(aws)
    sfn = aws("stepfunctions")
    run = sfn.list_map_runs(executionArn=done["executionArn"])["mapRuns"][0]["mapRunArn"]
    with pytest.raises(Exception):  # noqa: B017, PT011 - a 500 (AWS: the two children)
        sfn.list_executions(mapRunArn=run)
    counts = sfn.describe_map_run(mapRunArn=run)["executionCounts"]
    assert counts["running"] == 1  # the failed child (AWS: running 0, failed 1)
    events = sfn.get_execution_history(executionArn=done["executionArn"], maxResults=1)
    assert len(events["events"]) > 1  # AWS: one event and a nextToken


def test_raw_moto_map_run_tolerates_any_failure(aws: Any) -> None:
    done = _one_child_fails(aws)
    assert done["status"] == "SUCCEEDED"  # AWS: FAILED, States.ExceedToleratedFailureThreshold


# -- Secrets Manager, S3 ----------------------------------------------------------------


def test_raw_moto_secret_default_version_stale(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    current = sm.describe_secret(SecretId="s")["VersionIdsToStages"]
    first = next(iter(current))
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken="t" * 32
    )
    sm.update_secret_version_stage(
        SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId="t" * 32, RemoveFromVersionId=first
    )
    assert sm.get_secret_value(SecretId="s", VersionStage="AWSCURRENT")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "one"  # AWS: AWSCURRENT


def test_raw_moto_secret_version_value_overwritten(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    token = "p" * 32
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )
    sm.put_secret_value(
        SecretId="s", SecretString="three", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )  # AWS: ResourceExistsException
    assert sm.get_secret_value(SecretId="s", VersionId=token)["SecretString"] == "three"


def test_raw_moto_unlabelled_versions_listed(aws: Any) -> None:
    sm = aws("secretsmanager")
    sm.create_secret(Name="s", SecretString="one")
    token = "p" * 32
    sm.put_secret_value(
        SecretId="s", SecretString="two", VersionStages=["AWSPENDING"], ClientRequestToken=token
    )
    sm.update_secret_version_stage(
        SecretId="s", VersionStage="AWSPENDING", RemoveFromVersionId=token
    )
    assert sm.describe_secret(SecretId="s")["VersionIdsToStages"][token] == []  # AWS: absent


def test_raw_moto_bucket_policy_conditions_deny(aws: Any) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="raw-bucket")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyPlainHttp",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::raw-bucket", "arn:aws:s3:::raw-bucket/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="raw-bucket", Policy=json.dumps(policy))
    with pytest.raises(s3.exceptions.ClientError, match=r"403|AccessDenied"):
        s3.put_object(Bucket="raw-bucket", Key="k", Body=b"x")  # AWS: allowed over HTTPS


def test_raw_moto_event_bus_policy_not_enforced(aws: Any) -> None:
    events = aws("events")
    bus = events.create_event_bus(Name="raw-bus")["EventBusArn"]
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NobodyPutsRequests",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": bus,
                "Condition": {"StringEquals": {"events:source": ["requests"]}},
            }
        ],
    }
    events.put_permission(EventBusName="raw-bus", Policy=json.dumps(deny))
    entry = {"EventBusName": "raw-bus", "Source": "requests", "DetailType": "t", "Detail": "{}"}
    answer = events.put_events(Entries=[entry])  # AWS: AccessDeniedException
    assert answer["FailedEntryCount"] == 0


def test_raw_moto_function_role_policies_not_enforced(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="no-grants", AssumeRolePolicyDocument=TRUST)["Role"]
    creds = aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="fn")["Credentials"]
    sm = boto3.client(
        "secretsmanager",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    sm.create_secret(Name="anything", SecretString="x")  # AWS: AccessDeniedException
    assert sm.get_secret_value(SecretId="anything")["SecretString"] == "x"


# -- CloudFormation ---------------------------------------------------------------------


def test_raw_moto_stack_failure_is_a_500(aws: Any) -> None:
    template = {
        "Resources": {
            "Broken": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": "no-such-function",
                    "Action": "lambda:InvokeFunction",
                    "Principal": "events.amazonaws.com",
                },
            }
        }
    }
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto lets its own exception escape
        _stack(aws, template)
    stacks = aws("cloudformation").describe_stacks()["Stacks"]
    assert [s["StackStatus"] for s in stacks] != ["ROLLBACK_COMPLETE"]


def test_raw_moto_conditional_resources_listed_empty(aws: Any) -> None:
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Skipped": {"Type": "AWS::SQS::Queue", "Condition": "Never"},
        },
    }
    stack_id = _stack(aws, template)["StackId"]
    resources = aws("cloudformation").list_stack_resources(StackName=stack_id)
    assert "" in [r.get("LogicalResourceId", "") for r in resources["StackResourceSummaries"]]


def test_raw_moto_list_parameter_defaults_not_split(aws: Any) -> None:
    template = {
        "Parameters": {"Colors": {"Type": "CommaDelimitedList", "Default": "red,green,blue"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Second": {"Value": {"Fn::Select": [1, {"Ref": "Colors"}]}}},
    }
    stack_id = _stack(aws, template)["StackId"]
    outputs = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"] == "e"  # AWS: green


def test_raw_moto_no_value_kept_in_lists(aws: Any) -> None:
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "raw-role",
                    "AssumeRolePolicyDocument": json.loads(TRUST),
                    "Policies": [
                        {
                            "PolicyName": "p",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                                    {
                                        "Fn::If": [
                                            "Never",
                                            {"Effect": "Allow"},
                                            {"Ref": "AWS::NoValue"},
                                        ]
                                    },
                                ],
                            },
                        }
                    ],
                },
            }
        },
    }
    _stack(aws, template)
    document = aws("iam").get_role_policy(RoleName="raw-role", PolicyName="p")["PolicyDocument"]
    # the item stays: a None in the list (stored as Python's repr: not even JSON)
    assert "None" in str(document)


def test_raw_moto_role_policies_mangled(aws: Any) -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "raw-managed",
                    "AssumeRolePolicyDocument": json.loads(TRUST),
                    "ManagedPolicyArns": [arn],
                    "Policies": [{"PolicyName": "p", "PolicyDocument": json.loads(TRUST)}],
                },
            }
        }
    }
    _stack(aws, template)
    attached = aws("iam").list_attached_role_policies(RoleName="raw-managed")
    assert attached["AttachedPolicies"] == []
    document = aws("iam").get_role_policy(RoleName="raw-managed", PolicyName="p")
    assert isinstance(document["PolicyDocument"], str)  # not JSON: boto3 could not parse it


def test_raw_moto_parameters_not_validated(aws: Any) -> None:
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["test", "prod"]},
            "Size": {"Type": "Number", "MinValue": 30},
        },
        "Rules": {
            "Never": {
                "Assertions": [{"Assert": {"Fn::Equals": ["a", "b"]}, "AssertDescription": "no"}]
            }
        },
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    }
    parameters = [
        {"ParameterKey": "Stage", "ParameterValue": "staging"},
        {"ParameterKey": "Size", "ParameterValue": "15"},
    ]
    stack_id = _stack(aws, template, Parameters=parameters)["StackId"]
    status = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"  # AWS: ValidationError, nothing created


@pytest.mark.parametrize("cfn_type", sorted(API_CREATED))
def test_raw_moto_cfn_types_missing_or_broken(aws: Any, cfn_type: str) -> None:
    from moto.cloudformation import parsing  # noqa: PLC0415

    broken = BROKEN.get(cfn_type)
    if broken is None:
        assert cfn_type not in parsing.get_model_map()
    else:
        assert cfn_type in parsing.get_model_map()
        broken(aws)


def _ref_is_an_object(aws: Any, resource: dict[str, Any]) -> None:
    template = {"Resources": {"R": resource}, "Outputs": {"Ref": {"Value": {"Ref": "R"}}}}
    try:
        stack_id = _stack(aws, template)["StackId"]
        outputs = aws("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["Outputs"]
    except Exception:  # noqa: BLE001 - moto fails with its own exception or a 500
        return
    assert not outputs[0]["OutputValue"].startswith("arn:")  # the model object's repr


def _broken_event_bus(aws: Any) -> None:
    _ref_is_an_object(aws, {"Type": "AWS::Events::EventBus", "Properties": {"Name": "raw-bus"}})


def _broken_layer_version(aws: Any) -> None:
    content = {"ZipFile": "x"}
    _ref_is_an_object(
        aws, {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": content}}
    )


def _broken_lambda_version(aws: Any) -> None:
    _function(aws)
    _ref_is_an_object(aws, {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": "fn"}})


def _broken_lambda_function(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="raw-fn", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    layer = aws("lambda").publish_layer_version(LayerName="l", Content={"ZipFile": _zip("")})
    properties = {
        "FunctionName": "raw-fn",
        "Runtime": "python3.11",
        "Handler": "app.handler",
        "Role": role,
        "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
        "Layers": [layer["LayerVersionArn"]],
        "Architectures": ["arm64"],
    }
    _stack(aws, {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": properties}}})
    config = aws("lambda").get_function_configuration(FunctionName="raw-fn")
    assert config.get("Layers", []) == []
    assert config["Architectures"] == ["x86_64"]


def _broken_state_machine(aws: Any) -> None:
    role = aws("iam").create_role(RoleName="raw-sm", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Result": "${Value}", "End": True}},
    }
    properties = {
        "StateMachineName": "raw-sm",
        "DefinitionString": json.dumps(definition),
        "DefinitionSubstitutions": {"Value": "substituted"},
        "RoleArn": role,
    }
    _stack(
        aws,
        {
            "Resources": {
                "M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": properties}
            }
        },
    )
    machines = aws("stepfunctions").list_state_machines()["stateMachines"]
    assert machines == []  # created where the API (execute_state_machine) does not look


def _broken_kms_key(aws: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's KeyError escapes
        _stack(aws, {"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {}}}})


def _broken_ssm_parameter(aws: Any) -> None:
    resource = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}
    with pytest.raises(Exception):  # noqa: B017, PT011 - moto's AttributeError escapes
        _stack(aws, {"Resources": {"P": resource}})


BROKEN = {
    "AWS::SSM::Parameter": _broken_ssm_parameter,
    "AWS::KMS::Key": _broken_kms_key,
    "AWS::Events::EventBus": _broken_event_bus,
    "AWS::Lambda::LayerVersion": _broken_layer_version,
    "AWS::Lambda::Version": _broken_lambda_version,
    "AWS::Lambda::Function": _broken_lambda_function,
    "AWS::StepFunctions::StateMachine": _broken_state_machine,
}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # its death
def test_raw_moto_server_bound_here() -> None:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=taken.getsockname()[1])
        starting = threading.Thread(target=server.start, daemon=True)
        starting.start()
        starting.join(3.0)
        assert starting.is_alive()  # start() never returns (the daemon thread is left)
    with socket.socket() as again:
        again.bind(("127.0.0.1", 0))
        again.listen()
        with pytest.raises(OSError, match="cannot listen"):
            moto_workarounds.server_bound_here("127.0.0.1", again.getsockname()[1])


def test_every_workaround_has_a_raw_moto_test() -> None:
    names = {w.__name__ for w in WORKAROUNDS} | {"server_bound_here"}
    tests = {
        name.removeprefix("test_raw_moto_")
        for name in globals()
        if name.startswith("test_raw_moto_")
    }
    assert names == tests
    for workaround in WORKAROUNDS:
        assert workaround.__doc__, workaround.__name__
