"""The whole product on the local AWS endpoint against the Portal emulator.

One emulator (one portal per scenario, so tests never share portal state) and one local
deployment of template.yaml serve the whole session; each test creates its own
credentials secrets and runs real executions with boto3. After every test, the leak
check searches execution histories, function logs, notifications and DynamoDB items for
the canary password and every key and token the emulator ever had or issued.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from portal_automation.cli import main as cli_main
from portal_automation.cli.follow import FollowResult
from portal_local.aws.up import outputs_document
from portal_local.deployment import LocalDeployment, PortalLogin
from portal_local.emulator import PortalEmulator, PortalSettings, ServerSettings
from portal_local.leaks import (
    Seen,
    find_leaks,
    observable_texts,
    secret_values,
    subscribe_bus_events,
    subscribe_notifications,
)

from .least_privilege import FINDINGS_DIR_VARIABLE as FINDINGS_DIR
from .least_privilege import WORKFLOW_DIR, whole_suite_ran, write_findings

CANARY_PASSWORD = "CANARY-pw-" + secrets.token_hex(8)
LDAP_PASSWORD = "CANARY-ldap-" + secrets.token_hex(8)
# A federated portal whose users come from LDAP: its security config holds a bind
# password, which the leak check searches for along with the trust key.
LDAP_STORE = {
    "type": "LDAP",
    "properties": {
        "userPassword": LDAP_PASSWORD,
        "isPasswordEncrypted": "false",
        "user": "uid=admin,ou=system",
        "ldapURLForUsers": "ldaps://ldap.example.com:636/ou=users,dc=example,dc=com",
    },
}
# 11.4+: a Content-Security-Policy of the portal's own (not the factory one).
CSP = {
    "home": "frame-ancestors 'none'",
    "apps": "frame-ancestors https://apps.example.com",
    "sharing": "frame-ancestors 'self' https://*.example.com",
}
RESTART = 1.0
LAG = 0.3
READ_TIMEOUT = 2
TIMING = {
    "recheckSeconds": 0,
    "pollIntervalSeconds": 1,
    "pollWindowSeconds": 5,
    "healthPollSeconds": 0.2,
    "maxRestartSeconds": 30,
    "settleSeconds": 5,
}
# context -> PortalSettings overrides; one portal per scenario.
PORTALS: dict[str, dict[str, Any]] = {
    "rot113": {"version": "11.3"},
    "rot1091": {"version": "10.9.1"},
    "rot114": {"version": "11.4"},
    "rot115reject": {"version": "11.5", "generated_key_mode": "reject"},
    "lag113": {"version": "11.3", "restart_lag_seconds": 2.5},
    "forever113": {"version": "11.3"},
    "rerun113": {"version": "11.3"},
    "rerun114": {"version": "11.4"},
    "reruncfg": {"version": "11.3"},
    "early113": {"version": "11.3"},
    "earlycfg": {"version": "11.3"},
    "slowupdate113": {"version": "11.3"},
    "resetupdate113": {"version": "11.3"},
    "cfg113": {"version": "11.3"},
    "cfg114": {"version": "11.4"},
    "cfgdry": {"version": "11.3"},
    "cfgnoop": {"version": "11.3"},
    "cfgrollback": {"version": "11.3", "ignored_config_properties": ("disableServicesDirectory",)},
    "cfgnorestore": {"version": "11.3", "ignored_config_properties": ("disableServicesDirectory",)},
    "cfgforever": {"version": "11.3"},
    "fleet1": {"version": "11.3"},
    "fleet2": {"version": "11.4"},
    "fleet3": {"version": "11.3"},
    "busy113": {"version": "11.3", "restart_seconds": 3.0},
    "pending113": {"version": "11.3"},
    "input113": {"version": "11.3"},
    "evt113": {"version": "11.3"},
    "evtcfg": {"version": "11.3"},
    "evtdrift": {"version": "11.3"},
    "evtdup": {"version": "11.3"},
    "sm113": {"version": "11.3"},
    "sm114": {"version": "11.4"},
    "smfail": {"version": "11.3"},
    "smlong": {"version": "11.3", "restart_seconds": 21.0},
    "smbusy": {"version": "11.3", "restart_seconds": 3.0},
    "smleft": {"version": "11.3"},
    "deploy113": {"version": "11.3", "restart_seconds": 5.0},
    "auth113": {"version": "11.3"},
    "lambdatimeout113": {"version": "11.3"},
    "weakkey113": {"version": "11.3"},
    "throttle113": {"version": "11.3"},
    "smretry": {"version": "11.3"},
    "echo113": {"version": "11.3"},
    "denied113": {"version": "11.3"},
    "forged113": {"version": "11.3"},
    "cfgunhealthy": {"version": "11.3"},
    # Real portals (issue 8): what Esri documents, modelled by the emulator.
    "cfgstr": {"version": "11.3"},
    "ud108": {"version": "10.8", "ignored_config_properties": ("disableServicesDirectory",)},
    "ud108only": {"version": "10.8"},
    "autoacct": {"version": "10.7.1", "initial_default_user_type": ""},
    "norecheck": {"version": "11.3", "config_update_recheck": False},
    "warm113": {"version": "11.3", "token_warmup_seconds": 12.0},
    "lic107": {"version": "10.7"},
    "k8s": {"version": "11.3", "flavour": "kubernetes"},
    "trap113": {"version": "11.3", "single_machine_url": "trap"},
    "ha113": {"version": "11.3", "machines": 2, "standby_restart_delay_seconds": 3.0},
    "ha114": {"version": "11.4", "machines": 2, "standby_restart_delay_seconds": 3.0},
    "hacfg": {"version": "11.3", "machines": 2, "standby_restart_delay_seconds": 3.0},
    "haunreach": {"version": "11.3", "machines": 2, "unreachable_machine": 2},
    "haoptout": {"version": "11.3", "machines": 2, "unreachable_machine": 2},
    "gen114lost": {"version": "11.4"},
    # Guarantees pinned through the entry point (issue 10).
    "crash113": {"version": "11.3"},
    "swapped113": {"version": "11.3"},
    "keepown113": {"version": "11.3"},
    "clean113": {"version": "11.3"},
    "clean114": {"version": "11.4"},
    "ldap113": {"version": "11.3", "initial_security_config": {"userStoreConfig": LDAP_STORE}},
    "ldapecho": {
        "version": "11.3",
        "initial_security_config": {"userStoreConfig": LDAP_STORE},
        "ignored_config_properties": ("disableServicesDirectory",),
    },
    # Fleets (issue 11): selections, the fleet status, the dashboard's metrics.
    "evtredo": {"version": "11.3"},
    "evtfleet1": {"version": "11.3"},
    "evtfleet2": {"version": "11.4"},
    "evtfleet3": {"version": "11.3"},
    "sel1": {"version": "11.3"},
    "sel2": {"version": "11.4"},
    "sel3": {"version": "11.3"},
    "dash1": {"version": "11.3"},
    "dash2": {"version": "11.3"},
    # Portals 11.4 to 12.x (issue 20).
    "proxy120": {"version": "12.0"},
    "proxyexact": {"version": "12.1"},
    "proxyempty": {"version": "12.0"},
    "proxyemptydef": {"version": "12.0", "empty_proxy_hosts": "defaults"},
    "proxy115": {"version": "11.5"},
    "csp120": {
        "version": "12.0",
        "initial_security_config": {"contentSecurityPolicy": CSP, "userStoreConfig": LDAP_STORE},
    },
    "ut114": {"version": "11.4"},
    "ut120r": {"version": "12.0", "user_type_ids": "renamed"},
    "ut113": {"version": "11.3"},
    "udread120": {"version": "12.0"},
    "slowcfgto": {"version": "12.0"},
    "slowcfg504": {"version": "11.3"},
    "slowcfgreset": {"version": "12.1"},
    "slowcfgnot": {"version": "11.4"},
    "slowcfglambda": {"version": "12.0"},
    "fed120": {"version": "12.0", "federated_servers": ("success", "failure")},
    "fed107": {"version": "10.7"},
    "tok113": {"version": "11.3"},
    "tok120": {"version": "12.0"},
    "future122": {"version": "12.2"},
    # What a portal answers is input, not truth (issue 18).
    "forgedtext": {"version": "11.3"},
    "drip113": {"version": "11.3"},
    "huge113": {"version": "11.3"},
    "hugeupdate113": {"version": "11.3"},
    "hanopins": {"version": "11.3", "machines": 2, "standby_restart_delay_seconds": 1.0},
    **{
        f"ha{listing.replace('-', '')}": {
            "version": "11.3",
            "machines": 2,
            "machine_listing": listing,
        }
        for listing in (
            "other-host",
            "other-port",
            "private-address",
            "userinfo",
            "thousands",
            "huge-names",
            "forged-names",
        )
    },
    "harole": {"version": "11.3", "machines": 2, "admin_role": "security-and-infrastructure"},
    "alias113": {"version": "11.3", "alias_contexts": ("alias113wa",)},
    # Issue 18, part B: locks renewed and held until Finalize, stopped runs cleaned up,
    # the desired-config door.
    "renew113": {"version": "11.3"},
    "held113": {"version": "11.3"},
    "stoppf": {"version": "11.3"},
    "stopac": {"version": "11.3"},
    "stopwait": {"version": "11.3"},
    "stopver": {"version": "11.3"},
    "stoprb": {"version": "11.3", "ignored_config_properties": ("disableServicesDirectory",)},
    "ssmdoor": {"version": "11.3"},
    # Mixed fleets of portals and ArcGIS Server sites (issue 22).
    "mixp113": {"version": "11.3"},
    "mixp120": {"version": "12.0"},
    "mixevt1": {"version": "11.3"},
    "mixevt2": {"version": "11.4"},
    **{f"big{i:02d}": {"version": "11.3", "restart_seconds": 2.0} for i in range(12)},
    **{f"stop{i}": {"version": "11.3", "restart_seconds": 4.0} for i in range(4)},
}
# ArcGIS Server sites (issue 22): context -> ServerSettings overrides; one per scenario.
SITE_ADMIN = "siteadmin"
SERVERS: dict[str, dict[str, Any]] = {
    "srv113": {"version": "11.3"},
    "srv115r": {"version": "11.5", "key_update_restarts": True},
    "srv120": {"version": "12.0"},
    "srv120r": {"version": "12.0", "key_update_restarts": True},
    "srvmulti": {
        "version": "11.5",
        "machines": 3,
        "key_update_restarts": True,
        "restart_stagger_seconds": 1.0,
    },
    "srvunpinned": {"version": "11.3", "machines": 2},
    "srvext": {"version": "11.3", "token_manager_type": "EXTERNAL"},
    "srvrefuse": {"version": "11.3", "refused_key_length": 32},
    "srvforever": {"version": "11.3", "key_update_restarts": True},
    "srvleft": {"version": "11.3"},
    "srvcfg": {"version": "11.3"},
    "srvmix": {"version": "12.0", "key_update_restarts": True},
    "srvsm": {"version": "11.3", "key_update_restarts": True},
    "srvevt": {"version": "11.5"},
    "srvevt2": {"version": "12.0", "key_update_restarts": True},
    "srvcli": {"version": "12.0"},
    "srvshort": {"version": "11.3", "initial_token_properties": {"longTimeout": "2"}},
}
# Timing of runs started by rotation and events (the deployment's ExecutionTiming), and
# the rotation function's timeout: setSecret waits ROTATION_TIMEOUT - 10 s at most. 30 is
# the template's MinValue (the local endpoint refuses less, as CloudFormation does), so
# "smlong" restarts for longer than those 20 s and less than maxRestartSeconds.
TRIGGER_TIMING = {**TIMING, "maxRestartSeconds": 25, "settleSeconds": 3}
ROTATION_TIMEOUT = 30
# The change task's Lambda timeout: short, so a test can make it run out (FAULTS row 16),
# and long enough for every other test's change on a loaded machine (6 s was not, with
# two busy loops beside make test). Tests that make it run out hold the portal longer.
CHANGE_TIMEOUT = 20


DESELECTED = pytest.StashKey[int]()
"""How many workflow tests this session deselected (the least-privilege check needs all)."""


def pytest_deselected(items: list[pytest.Item]) -> None:
    workflow = [i for i in items if Path(str(i.path)).parent == WORKFLOW_DIR]
    if workflow:
        stash = workflow[0].config.stash
        stash[DESELECTED] = stash.get(DESELECTED, 0) + len(workflow)


@pytest.fixture(scope="session")
def emulator() -> Iterator[PortalEmulator]:
    settings = [
        PortalSettings(
            context=context,
            admin_username="portaladmin",
            admin_password=CANARY_PASSWORD,
            restart_seconds=overrides.pop("restart_seconds", RESTART),
            restart_lag_seconds=overrides.pop("restart_lag_seconds", LAG),
            tls=True,
            **overrides,
        )
        for context, overrides in ((c, dict(o)) for c, o in PORTALS.items())
    ]
    sites = [
        ServerSettings(
            context=context,
            admin_username=SITE_ADMIN,
            admin_password=CANARY_PASSWORD,
            restart_seconds=RESTART,
            restart_lag_seconds=LAG,
            tls=True,
            **overrides,
        )
        for context, overrides in SERVERS.items()
    ]
    with PortalEmulator([*settings, *sites], port=0) as emu:
        yield emu


@pytest.fixture(scope="session")
def deployment(
    emulator: PortalEmulator, request: pytest.FixtureRequest
) -> Iterator[LocalDeployment]:
    parameters = {
        "MaxRestartSeconds": "120",
        "PortalReadTimeoutSeconds": str(READ_TIMEOUT),
        "ExecutionTiming": json.dumps(TRIGGER_TIMING),
        "RotationFunctionTimeout": str(ROTATION_TIMEOUT),
        "ChangeFunctionTimeout": str(CHANGE_TIMEOUT),
    }
    with LocalDeployment(
        ca_bundle=emulator.ca_bundle, parameters=parameters, customer_key=True
    ) as aws:
        aws.notifications_queue = subscribe_notifications(aws)  # type: ignore[attr-defined]
        aws.bus_queue = subscribe_bus_events(aws)  # type: ignore[attr-defined]
        aws.leaks_seen = Seen()  # type: ignore[attr-defined]
        yield aws
        worker, findings = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(FINDINGS_DIR)
        if worker and findings:  # a parallel run: the controller merges every worker's
            deselected = request.config.stash.get(DESELECTED, 0)
            whole = whole_suite_ran(request.session.items, deselected)
            write_findings(aws, Path(findings), worker, whole)


@dataclass
class Workflow:
    """What a test needs: secrets, executions, and what they left behind."""

    aws: LocalDeployment
    emulator: PortalEmulator
    test_name: str
    counter: int = 0

    def secret_for(self, context: str, **extra: Any) -> str:
        self.counter += 1
        login = PortalLogin(self.emulator.url(context), "portaladmin", CANARY_PASSWORD)
        return self.aws.create_portal_secret(
            f"{self.test_name}-{context}-{self.counter}", login, **extra
        )

    def server_secret_for(self, context: str, **extra: Any) -> str:
        """A credentials secret of the ArcGIS Server site at ``context`` (its URL with
        its context, ``"kind": "server"``)."""
        self.counter += 1
        login = PortalLogin(self.emulator.url(context), SITE_ADMIN, CANARY_PASSWORD)
        return self.aws.create_portal_secret(
            f"{self.test_name}-{context}-{self.counter}", login, kind="server", **extra
        )

    def raw_secret(self, body: dict[str, Any]) -> str:
        """A credentials secret holding ``body`` as it is (no login filled in)."""
        sm = self.aws.client("secretsmanager")
        name = f"portal-admin/{self.test_name}-{uuid.uuid4().hex[:6]}"
        return str(sm.create_secret(Name=name, SecretString=json.dumps(body))["ARN"])

    def start(self, payload: dict[str, Any]) -> str:
        """Start an execution of ``payload`` under a name of this test; its ARN."""
        self.counter += 1
        name = f"{self.test_name[:50]}-{self.counter}-{int(time.time() * 1000) % 100000}"
        return self.aws.start_execution(payload, name)

    def run(self, payload: dict[str, Any], *, timeout: float = 120.0) -> FollowResult:
        return self.aws.follow(self.start(payload), timeout_seconds=timeout)

    def rotate(self, *arns: str, **extra: Any) -> FollowResult:
        payload = {
            "action": "rotate-shared-key",
            "portals": [{"secretArn": arn} for arn in arns],
            "timing": dict(TIMING),
            **extra,
        }
        return self.run(payload)

    def apply(self, config: dict[str, Any], *arns: str, **extra: Any) -> FollowResult:
        payload = {
            "action": "apply-security-config",
            "portals": [{"secretArn": arn} for arn in arns],
            "securityConfig": config,
            "timing": dict(TIMING),
            **extra,
        }
        return self.run(payload)

    def invoke(self, function_output: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Invoke a deployed function by its stack output name, as Lambda would be invoked.
        A function error comes back as ``{"errorType": ..., "errorMessage": ...}``."""
        answer = self.aws.client("lambda").invoke(
            FunctionName=self.aws.outputs[function_output], Payload=json.dumps(payload).encode()
        )
        body = json.loads(answer["Payload"].read())
        if "FunctionError" in answer:
            return {"errorType": body.get("errorType"), "errorMessage": body.get("errorMessage")}
        return dict(body)

    def planned_items(self, run_input: dict[str, Any]) -> list[dict[str, Any]]:
        """The Map items the deployed PlanExecution makes of ``run_input`` (the manifest
        it writes to the work bucket), for tests that invoke the per-portal steps."""
        execution = f"arn:aws:states:us-east-1:123456789012:execution:sm:{uuid.uuid4()}"
        plan = self.invoke(
            "PlanExecutionFunctionArn", {"input": run_input, "executionId": execution}
        )
        assert "errorType" not in plan, plan
        manifest = plan["manifest"]
        listed = self.aws.client("s3").get_object(Bucket=manifest["Bucket"], Key=manifest["Key"])
        return list(json.loads(listed["Body"].read()))

    def plant_pending(self, arn: str, version_id: str, shared_key: str) -> None:
        """An AWSPENDING version holding ``shared_key``, as an earlier run would leave it."""
        body = {**self.secret_json(arn), "sharedKey": shared_key}
        self.aws.client("secretsmanager").put_secret_value(
            SecretId=arn,
            ClientRequestToken=version_id,
            SecretString=json.dumps(body),
            VersionStages=["AWSPENDING"],
        )

    def secret_json(self, arn: str, stage: str = "AWSCURRENT") -> dict[str, Any]:
        answer = self.aws.client("secretsmanager").get_secret_value(
            SecretId=arn, VersionStage=stage
        )
        return dict(json.loads(answer["SecretString"]))

    def stages(self, arn: str) -> dict[str, list[str]]:
        return self.aws.version_stages(arn)

    def scratch(self, run_id: str) -> list[str]:
        """The names of the work store objects a run left (under runs/<run id>/)."""
        s3 = self.aws.client("s3")
        listed = s3.list_objects_v2(
            Bucket=self.aws.outputs["WorkBucketName"], Prefix=f"runs/{run_id}/"
        )
        return sorted(obj["Key"].rsplit("/", 1)[-1] for obj in listed.get("Contents", []))

    def key_versions(self, arn: str) -> list[str]:
        """The sharedKey of every version of the secret that has a stage."""
        sm = self.aws.client("secretsmanager")
        keys = []
        for version in self.stages(arn):
            value = sm.get_secret_value(SecretId=arn, VersionId=version)["SecretString"]
            if "sharedKey" in (body := json.loads(value)):
                keys.append(body["sharedKey"])
        return keys


@pytest.fixture
def workflow(
    request: pytest.FixtureRequest, deployment: LocalDeployment, emulator: PortalEmulator
) -> Iterator[Workflow]:
    emulator.faults.clear()
    name = re.sub(r"[^A-Za-z0-9-]+", "-", request.node.name).strip("-")
    yield Workflow(deployment, emulator, name)
    emulator.faults.clear()
    assert_nothing_leaked(deployment, emulator)


@pytest.fixture
def outputs(workflow: Workflow, tmp_path: Path) -> Path:
    """The stack's outputs as a file, as ``portal-local up --outputs`` writes it."""
    assert workflow.aws.stack is not None
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs_document(workflow.aws.endpoint, workflow.aws.stack)))
    return path


def rotation_input(where: Path, arn: str, **portal: str) -> Path:
    """An execution input file rotating ``arn`` (``portal``: its other fields, a label)."""
    request = where / "input.json"
    payload = {"action": "rotate-shared-key", "portals": [{"secretArn": arn, **portal}]}
    request.write_text(json.dumps({**payload, "timing": TIMING}))
    return request


def start_with_cli(outputs: Path, tmp_path: Path, arn: str, label: str) -> int:
    """``portal-automation start`` of a rotation of ``arn`` (labelled), as an operator
    types it; its exit code."""
    request = rotation_input(tmp_path, arn, label=label)
    return cli_main(
        ["start", "--outputs", str(outputs), "--input", str(request), "--timeout", "120"]
    )


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens at (connections refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_id(result: FollowResult) -> str:
    """A run's id: its execution's name."""
    return result.execution_arn.rsplit(":", 1)[-1]


def portal_result(result: FollowResult, arn: str) -> dict[str, Any]:
    assert result.summary is not None, f"no summary: {result.status} {result.error} {result.cause}"
    for portal in result.summary["portals"]:
        if portal.get("secretArn") == arn:
            return dict(portal)
    raise AssertionError(f"{arn} not in the summary")


def notification_for(workflow: Workflow, run_id: str) -> dict[str, Any]:
    """The outcome notification of one run, read from the queue subscribed to the topic
    and left there (visibility reset) for the leak check that follows every test."""
    sqs = workflow.aws.client("sqs")
    queue = workflow.aws.notifications_queue  # type: ignore[attr-defined]
    found: dict[str, Any] | None = None
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            envelope = json.loads(message["Body"])
            body = json.loads(envelope["Message"])
            if body.get("runId") == run_id:
                found = {
                    "subject": envelope.get("Subject"),
                    "body": body,
                    "attributes": {
                        k: v.get("Value") for k, v in envelope.get("MessageAttributes", {}).items()
                    },
                }
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        if found or not messages:
            break
    assert found is not None, f"no notification for {run_id}"
    return found


def managed(portal: Any) -> dict[str, Any]:
    """The managed properties a portal holds, by meaning: its security config and, from
    10.8, the default role and user type from its user default settings."""
    config = dict(portal.security_config)
    defaults = portal.user_default_settings
    if defaults is not None:
        config["defaultRoleForUser"] = defaults["role"]
        config["defaultUserTypeIdForUser"] = defaults["userLicenseType"]
    return config


def histories(workflow: Workflow, result: FollowResult) -> list[dict[str, Any]]:
    """Every event of the run: its own history, then each portal's child execution's
    (GetExecutionHistory is paged, as on AWS)."""
    sfn = workflow.aws.client("stepfunctions")
    events: list[dict[str, Any]] = []
    for arn in [result.execution_arn, *result.portal_executions.values()]:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        events.extend(event for page in pages for event in page["events"])
    return events


def plan_failure_cause(workflow: Workflow, result: FollowResult) -> str:
    """Why PlanExecution refused the input (the causes in the execution history)."""
    return "\n".join(
        e["lambdaFunctionFailedEventDetails"].get("cause", "")
        for e in histories(workflow, result)
        if e["type"] == "LambdaFunctionFailed"
    )


# --- the leak check -------------------------------------------------------------------


def assert_nothing_leaked(aws: LocalDeployment, emulator: PortalEmulator) -> None:
    values = secret_values(emulator, [CANARY_PASSWORD, LDAP_PASSWORD])
    texts = observable_texts(
        aws,
        aws.notifications_queue,  # type: ignore[attr-defined]
        aws.bus_queue,  # type: ignore[attr-defined]
        aws.leaks_seen,  # type: ignore[attr-defined]
    )
    leaks = find_leaks(texts, values, aws.leaks_seen.patterns)  # type: ignore[attr-defined]
    assert not leaks, f"secret values found in: {leaks}"
    for record in emulator.request_log:
        assert "token" not in record.query_keys, record
        assert "password" not in record.query_keys, record


ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def retry_rotation_until_done(workflow: Workflow, arn: str, token: str) -> None:
    """What Secrets Manager does after a rotation attempt failed: invoke the four steps
    again with the same token, until one attempt passes (here at most 4). On a loaded
    machine a run can outlast setSecret's wait (``RotationStillRunning``); the retry
    attaches to the same run. Nothing to do once the token's version is AWSCURRENT."""
    event = {"SecretId": arn, "ClientRequestToken": token}
    for _attempt in range(4):
        if "AWSCURRENT" in workflow.stages(arn).get(token, []):
            return
        for step in ROTATION_STEPS:
            answer = workflow.invoke("RotationFunctionArn", {**event, "Step": step})
            if "errorType" in answer:
                assert answer["errorType"] == "RotationStillRunning", answer
                break
    assert "AWSCURRENT" in workflow.stages(arn).get(token, []), workflow.stages(arn)
