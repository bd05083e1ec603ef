"""FAULTS row 57 (issue 19 item 1): every redeploy that changes the layer, the code or a
setting reaches the running system.

What runs: ``portal-local up`` deploys a copy of the project (its own process, as the
README runs it); then the README's deploy command, ``make deploy STACK=... PARAMETERS=...``,
with ``LOCAL=<its outputs file>`` (sam deploy cannot reach the local endpoint: the command
computes the same DeploymentDigest from the packaged template and the parameters, and
deploys through the local endpoint's package, SAM transform and UpdateStack, which
publishes a version only when its resource is new, as CloudFormation does). Each
redeploy changes one thing; the next run shows it took effect, by the state it leaves.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from portal_local.aws.moto_endpoint import OPERATOR_ARN
from portal_local.emulator import PortalEmulator

from .conftest import (
    BIN,
    CANARY_PASSWORD,
    ROOT,
    TIMING,
    Service,
    assert_no_leaks,
    copy_project,
    start_service,
    up_command,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
TIMEOUT = pytest.mark.timeout(900)  # deploys and runs, on a shared 2-core machine

STACK = "portal-security"
PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/"
LAYER_MARK = "layer build: second"


def _make_deploy(service: Service, template: Path, parameters: dict[str, str], work: Path) -> str:
    """The README's deploy command, against the local endpoint."""
    values = work / "parameters.json"
    values.write_text(json.dumps(parameters))
    done = subprocess.run(  # noqa: S603 - the project's Makefile
        [  # noqa: S607 - make from PATH, as the README runs it
            "make",
            "--no-print-directory",
            "deploy",
            f"STACK={STACK}",
            f"PARAMETERS={values}",
            f"LOCAL={service.outputs_file}",
            f"TEMPLATE={template}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _live(service: Service, output: str) -> dict[str, Any]:
    """The configuration of the version a function's live alias points to."""
    lam = service.client("lambda")
    function = service.outputs[output]
    version = lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"]
    return dict(lam.get_function_configuration(FunctionName=function, Qualifier=version))


def _start(service: Service, secret: str, name: str) -> str:
    sfn = service.client("stepfunctions")
    payload = {"action": "rotate-shared-key", "portals": [{"secretArn": secret}], "timing": TIMING}
    return str(
        sfn.start_execution(
            stateMachineArn=service.outputs["StateMachineAliasArn"],
            name=name,
            input=json.dumps(payload),
        )["executionArn"]
    )


def _wait(service: Service, execution: str) -> str:
    sfn = service.client("stepfunctions")
    deadline = time.monotonic() + 300
    while (status := sfn.describe_execution(executionArn=execution)["status"]) == "RUNNING":
        if time.monotonic() > deadline:
            pytest.fail(f"{execution} still running after 300 s")
        time.sleep(0.5)
    return str(status)


def _lock_ttl(service: Service, secret: str) -> float:
    """Seconds from now to the portal's lock expiry, read while the run holds it."""
    dynamodb = service.client("dynamodb")
    table = service.outputs["RunsTableName"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        item = dynamodb.get_item(
            TableName=table, Key={"pk": {"S": f"lock#{secret}"}, "sk": {"S": "lock"}}
        ).get("Item")
        if item:
            return float(item["expiresAt"]["N"]) - time.time()
        time.sleep(0.2)
    pytest.fail("the run never took the portal's lock")


@TIMEOUT
def test_every_redeploy_reaches_the_next_run(emulator: PortalEmulator, tmp_path: Path) -> None:
    template = copy_project(tmp_path)
    parameters = {
        "SecretArnPrefix": PREFIX,
        "AllowLocalPortalAddresses": "true",
        "PortalCaBundleFile": str(emulator.ca_bundle),
        "SnapshotReaderRoleArn": OPERATOR_ARN,
        "LockTtlSeconds": "1200",  # its minimum (issue 18)
    }
    outputs_file = tmp_path / "outputs.json"
    service = start_service(
        up_command(outputs_file, tmp_path / "run", parameters, "--template", str(template)),
        outputs_file,
    )
    try:
        secret = service.client("secretsmanager").create_secret(
            Name="portal-admin/svc",
            SecretString=json.dumps(
                {
                    "url": emulator.url("svc113"),
                    "username": "portaladmin",
                    "password": CANARY_PASSWORD,
                }
            ),
        )["ARN"]
        _make_deploy(service, template, parameters, tmp_path)
        before = _live(service, "PreflightFunctionArn")

        # The layer alone changes.
        package = template.parent / "layers" / "shared" / "portal_automation" / "__init__.py"
        package.write_text(package.read_text() + f"\nprint({LAYER_MARK!r}, flush=True)\n")
        _make_deploy(service, template, parameters, tmp_path)

        after = _live(service, "PreflightFunctionArn")
        assert after["Version"] != before["Version"]
        assert after["Layers"][0]["Arn"] != before["Layers"][0]["Arn"]
        run = _start(service, secret, "after-the-layer")
        assert _wait(service, run) == "SUCCEEDED"
        assert any(LAYER_MARK in text for text in service.logs().values())

        # A setting alone changes.
        printed = _make_deploy(
            service, template, {**parameters, "LockTtlSeconds": "1500"}, tmp_path
        )

        stack = service.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
        deployed = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert f"DeploymentDigest={deployed['DeploymentDigest']}" in printed

        variables = _live(service, "PreflightFunctionArn")["Environment"]["Variables"]
        assert variables["PORTAL_AUTOMATION_LOCK_TTL_SECONDS"] == "1500"
        run = _start(service, secret, "after-the-setting")
        assert 1450 < _lock_ttl(service, secret) <= 1500  # the lock the run took: 1,500 s
        assert _wait(service, run) == "SUCCEEDED"

        assert_no_leaks(service, emulator)
    finally:
        service.stop()
