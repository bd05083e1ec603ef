"""The local AWS endpoint runs the real handlers and the real state machine.

One endpoint and one deployment of ``fixtures/template.yaml`` for the whole module.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from portal_local.aws.deploy import DeployError, Stack, deploy_stack
from portal_local.aws.lambda_code import code_zip
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import TEMPLATE, invoke, wait_for_execution

pytestmark = pytest.mark.workflow

SECRET_VALUE = "correct-horse-battery-staple"


def _history(endpoint: LocalAwsEndpoint, execution_arn: str) -> list[dict[str, Any]]:
    sfn = endpoint.client("stepfunctions")
    events: list[dict[str, Any]] = sfn.get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def _failures(events: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for event in events:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
                found[(event["type"], details["error"])] += 1
    return found


# -- deployment -------------------------------------------------------------------------


def test_deploy_resolves_outputs_parameters_and_conditions(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    out = stack.outputs
    alpha = out["AlphaFunctionName"]
    assert alpha.startswith("portal-security-AlphaFunction-")
    assert out["AlphaFunctionArn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{alpha}"
    assert out["AlphaRoleArn"].startswith("arn:aws:iam::123456789012:role/")  # SAM's role
    assert out["StateMachineArn"].endswith(f":stateMachine:{out['StateMachineName']}")
    assert out["TopicArn"].startswith("arn:aws:sns:us-east-1:123456789012:")
    assert out["QueueUrl"].endswith(f"/123456789012/{stack.physical_ids['NotificationQueue']}") or (
        out["QueueUrl"] == stack.physical_ids["NotificationQueue"]
    )
    assert out["LayerArn"] == "arn:aws:lambda:us-east-1:123456789012:layer:SharedLayer:1"
    assert out["KeyArn"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert out["ParameterValue"] == "portal-security-test-hello"
    assert out["BusName"] == "portal-security-bus"
    assert out["LogGroupName"] == f"/aws/lambda/{alpha}"
    assert out["LogGroupArn"].startswith(
        f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{alpha}"
    )
    assert out["BucketArn"] == f"arn:aws:s3:::{out['BucketName']}"
    assert out["AlarmArn"] == (
        f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{stack.physical_ids['AlphaErrorsAlarm']}"
    )
    assert out["SecondColor"] == "green"
    assert out["Joined"] == "test/hello"
    assert out["SplitPart"] == "c"
    assert out["StageLabel"] == "testing"
    assert out["CompoundCondition"] == "yes"
    assert out["SubList"] == "hello-us-east-1-123456789012"
    assert out["Escaped"] == "${Literal}-aws"
    assert "ProdTopicArn" not in out
    assert "ProdOnlyTopic" not in stack.physical_ids  # its Condition is false
    assert stack.skipped == {}
    assert any("AWSLambdaPowertoolsPythonV3" in note for note in stack.notes)


def test_deployed_resources_are_configured_as_the_template_says(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    out = stack.outputs
    alpha = out["AlphaFunctionName"]
    lam = endpoint.client("lambda")
    alpha_config = lam.get_function_configuration(FunctionName=alpha)
    assert alpha_config["Environment"]["Variables"] == {
        "STAGE": "test",  # from Globals
        "LOG_LEVEL": "DEBUG",  # Globals + Fn::FindInMap
        "FUNCTION_ROLE": "alpha",
        "GREETING": "hello",
        "TABLE_NAME": out["TableName"],
        "PARAMETER_NAME": out["ParameterName"],
        "BUCKET_NAME": out["BucketName"],
    }
    assert (alpha_config["Timeout"], alpha_config["MemorySize"]) == (5, 256)
    assert [layer["Arn"] for layer in alpha_config["Layers"]] == [out["LayerArn"]]
    beta_config = lam.get_function_configuration(FunctionName=out["BetaFunctionName"])
    assert (beta_config["Timeout"], beta_config["MemorySize"]) == (1, 128)
    beta_role = endpoint.client("iam").get_role(RoleName=stack.physical_ids["BetaRole"])
    assert beta_config["Role"] == beta_role["Role"]["Arn"]

    definition = endpoint.client("stepfunctions").describe_state_machine(
        stateMachineArn=out["StateMachineArn"]
    )["definition"]
    assert "${" not in definition
    assert out["AlphaFunctionArn"] in definition
    assert out["TopicArn"] in definition

    assert endpoint.client("ssm").get_parameter(Name=out["ParameterName"])["Parameter"][
        "Value"
    ] == ("portal-security-test-hello")
    subscriptions = endpoint.client("sns").list_subscriptions_by_topic(TopicArn=out["TopicArn"])
    assert [s["Protocol"] for s in subscriptions["Subscriptions"]] == ["sqs"]
    # SAM's EventBridgeRule event: a rule on the bus, with a role to start the state machine.
    rules = endpoint.client("events").list_rules(EventBusName=out["BusName"])["Rules"]
    assert [json.loads(r["EventPattern"]) for r in rules] == [{"source": ["fixture.portal"]}]
    assert "FleetStateMachineOnPortalEventRole" in stack.physical_ids
    s3 = endpoint.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=out["BucketName"])
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    policy = s3.get_bucket_policy(Bucket=out["BucketName"])["Policy"]
    assert {"AccountReads", "DenyPlainHttp"} <= {s["Sid"] for s in json.loads(policy)["Statement"]}
    groups = endpoint.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")
    assert [g["retentionInDays"] for g in groups["logGroups"]] == [7]


def test_parameters_override_defaults_and_drive_conditions(endpoint: LocalAwsEndpoint) -> None:
    prod = deploy_stack(endpoint, TEMPLATE, {"Stage": "prod", "Greeting": "hi"}, "other-stack")

    assert prod.outputs["StageLabel"] == "production"
    assert prod.outputs["ParameterValue"] == "other-stack-prod-hi"
    assert prod.outputs["ProdTopicArn"].startswith("arn:aws:sns:")
    assert "ProdOnlyTopic" in prod.physical_ids
    env = endpoint.client("lambda").get_function_configuration(
        FunctionName=prod.outputs["AlphaFunctionName"]
    )["Environment"]["Variables"]
    assert (env["STAGE"], env["LOG_LEVEL"], env["GREETING"]) == ("prod", "INFO", "hi")


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"Stage": "staging"}, "Stage"),
        ({"NoSuchParameter": "x"}, "NoSuchParameter"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_created(
    endpoint: LocalAwsEndpoint, parameters: dict[str, str], named: str
) -> None:
    with pytest.raises(DeployError, match=named):
        deploy_stack(endpoint, TEMPLATE, parameters, "refused-stack")

    with pytest.raises(ClientError):
        endpoint.client("cloudformation").describe_stacks(StackName="refused-stack")


# -- Lambda -----------------------------------------------------------------------------


def test_invoke_returns_the_handler_result_with_a_lambda_context(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    alpha = stack.outputs["AlphaFunctionName"]

    response = invoke(endpoint, alpha, {"action": "echo"})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    body = response["Body"]
    assert body["function_name"] == alpha
    assert body["env_function_name"] == alpha
    assert body["handler_env"] == "app.handler"
    assert body["invoked_function_arn"] == stack.outputs["AlphaFunctionArn"]
    assert body["function_version"] == "$LATEST"
    assert body["memory_limit_in_mb"] == "256"
    assert body["log_group_name"] == f"/aws/lambda/{alpha}"
    assert "[$LATEST]" in body["log_stream_name"]
    assert 0 < body["remaining_ms"] <= 5000
    assert body["aws_request_id"]


def test_functions_see_only_their_own_environment_and_their_layers(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    alpha = invoke(endpoint, stack.outputs["AlphaFunctionName"], {"action": "echo"})["Body"]
    beta = invoke(endpoint, stack.outputs["BetaFunctionName"], {"action": "echo"})["Body"]

    assert (alpha["role"], alpha["greeting"]) == ("alpha", "hello")
    assert (beta["role"], beta["greeting"]) == ("beta", None)
    for body in (alpha, beta):
        assert body["stage"] == "test"
        assert body["host_marker"] is None  # nothing leaks from this process
        assert body["endpoint"] == endpoint.url
        assert body["layer_value"] == "from-the-shared-layer"
        assert body["layer_file"].startswith(str(endpoint.packages_dir))  # deployed copy
        assert body["project_package_visible"] is False  # only code + layers are importable
    assert alpha["pid"] != beta["pid"]

    # The handler reaches the local endpoint through AWS_ENDPOINT_URL.
    ssm = invoke(endpoint, stack.outputs["AlphaFunctionName"], {"action": "ssm"})
    assert ssm["Body"] == {"value": "portal-security-test-hello"}
    s3put = invoke(endpoint, stack.outputs["AlphaFunctionName"], {"action": "s3put"})["Body"]
    bucket = stack.outputs["BucketName"]
    assert endpoint.client("s3").get_object(Bucket=bucket, Key=s3put["key"])["Body"].read() == b"x"


def test_concurrent_invocations_of_one_function_run_in_parallel(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    alpha = stack.outputs["AlphaFunctionName"]

    def two_at_once(seconds: float) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(invoke, endpoint, alpha, {"action": "sleep", "seconds": seconds})
                for _ in range(2)
            ]
            return [f.result(timeout=30)["Body"] for f in futures]

    two_at_once(0.2)  # two warm workers, so that start-up time cannot hide the overlap
    first, second = two_at_once(1.0)

    assert max(first["start"], second["start"]) < min(first["end"], second["end"])  # overlap
    assert first["pid"] != second["pid"]
    # Warm workers are reused afterwards.
    again = invoke(endpoint, alpha, {"action": "sleep", "seconds": 0})["Body"]
    assert again["pid"] in {first["pid"], second["pid"]}
    assert set(endpoint.runtime.worker_pids(alpha)) >= {first["pid"], second["pid"]}


def test_handler_exception_is_an_unhandled_function_error_named_after_its_class(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    response = invoke(
        endpoint,
        stack.outputs["AlphaFunctionName"],
        {"action": "fail", "message": "maintenance mode"},
        LogType="Tail",
    )

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorType"] == "PortalRejectedError"
    assert body["errorMessage"] == "maintenance mode"
    assert body["stackTrace"]
    assert all("_lambda_worker" not in frame for frame in body["stackTrace"])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] PortalRejectedError: maintenance mode" in tail
    assert f"END RequestId: {body['requestId']}" in tail


def test_result_that_is_not_json_is_a_marshal_error(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    response = invoke(endpoint, stack.outputs["AlphaFunctionName"], {"action": "unserialisable"})

    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.MarshalError"


def test_function_timeout_kills_the_worker_and_fails_like_lambda(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    beta = stack.outputs["BetaFunctionName"]

    response = invoke(endpoint, beta, {"action": "sleep", "seconds": 5})

    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Sandbox.Timedout"
    assert response["Body"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in endpoint.function_logs()[beta]
    # The next invocation gets a fresh execution environment.
    assert invoke(endpoint, beta, {"action": "echo"})["Body"]["role"] == "beta"


def test_function_logs_are_captured_per_function(endpoint: LocalAwsEndpoint, stack: Stack) -> None:
    alpha = stack.outputs["AlphaFunctionName"]

    body = invoke(endpoint, alpha, {"action": "print", "message": "marker-5f1c"})["Body"]

    logs = endpoint.function_logs()
    assert "marker-5f1c" in logs[alpha]
    assert "marker-5f1c" not in logs.get(stack.outputs["BetaFunctionName"], "")
    assert body == {"printed": True}
    assert "START RequestId:" in logs[alpha]
    assert "REPORT RequestId:" in logs[alpha]
    records = [r for r in endpoint.invocations() if r.function_name == alpha]
    assert records
    assert all(r.memory_mb == 256 for r in records)


# -- Step Functions ---------------------------------------------------------------------


def test_state_machine_runs_the_real_handlers_end_to_end(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    secret_arn = endpoint.client("secretsmanager").create_secret(
        Name="fixture/portal", SecretString=json.dumps({"password": SECRET_VALUE})
    )["ARN"]
    portals = [
        {"action": "sleep", "seconds": 1},
        {"action": "sleep", "seconds": 1},
        {"action": "flaky"},
        {"action": "fail"},
        {"action": "sleep", "seconds": 5},  # longer than the Task's TimeoutSeconds (3)
        {"target": "beta", "action": "sleep", "seconds": 3},  # longer than beta's Timeout (1)
        {"target": "beta", "action": "echo"},
    ]
    sfn = endpoint.client("stepfunctions")

    execution_arn = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        name="fleet-run-1",
        input=json.dumps({"secretArn": secret_arn, "waitSeconds": 1, "portals": portals}),
    )["executionArn"]
    described = wait_for_execution(sfn, execution_arn)

    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    output = json.loads(described["output"])
    assert output["secret"]["name"] == "fixture/portal"  # aws-sdk task + ResultSelector
    assert output["label"] == "run fleet-run-1 on test"  # intrinsics + substitution
    assert output["count"] == len(portals)
    assert json.loads(output["portalsJson"]) == portals
    items = output["items"]
    assert [item["index"] for item in items] == list(range(len(portals)))
    first, second = items[0]["result"], items[1]["result"]
    assert max(first["start"], second["start"]) < min(first["end"], second["end"])  # Map ran 2
    assert items[2]["result"] == {"attempts": 2}  # Retry matched the exception class name
    assert items[3] == {"failed": True, "error": "PortalRejectedError", "index": 3}  # Catch
    assert items[4] == {"failed": True, "error": "States.Timeout", "index": 4}
    assert items[5] == {"failed": True, "error": "Sandbox.Timedout", "index": 5}
    assert items[6]["result"]["role"] == "beta"

    events = _history(endpoint, execution_arn)
    failures = _failures(events)
    assert failures[("TaskFailed", "TransientPortalError")] == 1  # then the retry succeeded
    assert failures[("TaskFailed", "PortalRejectedError")] == 1  # not retried
    assert failures[("TaskTimedOut", "States.Timeout")] == 1
    assert failures[("LambdaFunctionFailed", "Sandbox.Timedout")] == 1
    types = {event["type"] for event in events}
    assert {"MapStateStarted", "WaitStateEntered", "ExecutionSucceeded"} <= types

    # sns:publish reached the queue subscribed to the topic.
    messages = endpoint.client("sqs").receive_message(
        QueueUrl=stack.outputs["QueueUrl"], WaitTimeSeconds=2, MaxNumberOfMessages=1
    )["Messages"]
    assert json.loads(messages[0]["Body"]) == items

    # ResultSelector keeps the secret value out of the state output and the functions
    # never see it...
    assert SECRET_VALUE not in described["output"]
    assert all(SECRET_VALUE not in log for log in endpoint.function_logs().values())
    # ...but the TaskSucceeded event records the raw API response, as on AWS: a workflow
    # must never read a secret value from a Task (this is why the project's doesn't).
    succeeded = [
        e["taskSucceededEventDetails"]
        for e in events
        if e["type"] == "TaskSucceeded"
        and e["taskSucceededEventDetails"]["resourceType"] == "aws-sdk:secretsmanager"
    ]
    assert len(succeeded) == 1
    assert SECRET_VALUE in succeeded[0]["output"]


def test_unnamed_executions_get_unique_names_and_aws_sdk_errors_use_aws_names(
    endpoint: LocalAwsEndpoint, stack: Stack
) -> None:
    sfn = endpoint.client("stepfunctions")
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf"
    document = json.dumps({"secretArn": missing, "waitSeconds": 0, "portals": []})

    arns = [
        sfn.start_execution(stateMachineArn=stack.outputs["StateMachineArn"], input=document)[
            "executionArn"
        ]
        for _ in range(2)
    ]
    described = [wait_for_execution(sfn, arn) for arn in arns]

    names = [d["name"] for d in described]
    assert len(set(names)) == 2
    assert "None" not in names
    for execution in described:
        assert execution["status"] == "SUCCEEDED"
        output = json.loads(execution["output"])
        assert output["secretError"]["Error"] == "SecretsManager.ResourceNotFoundException"
        assert output["items"] == []


def test_a_handler_that_cannot_be_imported_fails_like_lambda(
    endpoint: LocalAwsEndpoint, stack: Stack, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("import module_from_a_missing_layer\n", encoding="utf-8")
    endpoint.client("lambda").create_function(
        FunctionName="no-layer",
        Runtime="python3.11",
        Role=stack.outputs["AlphaRoleArn"],
        Handler="app.handler",
        Code={"ZipFile": code_zip(tmp_path)},
    )

    response = invoke(endpoint, "no-layer", {})

    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert "module_from_a_missing_layer" in response["Body"]["errorMessage"]


def test_only_one_endpoint_runs_per_process(endpoint: LocalAwsEndpoint, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        LocalAwsEndpoint(run_dir=tmp_path)
    assert endpoint.client("sts").get_caller_identity()["Account"] == "123456789012"
