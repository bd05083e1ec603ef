"""What template.yaml decides about locks, stopped runs and who may change what (issue 18,
part B), read from the template as CloudFormation receives it and from the ASL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from portal_automation.workflow.locks import (
    LONGEST_TASK_SECONDS,
    MAX_RECHECK_SECONDS,
    RETRY_DELAY_SECONDS,
)
from portal_automation.workflow.models import Timing
from portal_local.aws.access import evaluate, statements_of
from portal_local.aws.deploy import load_template
from portal_local.aws.moto_endpoint import match_event_pattern
from portal_local.tools.asl_check import walk_states

from .test_deployed_template import deployed

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "statemachine/portal_security.asl.json").read_text())
STACK = "prod"
ACCOUNT = "123456789012"
PORTAL_STEPS = ("ApplyChange", "PollHealth", "Verify", "RollbackConfig", "Preflight", "Finalize")


def concrete(value: Any) -> Any:
    """A translated template value with the pseudo parameters (and the secret prefix)
    filled in."""
    text = json.dumps(value)
    for name, real in {
        "AWS::Partition": "aws",
        "AWS::Region": "us-east-1",
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": STACK,
        "SecretArnPrefix": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:portal-admin/",
    }.items():
        text = text.replace("${" + name + "}", real)
    return re.sub(
        r'\{"Fn::Sub": ("[^"]*")\}', lambda m: m.group(1), text
    )  # a Sub of nothing but pseudo parameters is its text


def test_the_lock_outlasts_the_longest_gap_between_renewals_the_deployment_decides() -> None:
    """workflow/locks.py's constants are the ASL's, and LockTtlSeconds' minimum covers
    them with the default waits (a run asking for longer ones is refused by the planner:
    tests/steps/test_lifecycle.py)."""
    states = dict(walk_states(ASL["States"]))
    tasks = [states[name] for name in PORTAL_STEPS]
    throttled = [
        r
        for task in tasks
        for r in task.get("Retry", [])
        if "Lambda.TooManyRequestsException" in r["ErrorEquals"]
    ]
    template = load_template(ROOT / "template.yaml")["Parameters"]
    default_gap = LONGEST_TASK_SECONDS + RETRY_DELAY_SECONDS
    default_gap += max(MAX_RECHECK_SECONDS, Timing().poll_interval_seconds)

    assert max(t["TimeoutSeconds"] for t in tasks) == LONGEST_TASK_SECONDS
    assert template["ChangeFunctionTimeout"]["MaxValue"] <= LONGEST_TASK_SECONDS
    assert max(r["MaxAttempts"] * r["MaxDelaySeconds"] for r in throttled) == RETRY_DELAY_SECONDS
    assert template["LockTtlSeconds"]["MinValue"] >= default_gap
    assert template["LockTtlSeconds"]["Default"] >= template["LockTtlSeconds"]["MinValue"]


def test_the_state_machine_role_names_only_its_own_state_machine() -> None:
    """A state machine of another stack whose name extends this one's (``prod-portal-
    security-copy``) gets no child execution started or stopped by this role."""
    role = deployed("defaults")["Resources"]["PortalSecurityStateMachineRole"]["Properties"]
    statements = [
        s
        for policy in role["Policies"]
        for s in statements_of(json.loads(concrete(policy["PolicyDocument"])))
    ]
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}"
    own, other = f"{STACK}-portal-security", f"{STACK}-portal-security-copy"

    def allowed(action: str, resource: str) -> bool:
        return evaluate(statements, action, resource) == "Allow"

    assert allowed("states:StartExecution", f"{arn}:stateMachine:{own}")
    assert not allowed("states:StartExecution", f"{arn}:stateMachine:{other}")
    child = f"{arn}:execution:{own}/Portals:0b9e"
    assert allowed("states:StopExecution", child)
    assert allowed("states:DescribeExecution", child)
    assert not allowed("states:StopExecution", f"{arn}:execution:{other}/Portals:0b9e")
    assert not allowed("states:StopExecution", f"{arn}:execution:{own}-copy:run")


def test_the_run_ended_rule_matches_only_this_state_machines_own_executions() -> None:
    rule = deployed("defaults")["Resources"]["RunEndedRule"]["Properties"]
    pattern = json.loads(concrete(rule["EventPattern"]))
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}"

    def event(execution: str, status: str = "ABORTED") -> dict[str, Any]:
        return {
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "detail": {"executionArn": execution, "status": status},
        }

    own = f"{arn}:execution:{STACK}-portal-security:run-1"
    assert match_event_pattern(pattern, event(own))
    assert match_event_pattern(pattern, event(own, "TIMED_OUT"))
    assert not match_event_pattern(pattern, event(own, "RUNNING"))
    assert not match_event_pattern(pattern, event(own, "SUCCEEDED"))
    assert not match_event_pattern(
        pattern, event(f"{arn}:execution:{STACK}-portal-security/Portals:x")
    )
    assert not match_event_pattern(
        pattern, event(f"{arn}:execution:{STACK}-portal-security-copy:r")
    )


def test_only_awspending_moves_where_a_failure_is_settled() -> None:
    """RecordFailure and the cleanup (Summarize) may take AWSPENDING off this run's
    version, never move AWSCURRENT (the IAM condition secretsmanager:VersionStage)."""
    resources = deployed("defaults")["Resources"]
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:portal-admin/gis-AbCdEf"
    for function, stages in (
        ("RecordFailureFunction", {"AWSPENDING"}),
        ("SummarizeFunction", {"AWSPENDING"}),
        ("FinalizeFunction", {"AWSCURRENT", "AWSPENDING"}),
        ("RotationFunction", {"AWSCURRENT", "AWSPENDING"}),
    ):
        role = resources[f"{function}Role"]["Properties"]
        statements = [
            s
            for p in role.get("Policies", [])
            for s in statements_of(json.loads(concrete(p["PolicyDocument"])))
        ]
        for stage in ("AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"):
            context = {"secretsmanager:VersionStage": stage}
            verdict = evaluate(
                statements, "secretsmanager:UpdateSecretVersionStage", secret, context
            )
            assert (verdict == "Allow") is (stage in stages), (function, stage)
