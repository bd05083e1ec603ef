"""The product run as the README runs it, each piece a process of its own: ``portal-local
up`` (the local AWS endpoint with a template deployed), the documented commands against
it (``make deploy``, ``aws``, ``portal-automation``), and an emulated portal.

Unlike tests/workflow (one endpoint in the test process for the whole session), each test
here starts its own endpoint in another process, as an operator does; after each, every
text the endpoint keeps (execution histories, function logs, the ledger, the work
bucket) is searched for the canary password and every key and token the emulator issued.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from portal_local.emulator import PortalEmulator, PortalSettings
from portal_local.leaks import executions, find_leaks, secret_values

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CANARY_PASSWORD = "CANARY-svc-" + secrets.token_hex(8)
PORTALS = ("svc113", "readme113")
TIMING = {
    "recheckSeconds": 0,
    "pollIntervalSeconds": 1,
    "pollWindowSeconds": 5,
    "healthPollSeconds": 0.2,
    "maxRestartSeconds": 60,
    "settleSeconds": 5,
}
STARTUP_SECONDS = 240  # deploying template.yaml on a loaded 2-core machine


@pytest.fixture(scope="module")
def emulator() -> Iterator[PortalEmulator]:
    settings = [
        PortalSettings(
            context=context,
            admin_username="portaladmin",
            admin_password=CANARY_PASSWORD,
            restart_seconds=1.0,
            restart_lag_seconds=0.3,
            tls=True,
        )
        for context in PORTALS
    ]
    with PortalEmulator(settings, port=0) as emu:
        yield emu


def copy_project(target: Path) -> Path:
    """What the template deploys (template, state machine, functions, layer), in a folder
    of its own; returns its template."""
    for name in ("template.yaml",):
        shutil.copy(ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("statemachine", "functions", "layers"):
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    return target / "template.yaml"


@dataclass
class Service:
    """``portal-local up`` running in its own process."""

    process: subprocess.Popen[str]
    outputs_file: Path

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.outputs_file.read_text(encoding="utf-8")))

    @property
    def outputs(self) -> dict[str, str]:
        return dict(self.document["outputs"])

    def client(self, service: str) -> Any:
        document = self.document
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=document["endpoint_url"],
            region_name=document["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def logs(self) -> dict[str, str]:
        logs_dir = Path(self.document["logs_dir"])
        return {
            str(path.relative_to(logs_dir)): path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(logs_dir.rglob("*"))
            if path.is_file()
        }

    def stop(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate(timeout=10)


def start_service(argv: list[str], outputs_file: Path, cwd: Path = ROOT) -> Service:
    """Run ``argv`` (a ``portal-local up`` command line) and wait for its outputs file."""
    process = subprocess.Popen(  # noqa: S603 - our own command
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    service = Service(process, outputs_file)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not outputs_file.exists():
        if process.poll() is not None:
            out, err = service.stop()
            pytest.fail(
                f"portal-local up exited ({process.returncode}): {err[-2000:]} {out[-500:]}"
            )
        if time.monotonic() > deadline:
            out, err = service.stop()
            pytest.fail(f"portal-local up wrote no outputs in {STARTUP_SECONDS} s: {err[-2000:]}")
        time.sleep(0.2)
    return service


def up_command(
    outputs_file: Path, run_dir: Path, parameters: Mapping[str, str], *extra: str
) -> list[str]:
    argv = [str(BIN / "portal-local"), "up", "--port", "0", "--outputs", str(outputs_file)]
    argv += ["--run-dir", str(run_dir), *extra]
    for key, value in parameters.items():
        argv += ["--parameter", f"{key}={value}"]
    return argv


def service_texts(service: Service) -> dict[str, str]:
    """Every text the endpoint keeps that the rules protect: histories (children too),
    function logs, the ledger, the work bucket."""
    texts: dict[str, str] = {}
    sfn = service.client("stepfunctions")
    machine = service.outputs.get("StateMachineArn")
    if machine:
        for arn in executions(sfn, machine):
            pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
            texts[f"history:{arn}"] = json.dumps(
                [e for page in pages for e in page["events"]], default=str
            )
    texts.update({f"log:{name}": text for name, text in service.logs().items()})
    table = service.outputs.get("RunsTableName")
    if table:
        pages = service.client("dynamodb").get_paginator("scan").paginate(TableName=table)
        texts["dynamodb"] = json.dumps([i for p in pages for i in p["Items"]], default=str)
    bucket = service.outputs.get("WorkBucketName")
    if bucket:
        s3 = service.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                try:
                    body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                except ClientError:
                    # A failed change's snapshot (runs/): for the functions and
                    # SnapshotReaderRoleArn alone, by design (README Security).
                    if not obj["Key"].startswith("runs/"):
                        raise
                    continue
                texts[f"s3:{obj['Key']}"] = body.decode("utf-8", "replace")
    return texts


def assert_no_leaks(service: Service, emulator: PortalEmulator) -> None:
    values = secret_values(emulator, [CANARY_PASSWORD])
    assert find_leaks(service_texts(service), values) == []
