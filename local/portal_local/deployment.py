"""The project deployed on one machine: the local AWS endpoint with template.yaml in it.

The same path serves the demo, the workflow tests and the benchmarks: deploy
template.yaml as ``sam deploy`` would (the real SAM transform, then CloudFormation
``CreateStack``: :func:`portal_local.aws.deploy.deploy_stack`), create the credential
secrets, and start executions with boto3 exactly as a user would against AWS.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from portal_automation.cli.follow import FollowResult, follow_execution, start_execution

from portal_local.aws.deploy import Stack, deploy_stack
from portal_local.aws.lambda_runtime import DEFAULT_MAX_WORKERS
from portal_local.aws.moto_endpoint import OPERATOR_ARN, LocalAwsEndpoint

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"
SECRET_NAME_PREFIX = "portal-admin/"  # noqa: S105 - a name prefix, not a secret
SECRET_ARN_PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME_PREFIX}"


@dataclass(frozen=True)
class PortalLogin:
    url: str
    username: str
    password: str
    referer: str | None = None


class LocalDeployment:
    """Start with ``with LocalDeployment(ca_bundle=...) as aws:``."""

    def __init__(
        self,
        *,
        ca_bundle: str | None,
        parameters: Mapping[str, str] | None = None,
        run_dir: Path | None = None,
        port: int = 0,
        customer_key: bool = False,
        max_workers_per_function: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self._tmp = None if run_dir else tempfile.TemporaryDirectory(prefix="portal-local-")
        self.run_dir = run_dir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.parameters = {
            "SecretArnPrefix": SECRET_ARN_PREFIX,
            "MaxRestartSeconds": "300",
            "LockTtlSeconds": "1200",  # the template's minimum
            "PortalCaBundleFile": ca_bundle or "",
            # The emulator listens on 127.0.0.1, which production refuses (FAULTS row 39).
            "AllowLocalPortalAddresses": "true",
            # Who the tests, the demo and the CLI are (the endpoint's operator): they read
            # a failed change's snapshot and put request events, as an operator would.
            "SnapshotReaderRoleArn": OPERATOR_ARN,
            "RequestPrincipalArns": OPERATOR_ARN,
            **(parameters or {}),
        }
        self._port = port
        self._customer_key = customer_key
        # Warm workers a function may keep; a fleet in flight
        # holds one per portal polling its health, as on AWS one execution environment each.
        self._max_workers = max_workers_per_function
        self.kms_key_arn: str | None = None
        """With ``customer_key``: the customer managed key of the deployment (KmsKeyArn)
        that the portal secrets are encrypted with too."""
        self._endpoint: LocalAwsEndpoint | None = None
        self.stack: Stack | None = None

    def __enter__(self) -> LocalDeployment:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._endpoint = LocalAwsEndpoint(
            port=self._port,
            run_dir=self.run_dir / "aws",
            max_workers_per_function=self._max_workers,
        )
        if self._customer_key:
            key = self._endpoint.client("kms").create_key(Description="portal-security")
            self.kms_key_arn = str(key["KeyMetadata"]["Arn"])
            self.parameters["KmsKeyArn"] = self.kms_key_arn
        self.stack = deploy_stack(self._endpoint, TEMPLATE, self.parameters)

    def stop(self) -> None:
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def outputs(self) -> dict[str, Any]:
        if self.stack is None:
            raise RuntimeError("the local deployment is not started")
        return dict(self.stack.outputs)

    @property
    def endpoint(self) -> LocalAwsEndpoint:
        if self._endpoint is None:
            raise RuntimeError("the local deployment is not started")
        return self._endpoint

    @property
    def state_machine_arn(self) -> str:
        """The state machine, whose executions are listed and described here."""
        return str(self.outputs["StateMachineArn"])

    @property
    def start_arn(self) -> str:
        """Where runs start, as in production: the state machine's alias, so that a run
        stays on the version it started with (FAULTS row 41)."""
        return str(self.outputs.get("StateMachineAliasArn") or self.state_machine_arn)

    def client(self, service: str) -> Any:
        return self.endpoint.client(service)

    @contextmanager
    def redeployed(self, environment: Mapping[str, Mapping[str, str | None]]) -> Iterator[None]:
        """A ``sam deploy`` that changes functions' environments, undone on exit.

        ``environment`` maps a function's stack output (``ApplyChangeFunctionArn``) to
        the variables to set (None removes one). As AutoPublishAlias deploys: each
        function gets a new version and its ``live`` alias moves to it; the state
        machine gets a definition calling those versions, published as a new version
        its ``live`` alias moves to. A run already in flight keeps its version.
        """
        lam, sfn = self.client("lambda"), self.client("stepfunctions")
        machine, alias = self.state_machine_arn, self.start_arn
        definition = sfn.describe_state_machine(stateMachineArn=machine)["definition"]
        routing = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)[
            "routingConfiguration"
        ]
        undo: list[tuple[str, dict[str, str], str]] = []
        changed = definition
        try:
            for output, changes in environment.items():
                function = self.outputs[output]
                variables = dict(
                    lam.get_function_configuration(FunctionName=function)["Environment"][
                        "Variables"
                    ]
                )
                live = lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"]
                undo.append((function, variables, live))
                wanted = {**variables, **changes}
                lam.update_function_configuration(
                    FunctionName=function,
                    Environment={"Variables": {k: v for k, v in wanted.items() if v is not None}},
                )
                version = lam.publish_version(FunctionName=function)["Version"]
                lam.update_alias(FunctionName=function, Name="live", FunctionVersion=version)
                changed = re.sub(rf"{re.escape(function)}:\d+", f"{function}:{version}", changed)
            published = sfn.update_state_machine(
                stateMachineArn=machine, definition=changed, publish=True
            )["stateMachineVersionArn"]
            sfn.update_state_machine_alias(
                stateMachineAliasArn=alias,
                routingConfiguration=[{"stateMachineVersionArn": published, "weight": 100}],
            )
            yield
        finally:
            for function, variables, live in undo:
                lam.update_function_configuration(
                    FunctionName=function, Environment={"Variables": variables}
                )
                lam.update_alias(FunctionName=function, Name="live", FunctionVersion=live)
            sfn.update_state_machine(stateMachineArn=machine, definition=definition)
            sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=routing)

    def create_portal_secret(self, name: str, login: PortalLogin, **extra: Any) -> str:
        body: dict[str, Any] = {
            "url": login.url,
            "username": login.username,
            "password": login.password,
            **extra,
        }
        if login.referer:
            body["referer"] = login.referer
        key = {"KmsKeyId": self.kms_key_arn} if self.kms_key_arn else {}
        answer = self.client("secretsmanager").create_secret(
            Name=f"{SECRET_NAME_PREFIX}{name}", SecretString=json.dumps(body), **key
        )
        return str(answer["ARN"])

    def run(
        self,
        payload: dict[str, Any],
        name: str,
        *,
        out: TextIO | None = None,
        timeout_seconds: float = 300.0,
    ) -> FollowResult:
        arn = self.start_execution(payload, name)
        return self.follow(arn, out=out, timeout_seconds=timeout_seconds)

    def start_execution(self, payload: dict[str, Any], name: str) -> str:
        return start_execution(self.client("stepfunctions"), self.start_arn, payload, name)

    def follow(
        self, execution_arn: str, *, out: TextIO | None = None, timeout_seconds: float = 300.0
    ) -> FollowResult:
        sink = out if out is not None else io.StringIO()
        return follow_execution(
            self.client("stepfunctions"), execution_arn, out=sink, timeout_seconds=timeout_seconds
        )

    def version_stages(self, secret_arn: str) -> dict[str, list[str]]:
        answer = self.client("secretsmanager").describe_secret(SecretId=secret_arn)
        return {k: list(v) for k, v in answer.get("VersionIdsToStages", {}).items()}
