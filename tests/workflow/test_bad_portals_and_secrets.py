"""FAULTS rows 1, 2 and 22 through the workflow: unreachable portal, a token refused
once, and credentials secrets that are missing, not JSON or incomplete."""

from __future__ import annotations

import json

import pytest
from portal_local.emulator import Fault

from .conftest import CANARY_PASSWORD, Workflow, closed_port, plan_failure_cause, portal_result

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def test_unreachable_portal_fails_named_and_leaves_the_secret(workflow: Workflow) -> None:
    """Row 1: bounded retries with backoff, then PortalUnavailable; secret unchanged."""
    body = {
        "url": f"https://127.0.0.1:{closed_port()}/arcgis",
        "username": "portaladmin",
        "password": CANARY_PASSWORD,
    }
    arn = workflow.raw_secret(body)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalUnavailable"
    assert "connection refused" in report["error"]["message"]
    assert result.states.count("Preflight") == 1  # the state's Retry does not show as re-entry
    assert workflow.secret_json(arn) == body
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]


def test_a_token_refused_once_gets_one_fresh_token(workflow: Workflow) -> None:
    """Row 2: HTTP 200 with error 498 is an auth failure, answered by one fresh token."""
    workflow.emulator.faults.add(
        Fault(
            action="error",
            code=498,
            message="Invalid token.",
            context="auth113",
            path="portaladmin",
            times=1,
        )
    )
    arn = workflow.secret_for("auth113")
    workflow.emulator.clear_log()

    result = workflow.rotate(arn)

    assert portal_result(result, arn)["status"] == "verified"


def test_a_token_always_refused_is_an_auth_failure(workflow: Workflow) -> None:
    workflow.emulator.faults.add(
        Fault(
            action="error",
            code=498,
            message="Invalid token.",
            context="auth113",
            path="portaladmin",
        )
    )
    arn = workflow.secret_for("auth113")
    updates = workflow.emulator.portal("auth113").update_count

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalAuthFailed"
    assert workflow.emulator.portal("auth113").update_count == updates


@pytest.mark.parametrize(
    ("secret_string", "expected"),
    [
        ("not json at all", "not valid JSON"),
        (
            json.dumps({"url": "https://127.0.0.1/arcgis", "username": "portaladmin"}),
            "missing field 'password'",
        ),
        (
            json.dumps({"url": "http://127.0.0.1/arcgis", "username": "u", "password": "p" * 8}),
            "plain http",
        ),
    ],
    ids=["not-json", "no-password", "plain-http"],
)
def test_malformed_credentials_secret_names_the_field(
    workflow: Workflow, secret_string: str, expected: str
) -> None:
    """Rows 22 and 24: a named error that names the field, never a value."""
    arn = workflow.aws.client("secretsmanager").create_secret(
        Name=f"portal-admin/{workflow.test_name}", SecretString=secret_string
    )["ARN"]

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] in {"InvalidCredentialsSecret", "InsecurePortalUrl"}
    assert expected in report["error"]["message"]


def test_secret_that_does_not_exist_is_named(workflow: Workflow) -> None:
    """Refused while planning (every secret is resolved to its full ARN then)."""
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/absent-AbCdEf"
    result = workflow.rotate(arn)
    assert (result.status, result.error) == ("FAILED", "InvalidExecutionInput")
    assert f"{arn} does not exist" in plan_failure_cause(workflow, result)


def test_a_secret_whose_policy_denies_the_functions_is_named_and_nothing_changes(
    workflow: Workflow,
) -> None:
    """Row 22, access denied: the secret's resource policy denies reading its value (the
    local endpoint evaluates it as IAM does). Preflight fails with SecretAccessDenied
    naming the ARN; the portal sees no request and the secret keeps its one version."""
    arn = workflow.secret_for("denied113")
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotLike": {"aws:PrincipalArn": "*operator*"}},
            }
        ],
    }
    sm = workflow.aws.client("secretsmanager")
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(deny))
    stages, mark = workflow.stages(arn), len(workflow.emulator.request_log)

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "SecretAccessDenied"
    assert arn in report["error"]["message"]
    assert [r for r in workflow.emulator.request_log[mark:] if r.context == "denied113"] == []
    assert workflow.stages(arn) == stages


def test_a_forged_item_outside_the_prefix_is_refused_by_the_role(workflow: Workflow) -> None:
    """Row 28 at the deployed role: PlanExecution refuses an input outside
    SecretArnPrefix (test_fleet_and_inputs); an item forged past it (Preflight invoked
    directly) is refused by IAM, as the role grants secrets under the prefix only:
    SecretAccessDenied naming the ARN, and the portal sees no request."""
    inside = workflow.secret_for("forged113")
    sm = workflow.aws.client("secretsmanager")
    outside = sm.create_secret(
        Name=f"elsewhere/{workflow.test_name}",
        SecretString=json.dumps(workflow.secret_json(inside)),
    )["ARN"]
    planned = workflow.planned_items(
        {"action": "rotate-shared-key", "portals": [{"secretArn": inside}]}
    )
    forged = {**planned[0], "secretArn": outside}
    mark = len(workflow.emulator.request_log)

    answer = workflow.invoke("PreflightFunctionArn", {"item": forged})

    assert answer["errorType"] == "SecretAccessDenied"
    assert outside in answer["errorMessage"]
    assert [r for r in workflow.emulator.request_log[mark:] if r.context == "forged113"] == []
    assert list(workflow.stages(outside).values()) == [["AWSCURRENT"]]


def test_a_portal_error_that_echoes_the_password_is_masked(workflow: Workflow) -> None:
    """Row 25: the portal's error text carries the password; the error, the cause in the
    history, the summary and the notification show a mask (the leak check after every
    test searches all of them for the password)."""
    workflow.emulator.faults.add(
        Fault(
            action="error",
            code=400,
            message=f"Invalid password {CANARY_PASSWORD}.",
            context="echo113",
            path="sharing/rest/generateToken",
        )
    )
    arn = workflow.secret_for("echo113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalAuthFailed"
    assert "Invalid password ****" in report["error"]["message"]


@pytest.mark.parametrize("echo_as", ["hex", "fragment"])
def test_a_portal_that_echoes_the_password_as_hex_or_a_fragment_is_masked(
    workflow: Workflow, echo_as: str
) -> None:
    """Row 52: the portal's error carries the submitted password in hex, or a run of 10
    of its characters; both are masked in the error, and the leak check after the test
    (as strict as the redactor) finds neither anywhere."""
    workflow.emulator.faults.add(
        Fault(
            action="error",
            code=400,
            message="Unable to generate token.",
            echo="password",
            echo_as=echo_as,  # type: ignore[arg-type]
            context="echo113",
            path="sharing/rest/generateToken",
        )
    )
    arn = workflow.secret_for("echo113")

    result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "PortalAuthFailed"
    assert "Unable to generate token. (" in report["error"]["message"]
    assert "****" in report["error"]["message"]


def test_a_portal_on_this_host_is_refused_unless_the_deployment_allows_it(
    workflow: Workflow,
) -> None:
    """FAULTS row 39 through the entry point: with AllowLocalPortalAddresses off (the
    default), a secret whose url is 127.0.0.1 is refused before any request."""
    arn = workflow.secret_for("input113")
    workflow.emulator.clear_log()
    production = {"PORTAL_AUTOMATION_ALLOW_LOCAL_PORTAL_ADDRESSES": "false"}
    with workflow.aws.redeployed({"PreflightFunctionArn": production}):
        result = workflow.rotate(arn)

    report = portal_result(result, arn)
    assert report["error"]["name"] == "InsecurePortalUrl"
    assert "loopback" in report["error"]["message"]
    assert workflow.emulator.requests_for("input113") == []
    assert "AWSPENDING" not in {s for v in workflow.stages(arn).values() for s in v}


@pytest.mark.parametrize("status", [302, 307])
def test_a_portal_that_redirects_the_sign_in_gets_no_password_elsewhere(
    workflow: Workflow, status: int
) -> None:
    """Row 40 through the state machine: the portal answers generateToken with a redirect
    to another portal. It is not followed: the form with the password reaches nothing
    else, nothing changes, and the run fails with the portal's answer named."""
    elsewhere = workflow.emulator.url("cfgnoop") + "/sharing/rest/generateToken"
    workflow.emulator.faults.add(
        Fault(
            action="redirect",
            status=status,
            location=elsewhere,
            context="rot113",
            path="sharing/rest/generateToken",
        )
    )
    arn = workflow.secret_for("rot113")
    before, mark = workflow.secret_json(arn), len(workflow.emulator.request_log)

    result = workflow.rotate(arn)

    assert portal_result(result, arn)["error"]["name"] == "PortalRequestRejected"
    since = workflow.emulator.request_log[mark:]
    assert [r for r in since if r.context == "cfgnoop"] == []
    redirected = [r for r in since if r.path.endswith("generateToken")]
    assert redirected
    assert {r.status for r in redirected} == {status}
    assert not any(r.path.endswith("tokens/update") for r in since)
    assert workflow.secret_json(arn) == before
    assert list(workflow.stages(arn).values()) == [["AWSCURRENT"]]
