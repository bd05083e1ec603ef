"""``portal-local up`` (portal_local.aws.up) as a user runs it: a process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.local_aws._support import TEMPLATE

# A hang guard, not an assertion about time: a loaded machine may take minutes to import
# moto and deploy; only a process that neither writes its outputs nor exits is a failure.
HANG_GUARD_SECONDS = 600
pytestmark = [pytest.mark.workflow, pytest.mark.timeout(2 * HANG_GUARD_SECONDS)]


def _wait_for_file(path: Path, process: subprocess.Popen[str], log: Path) -> dict[str, object]:
    """The outputs ``portal-local up`` writes once it is ready (or the test fails when the
    process exits first)."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        if path.exists():
            document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
            return document
        if process.poll() is not None:
            pytest.fail(f"local up exited early ({process.returncode}): {log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"{path} not written and the process still runs: {log.read_text()}")


def test_local_up_deploys_writes_outputs_and_stops_on_sigterm(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    command = [
        sys.executable,
        "-m",
        "portal_local.aws.up",
        "--port",
        "0",
        "--outputs",
        str(outputs),
        "--template",
        str(TEMPLATE),
        "--run-dir",
        str(tmp_path / "run"),
        "--parameter",
        "Greeting=bonjour",
    ]
    # Its output goes to files: a pipe nobody reads until the end fills up and blocks the
    # process (more so on a loaded machine, where it logs more before it is ready).
    stdout_log, stderr_log = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout_log.open("w") as stdout, stderr_log.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own module
            command, cwd=tmp_path, stdout=stdout, stderr=stderr, text=True
        )
        try:
            document = _wait_for_file(outputs, process, stderr_log)
            assert document["region"] == "us-east-1"
            url = str(document["endpoint_url"])
            assert url.startswith("http://127.0.0.1:")
            stack_outputs = document["outputs"]
            assert isinstance(stack_outputs, dict)
            assert stack_outputs["ParameterValue"] == "portal-security-test-bonjour"

            # Usable from another process exactly like AWS.
            lam = boto3.client(
                "lambda",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            response = lam.invoke(
                FunctionName=stack_outputs["AlphaFunctionName"], Payload=b'{"action": "echo"}'
            )
            assert json.loads(response["Payload"].read())["greeting"] == "bonjour"

            process.send_signal(signal.SIGTERM)
            process.wait(timeout=HANG_GUARD_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=HANG_GUARD_SECONDS)

    assert process.returncode == 0, stderr_log.read_text()
    assert "AWS_ENDPOINT_URL=" + url in stdout_log.read_text()
    assert "Stopping the local AWS endpoint" in stdout_log.read_text()
    assert not outputs.exists()  # it described a running endpoint


def test_local_up_reports_a_bad_template(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: missing/, Handler: app.handler,"
        " Runtime: python3.11}\n",
        encoding="utf-8",
    )

    result = subprocess.run(  # noqa: S603 - our own module
        [
            sys.executable,
            "-m",
            "portal_local.aws.up",
            "--port",
            "0",
            "--template",
            str(template),
            "--outputs",
            str(tmp_path / "out.json"),
            "--run-dir",
            str(tmp_path / "run"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )

    assert result.returncode == 1
    assert "Fn.CodeUri" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_local_up_fails_fast_when_the_port_is_taken(tmp_path: Path) -> None:
    """Through ``portal-local up``, the command the README gives (its options are up's)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(  # noqa: S603 - our own command
            [
                str(Path(sys.executable).parent / "portal-local"),
                "up",
                "--port",
                str(port),
                "--template",
                str(TEMPLATE),
                "--outputs",
                str(tmp_path / "out.json"),
                "--run-dir",
                str(tmp_path / "run"),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )

    assert result.returncode == 1
    assert f"cannot start on 127.0.0.1:{port}" in result.stderr
