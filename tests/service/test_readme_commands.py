"""Every shell command README.md gives works as written (issue 19 item 5).

The commands are read from README.md (tests/service/readme.py). Each is run here, through
bash, with its placeholders filled (``<stack>``, ``ARN``, ``<printed>``...; optional
``[...]`` parts included), in the order an operator would: the emulator and ``portal-local
up`` of *Run it locally as a service*, then every AWS command against that local endpoint
(an ``aws`` on PATH that adds ``--endpoint-url``, the pinned AWS CLI of
``$(VENV)/tools/awscli``; boto3 and the SAM CLI read ``AWS_ENDPOINT_URL``), ``pip install
.`` into a fresh venv, and ``make demo`` alongside. Fixed ports (7443, 5000) become free
ones, and the local endpoint's region (us-east-1) stands for the examples' eu-west-1.

What cannot run here is in ``NOT_RUN`` with the reason; the test fails on a README command
that is neither run nor listed there, and on any command that fails.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from portal_local.aws.deploy import deploy_stack
from portal_local.aws.moto_endpoint import OPERATOR_ARN
from portal_local.tools.deploy import RemoteEndpoint

from .conftest import ROOT, Service, service_texts
from .readme import Command, readme_commands

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
TIMEOUT = pytest.mark.timeout(1800)  # deploys and runs, on a shared 2-core machine

VENV = Path(sys.executable).parent.parent
AWS_CLI = VENV / "tools" / "awscli" / "bin" / "aws"
SUITE = "runs the test suite this test is part of (make test, CI)"
BENCH = "a benchmark (minutes each): README Performance quotes what it measured, by hand"
NOT_RUN: dict[str, str] = {
    "make test": SUITE,
    "make test-fast": SUITE,
    "make check": SUITE + "; its other steps are make lint typecheck validate security",
    "make test PYTHON=... VENV=...": SUITE,
    "make test PYTHON=python3.11 VENV=.venv311": SUITE,
    "make security": "installs checkov from the package index; make check runs it",
    "make layer-lock": "resolves the lock against the package index; make validate checks it",
    "make sam-validate": "make check (make validate) runs it",
    "make sam-build": "downloads the layer's wheels; make deploy runs it (its local form here "
    "does not: sam deploy cannot reach the local endpoint)",
    "make format": "rewrites the working tree",
    "make clean": "deletes the venv this test runs in",
    "make bench": BENCH,
    ".venv/bin/python -m benchmarks.<name>": BENCH,
    "sam build --use-container": "needs Docker (the README says so)",
}
NOT_RUN.update({c: BENCH for c in ("python -m benchmarks.detection_lag",)})
# The one optional part left out: this deployment has no KmsKeyArn (see _optional_parts).
_BENCHMARK = re.compile(r"^python -m benchmarks\.\w+( --[\w-]+ \d+)?$")


def commands() -> list[Command]:
    """The README's commands, each once; a span that only names a command the README
    also gives with its arguments (``make deploy``) is prose, not a command."""
    found = readme_commands()
    texts = [c.text for c in found]
    unique: dict[str, Command] = {}
    for command in found:
        named = len(command.text.split()) <= 2
        if named and any(t.startswith(command.text + " ") for t in texts):
            continue
        unique.setdefault(command.text, command)
    return list(unique.values())


def not_run(command: Command) -> str | None:
    return NOT_RUN.get(command.text) or (BENCH if _BENCHMARK.match(command.text) else None)


def test_every_readme_command_is_run_here_or_says_why_not() -> None:
    handled = {c.text for c in commands() if not_run(c) is None}
    unknown = sorted(text for text in handled if not any(p.search(text) for p in RUN_ORDER))
    assert unknown == []
    assert {"make demo", "pip install ."} <= handled


# --- running them ---------------------------------------------------------------------

# The order they run in: each README command matches one of these (several may match one).
RUN_ORDER = [
    re.compile(p)
    for p in (
        r"^make demo$",
        r"^\.venv/bin/portal-local emulator ",
        r"^\.venv/bin/portal-local up ",
        r"^aws --endpoint-url .* secretsmanager create-secret ",
        r"^\.venv/bin/portal-automation start ",
        r"^aws secretsmanager create-secret --name portal-admin/gis-prod",
        r"^shred -u creds.json$",
        r"^pip install \.$",
        r"^portal-automation start ",
        r"^portal-automation follow ",
        r"^portal-automation status ",
        r"^aws events put-events ",
        r"^aws lambda invoke --function-name <FleetStatusFunctionArn>",
        r"^aws sqs receive-message ",
        r"^aws secretsmanager update-secret-version-stage .* --version-stage AWSPENDING",
        r"^aws secretsmanager update-secret-version-stage .* --version-stage AWSCURRENT",
        r"^aws secretsmanager rotate-secret --secret-id <?ARN>? --rotation-lambda-arn",
        r"^aws secretsmanager rotate-secret --secret-id ARN$",
        r"^aws lambda invoke --function-name <SummarizeFunctionArn>:live ",
        r"^aws ssm put-parameter --name <DesiredConfigParameterName> ",
        r"^make deploy STACK=",
        r"^aws sns set-subscription-attributes ",
        r"^bucket=\$\(aws cloudformation describe-stacks",
        r"^aws s3api delete-bucket-policy",
        r"^aws s3 rm ",
        r"^sam delete ",
        r"^aws lambda list-layer-versions",
    )
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _optional_parts(text: str, values: Mapping[str, str]) -> str:
    """``[--tags Key=...]`` -> ``--tags Key=...``: every optional part given, but one
    naming what this deployment has not (``[--kms-key-id <KmsKeyArn>]`` without a
    KmsKeyArn: its functions could not decrypt the secret)."""

    def part(match: re.Match[str]) -> str:
        inner = match.group(1)
        unknown = [p for p in re.findall(r"<[^<>]+>", inner) if p not in values]
        return "" if unknown else inner

    return re.sub(r"\[(--[^\[\]]+)\]", part, text)


class Operator:
    """A shell with what an operator has: the repo as cwd, the venv's commands and an
    ``aws`` that reaches the local endpoint, on PATH."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.values: dict[str, str] = {}
        self.env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SAM_CLI_TELEMETRY": "0",
            "PATH": f"{work / 'bin'}{os.pathsep}{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
        }
        (work / "bin").mkdir()
        (work / ".venv").symlink_to(VENV)  # the README's .venv/bin/... from this folder
        sam = VENV / "tools" / "sam" / "bin"
        self.env["PATH"] = f"{self.env['PATH']}{os.pathsep}{sam}"
        self.ran: list[str] = []

    def reach(self, url: str) -> None:
        """``aws`` (the pinned CLI) and boto3 go to ``url`` unless told otherwise."""
        if not AWS_CLI.exists():
            pytest.fail(
                f"{AWS_CLI} is missing: make .venv/tools/awscli/.installed (make test does)"
            )
        wrapper = self.work / "bin" / "aws"
        wrapper.write_text(
            "#!/bin/bash\n"
            f'case " $* " in *" --endpoint-url "*) exec {AWS_CLI} "$@";; esac\n'
            f'exec {AWS_CLI} --endpoint-url {url} "$@"\n'
        )
        wrapper.chmod(0o755)
        self.env["AWS_ENDPOINT_URL"] = url

    def fill(self, text: str) -> str:
        text = _optional_parts(text, self.values)
        for placeholder, value in sorted(self.values.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(placeholder, value)
        return text

    def run(self, command: Command, *, ok: tuple[int, ...] = (0,), cwd: Path | None = None) -> str:
        """Run ``command`` in the operator's folder (``cwd``: elsewhere, the repo for
        commands that build or read it)."""
        text = self.fill(command.text)
        done = subprocess.run(  # noqa: S603 - the README's own commands
            ["bash", "-c", f"set -o pipefail; {text}"],  # noqa: S607
            cwd=cwd or self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode in ok, f"{text}\nexit {done.returncode}\n{done.stderr[-3000:]}"
        self.ran.append(command.text)
        return done.stdout

    def start(self, command: Command, *, replace: Mapping[str, str] = {}) -> subprocess.Popen[str]:
        text = self.fill(command.text)
        for old, new in replace.items():
            text = text.replace(old, new)
        self.ran.append(command.text)
        return subprocess.Popen(  # noqa: S603
            ["bash", "-c", f"exec {text}"],  # noqa: S607
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _find(pattern: str) -> Command:
    (found,) = [c for c in commands() if re.search(pattern, c.text)]
    return found


def _wait_for(condition: Any, what: str, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what}: not within {seconds} s")


def _emulator_lines(process: subprocess.Popen[str]) -> dict[str, str]:
    printed: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Portal "):
            printed["url"] = line.split(" at ", 1)[1].strip()
        elif line.startswith("Admin password: "):
            printed["password"] = line.split(": ", 1)[1].strip()
        elif line.startswith("CA bundle: "):
            printed["ca"] = line.split(": ", 1)[1].strip()
        elif line.startswith("Control API: "):
            printed["control"] = line.split(": ", 1)[1].strip()
        if line.startswith("Running;"):
            return printed
    pytest.fail(f"the emulator stopped: {process.stderr.read() if process.stderr else ''}")


@TIMEOUT
def test_every_readme_command_works_as_written(tmp_path: Path) -> None:  # noqa: PLR0915
    me = Operator(tmp_path)
    demo = me.start(_find(r"^make demo$"))
    emulator_port, aws_port = _free_port(), _free_port()
    emulator = me.start(_find(r"portal-local emulator"), replace={"7443": str(emulator_port)})
    service: Service | None = None
    try:
        printed = _emulator_lines(emulator)
        me.values.update(
            {
                "<CA path printed by the emulator>": printed["ca"],
                "<printed>": printed["password"],
                "127.0.0.1:7443": f"127.0.0.1:{emulator_port}",
                "127.0.0.1:5000": f"127.0.0.1:{aws_port}",
                ".local-run/outputs.json": str(tmp_path / "outputs.json"),
            }
        )
        up = me.start(_find(r"portal-local up "), replace={"--port 5000": f"--port {aws_port}"})
        service = Service(up, tmp_path / "outputs.json")
        _wait_for(lambda: service.outputs_file.exists() or up.poll() is not None, "local up")
        assert up.poll() is None, up.communicate()[1][-3000:]
        me.reach(service.document["endpoint_url"])
        outputs = service.outputs
        me.values.update(
            {
                "<stack>": service.document["stack_name"],
                "<EventBusName>": outputs["EventBusName"],
                "<RotationFunctionArn>": outputs["RotationFunctionArn"],
                "<FleetStatusFunctionArn>": outputs["FleetStatusFunctionArn"],
                "<SummarizeFunctionArn>": outputs["SummarizeFunctionArn"],
                "<DesiredConfigParameterName>": outputs["DesiredConfigParameterName"],
                "<TriggerDeadLetterQueueUrl>": outputs["TriggerDeadLetterQueueUrl"],
                "<SharedLayerArn without :version>": outputs["SharedLayerArn"].rsplit(":", 1)[0],
            }
        )

        # Run it locally as a service: a secret, then a run of my-input.json.
        created = json.loads(me.run(_find(r"^aws --endpoint-url .* create-secret")))
        mine = created["ARN"]
        sample = json.loads((ROOT / "events" / "manual-rotate-shared-key.json").read_text())
        sample["portals"][0]["secretArn"] = mine
        (tmp_path / "my-input.json").write_text(json.dumps(sample))
        me.run(_find(r"^\.venv/bin/portal-automation start "))

        # Deploy to AWS, step 1: a credentials secret from a file, under the prefix.
        creds_command = _find(r"create-secret --name portal-admin/gis-prod")
        creds = json.loads(creds_command.comment.split(":", 1)[1])
        creds.update({"url": printed["url"], "password": printed["password"]})
        (tmp_path / "creds.json").write_text(json.dumps(creds))
        gis_prod = json.loads(me.run(creds_command))["ARN"]
        me.run(_find(r"^shred -u creds.json$"))
        assert not (tmp_path / "creds.json").exists()

        # The operator CLI, installed with pip as the README says, in a venv of its own.
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "venv", str(tmp_path / "operator")], check=True
        )
        me.env["PATH"] = f"{tmp_path / 'operator' / 'bin'}{os.pathsep}{me.env['PATH']}"
        me.run(_find(r"^pip install \.$"), cwd=ROOT)
        # "paste one of events/manual-*.json with your ARNs"
        sample["portals"][0] = {"secretArn": gis_prod, "label": "gis-prod"}
        (tmp_path / "events").mkdir()
        (tmp_path / "events" / "manual-rotate-shared-key.json").write_text(json.dumps(sample))
        started = me.run(_find(r"^portal-automation start "))
        execution = re.search(r"started (\S+)", started)
        assert execution, started
        me.values["<executionArn>"] = execution.group(1)
        me.values["eu-west-1"] = "us-east-1"
        me.run(_find(r"^portal-automation follow "))
        status = json.loads(me.run(_find(r"^portal-automation status "), ok=(0, 3)))
        assert [p["secretArn"] for p in status["portals"]] == [gis_prod]  # rotation=monthly
        # Triggers: request events from a principal RequestPrincipalArns names (the
        # default names nobody: the bus policy refuses, AccessDeniedException).
        deploy_stack(
            RemoteEndpoint.from_outputs(service.outputs_file),
            ROOT / "template.yaml",
            {"RequestPrincipalArns": OPERATOR_ARN},
            me.values["<stack>"],
        )
        me.values["arn:..."] = gis_prod
        put = json.loads(me.run(_find(r"^aws events put-events ")))
        assert put["FailedEntryCount"] == 0, put
        _wait_for_run(service, f"event-{put['Entries'][0]['EventId']}")
        me.run(_find(r"lambda invoke --function-name <FleetStatusFunctionArn>"))
        me.run(_find(r"^aws sqs receive-message "))
        _runbook_stages(me, service, gis_prod)
        me.values["<ARN>"] = gis_prod
        me.values["--secret-id ARN"] = f"--secret-id {gis_prod}"
        for command in commands():
            if re.search(r"rotate-secret --secret-id <?ARN>? --rotation-lambda-arn", command.text):
                me.run(command)
        me.run(_find(r"^aws secretsmanager rotate-secret --secret-id ARN$"))

        failed_run = _leave_scratch(service, mine, printed)
        # Trigger dead letters: a run-ended event sent again to Summarize, by hand.
        (tmp_path / "event.json").write_text(json.dumps(_run_ended_event(service, failed_run)))
        me.run(_find(r"^aws lambda invoke --function-name <SummarizeFunctionArn>:live "))
        cleaned = json.loads((tmp_path / "out.json").read_text())
        assert cleaned["runId"] == failed_run.rsplit(":", 1)[-1], cleaned  # not an error
        # UnattributedChange: the desired-config document written again.
        desired = (ROOT / "events" / "desired-config-document.json").read_text()
        (tmp_path / "desired-config.json").write_text(desired)
        me.run(_find(r"^aws ssm put-parameter --name <DesiredConfigParameterName> "))
        parameter = service.client("ssm").get_parameter(Name=outputs["DesiredConfigParameterName"])
        assert json.loads(parameter["Parameter"]["Value"]) == json.loads(desired)
        leaked = [
            name for name, text in service_texts(service).items() if printed["password"] in text
        ]
        assert leaked == []

        # Deploy to AWS, step 2, against the local endpoint, then the topic's filter.
        deploy = _find(r"^make deploy STACK=")
        (tmp_path / "params.json").write_text(deploy.comment.split(":", 1)[1].strip())
        me.values["PARAMETERS=params.json"] = f"PARAMETERS={tmp_path / 'params.json'}"
        me.run(Command(deploy.text + f" LOCAL={service.outputs_file}"), cwd=ROOT)
        me.ran.append(deploy.text)  # as written, plus where the local endpoint is
        topic = service.outputs["TopicArn"]
        subscriptions = service.client("sns").list_subscriptions_by_topic(TopicArn=topic)
        me.values["<arn>"] = subscriptions["Subscriptions"][0]["SubscriptionArn"]
        me.run(_find(r"^aws sns set-subscription-attributes "))

        # Teardown, after a failed run left its scratch under runs/.
        teardown = [
            _find(p)
            for p in (
                r"^bucket=",
                r"delete-bucket-policy",
                r"^aws s3 rm ",
                r"^sam delete ",
                r"list-layer-versions",
            )
        ]
        me.run(Command(" && ".join(c.text for c in teardown)))
        me.ran.extend(c.text for c in teardown)
        stacks = service.client("cloudformation").describe_stacks()["Stacks"]
        assert [s["StackStatus"] for s in stacks if s["StackName"] == me.values["<stack>"]] in (
            [],
            ["DELETE_COMPLETE"],
        )
    finally:
        if service is not None:
            service.stop()
        emulator.terminate()
        emulator.communicate(timeout=30)
    out, err = demo.communicate(timeout=900)
    assert demo.returncode == 0, err[-3000:] + out[-2000:]
    handled = {c.text for c in commands() if not_run(c) is None}
    assert handled <= set(me.ran), handled - set(me.ran)


def _wait_for_run(service: Service, name: str) -> None:
    """The run a trigger started (the start function names it) to its end."""
    sfn = service.client("stepfunctions")
    machine = service.outputs["StateMachineArn"]
    arn = machine.replace(":stateMachine:", ":execution:") + f":{name}"

    def ended() -> bool:
        try:
            return bool(sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
        except sfn.exceptions.ExecutionDoesNotExist:
            return False

    _wait_for(ended, f"the run {name}")
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


def _runbook_stages(me: Operator, service: Service, secret: str) -> None:
    """*Leftover AWSPENDING*: drop a pending version, then promote one."""
    sm = service.client("secretsmanager")
    value = sm.get_secret_value(SecretId=secret)["SecretString"]
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
    for pattern in (r"--version-stage AWSPENDING", r"--version-stage AWSCURRENT"):
        pending = sm.put_secret_value(
            SecretId=secret, SecretString=value, VersionStages=["AWSPENDING"]
        )["VersionId"]
        me.values.update({"PENDING_ID": pending, "CURRENT_ID": current, "ARN": secret})
        me.run(_find(rf"update-secret-version-stage .* {pattern}"))
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[pending]
    del me.values["ARN"]


def _run_ended_event(service: Service, execution: str) -> dict[str, Any]:
    """The status-change event of an ended run, as a dead letter's ``requestPayload``
    holds it (docs/AWS_FACTS.md 1)."""
    described = service.client("stepfunctions").describe_execution(executionArn=execution)
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": execution.split(":")[4],
        "time": described["stopDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": execution.split(":")[3],
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": described["status"],
        },
    }


def _leave_scratch(service: Service, secret: str, printed: Mapping[str, str]) -> str:
    """A failed config change keeps its snapshot under runs/ (README Security): the
    emulator (its control API) refuses the update once the snapshot is taken. The
    failed run's execution ARN."""
    fault = {"action": "error", "code": 500, "path": "portaladmin/security/config/update"}
    requests.post(f"{printed['control']}/faults", json=fault, verify=printed["ca"], timeout=30)
    sfn = service.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=service.outputs["StateMachineAliasArn"],
        input=json.dumps(
            {
                "action": "apply-security-config",
                "portals": [{"secretArn": secret}],
                "securityConfig": {"allowedProxyHosts": "readme.example.com"},
                "timing": {"recheckSeconds": 0},
            }
        ),
    )["executionArn"]
    _wait_for(
        lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", "the failed run"
    )
    bucket = service.outputs["WorkBucketName"]
    listed = service.client("s3").list_objects_v2(Bucket=bucket, Prefix="runs/")
    requests.post(f"{printed['control']}/faults/clear", verify=printed["ca"], timeout=30)
    ended = sfn.describe_execution(executionArn=arn)
    assert listed.get("KeyCount", 0) > 0, ("the run left no scratch", ended.get("output"))
    return str(arn)
