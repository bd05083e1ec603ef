"""What a real account gets from template.yaml: the template as CloudFormation receives
it (the real SAM transform, offline), its conditions decided at the default parameters
and at a production-like set (customer key, VPC, reserved concurrency, ...).

No socket and no moto: the translator and the template alone (issue 9).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from portal_automation import settings
from portal_local.aws.deploy import load_template
from portal_local.tools.asl_check import settings_model
from portal_local.tools.translated import PRODUCTION, REQUIRED, resolve, translate

ROOT = Path(__file__).resolve().parents[2]
PORTAL_FACING = {
    "PreflightFunction",
    "ApplyChangeFunction",
    "PollHealthFunction",
    "VerifyFunction",
    "RollbackConfigFunction",
    "RecordFailureFunction",
    "SummarizeFunction",  # it settles a stopped portal's AWSPENDING by asking the portal
}


@cache
def _translated() -> dict[str, Any]:
    return translate()


@cache
def deployed(kind: str) -> dict[str, Any]:
    given = {"defaults": REQUIRED, "production": PRODUCTION}[kind]
    return resolve(_translated(), given)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def functions(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in of_type(deployed(kind), "AWS::Lambda::Function").items()}


@pytest.mark.parametrize("kind", ["defaults", "production"])
def test_every_function_logs_json_to_its_own_group_with_retention(kind: str) -> None:
    resources = deployed(kind)["Resources"]
    groups = []
    for name, props in functions(kind).items():
        config = props["LoggingConfig"]
        assert config["LogFormat"] == "JSON", name
        group = resources[config["LogGroup"]["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup", name
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        if kind == "production":
            assert group["Properties"]["KmsKeyId"] == {"Ref": "KmsKeyArn"}, name
        else:
            assert "KmsKeyId" not in group["Properties"], name
        groups.append(config["LogGroup"]["Ref"])
    assert len(groups) == len(set(groups)) == 13


def test_no_function_reserves_concurrency_unless_asked() -> None:
    assert all("ReservedConcurrentExecutions" not in p for p in functions("defaults").values())
    assert {str(p["ReservedConcurrentExecutions"]) for p in functions("production").values()} == {
        str({"Ref": "ReservedConcurrency"})
    }


def test_alarms_reach_the_topic_with_the_default_parameters() -> None:
    """CloudWatch cannot use alias/aws/sns: without a customer key the topic is
    encrypted with the stack's own key, whose policy lets CloudWatch use it."""
    resources = deployed("defaults")["Resources"]
    topic = resources["OutcomeTopic"]["Properties"]
    key = resources[topic["KmsMasterKeyId"]["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    grants = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if "cloudwatch.amazonaws.com" in s.get("Principal", {}).get("Service", [])
    ]
    assert grants
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(grants[0]["Action"])
    (policy,) = of_type(deployed("defaults"), "AWS::SNS::TopicPolicy").values()
    publish = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and s["Action"] == "sns:Publish"
        for s in publish
    )
    alarms = of_type(deployed("defaults"), "AWS::CloudWatch::Alarm")
    assert {"RotationFunctionErrorsAlarm", "ExecutionsTimedOutAlarm"} <= set(alarms)
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OutcomeTopic"}], name


def test_with_a_customer_key_the_topic_uses_it_and_the_stack_makes_none() -> None:
    resources = deployed("production")["Resources"]
    assert resources["OutcomeTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "KmsKeyArn"}
    assert not of_type(deployed("production"), "AWS::KMS::Key")


def test_runs_are_pinned_to_versions() -> None:
    """FAULTS row 41: the definition calls function versions, runs start through the
    state machine's alias, and the triggers call function aliases."""
    template = deployed("defaults")
    resources = template["Resources"]
    machine = resources["PortalSecurityStateMachine"]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    function_arns = {k: v for k, v in substitutions.items() if k.endswith("FunctionArn")}
    assert len(function_arns) == 10
    for name, value in function_arns.items():
        assert resources[value["Ref"]]["Type"] == "AWS::Lambda::Version", name
    assert json.loads(_json_definition(machine))["TimeoutSeconds"] == 604800  # 7 days
    alias = {"Ref": "PortalSecurityStateMachineAliaslive"}
    assert resources["PortalSecurityStateMachineAliaslive"]["Type"] == (
        "AWS::StepFunctions::StateMachineAlias"
    )
    for name in ("RotationFunction", "StartFromEventFunction"):
        env = functions("defaults")[name]["Environment"]["Variables"]
        assert env["PORTAL_AUTOMATION_STATE_MACHINE_ARN"] == alias, name
    for name, rule in of_type(template, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            assert resources[target["Arn"]["Ref"]]["Type"] == "AWS::Lambda::Alias", name
    assert template["Outputs"]["StateMachineAliasArn"]["Value"] == alias


def _json_definition(machine: dict[str, Any]) -> str:
    """The definition SAM wrote as lines, with each substitution as a placeholder."""
    separator, lines = machine["DefinitionString"]["Fn::Join"]
    return separator.join(line if isinstance(line, str) else '"?"' for line in lines)


def test_outcome_notifications_carry_filterable_attributes() -> None:
    machine = deployed("defaults")["Resources"]["PortalSecurityStateMachine"]["Properties"]
    states = json.loads(_json_definition(machine))["States"]
    for name in ("Notify", "NotifyRejected"):
        attributes = states[name]["Parameters"]["MessageAttributes"]
        assert set(attributes) == {"outcome", "action"}, name


def test_only_the_portal_facing_functions_join_the_vpc() -> None:
    assert not [n for n, p in functions("defaults").items() if "VpcConfig" in p]
    joined = {n for n, p in functions("production").items() if "VpcConfig" in p}
    assert joined == PORTAL_FACING


def test_a_failing_start_gets_lambdas_retries_then_the_dead_letter_queue() -> None:
    """EventBridge invokes its targets asynchronously: a target RetryPolicy only covers
    delivery, so each target function's own invoke config decides what a failure does."""
    resources = deployed("defaults")["Resources"]
    configs = of_type(deployed("defaults"), "AWS::Lambda::EventInvokeConfig").values()
    targets = {
        t["Arn"]["Ref"].removesuffix("Aliaslive")
        for rule in of_type(deployed("defaults"), "AWS::Events::Rule").values()
        for t in rule["Properties"]["Targets"]
    }
    # The daily fleet status too: its failures are alarmed like every other (issue 19).
    assert targets == {"StartFromEventFunction", "SummarizeFunction", "FleetStatusFunction"}
    assert {c["Properties"]["FunctionName"]["Ref"] for c in configs} == targets
    for config in configs:
        props = config["Properties"]
        assert props["Qualifier"] == "live"  # the alias the rules invoke
        assert props["MaximumRetryAttempts"] == 2
        destination = props["DestinationConfig"]["OnFailure"]["Destination"]
        assert resources[destination["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"


def test_each_function_gets_exactly_the_variables_its_settings_model_reads() -> None:
    """A variable the model requires and the template forgets fails the cold start in
    the account; one the template sets and no model reads is a dead setting."""
    written = load_template(ROOT / "template.yaml")
    shared = set(written["Globals"]["Function"]["Environment"]["Variables"])
    prefixed = re.compile(f"^{settings.ENV_PREFIX}")
    for name, props in functions("production").items():
        model = settings_model(
            ROOT / written["Resources"][name]["Properties"]["CodeUri"] / "app.py"
        )
        required, optional = settings.variable_names(model)
        given = {v for v in props["Environment"]["Variables"] if prefixed.match(v)}
        assert required <= given, (name, required - given)
        assert given - shared <= required | optional, (name, given - shared - required - optional)


GUARD_RAILS = [
    (
        "KmsKeyArn",
        "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        True,
    ),
    ("KmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:alias/portal", False),
    ("KmsKeyArn", "", True),
    ("SecretArnPrefix", PRODUCTION["SecretArnPrefix"], True),
    ("SecretArnPrefix", PRODUCTION["SecretArnPrefix"].rstrip("/"), False),
    ("SecretArnPrefix", PRODUCTION["SecretArnPrefix"] + "*/", False),
    ("SecretArnPrefix", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/", True),
    ("RotationSchedule", "rate(90 days)", True),
    ("RotationSchedule", "rate(1 days)", False),  # 1 takes the singular, others the plural
    ("RotationSchedule", "rate(0 days)", False),
    ("RotationSchedule", "rate(10 days)", True),
    ("RotationSchedule", "cron(0 3 ? * SUN *)", True),
    ("RotationSchedule", "every 90 days", False),
    ("DriftSchedule", "rate(1 day)", True),
    ("FleetRotationSchedule", "", True),
    ("FleetRotationSchedule", "rate(30 days)", True),
    ("ReservedConcurrency", "", True),
    ("ReservedConcurrency", "-1", False),
]


@pytest.mark.parametrize(("parameter", "value", "accepted"), GUARD_RAILS)
def test_parameter_guard_rails(parameter: str, value: str, accepted: bool) -> None:
    spec = load_template(ROOT / "template.yaml")["Parameters"][parameter]
    assert bool(re.fullmatch(spec["AllowedPattern"], value)) is accepted


def test_the_desired_document_parameter_can_outgrow_a_standard_parameter() -> None:
    parameter = load_template(ROOT / "template.yaml")["Resources"]["DesiredConfigParameter"]
    assert parameter["Properties"]["Tier"] == "Intelligent-Tiering"
