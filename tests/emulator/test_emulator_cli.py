"""`portal-automation emulator` as a separate process: prints what a user needs, stops."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import requests
from portal_local.cli import build_parser, main

pytestmark = pytest.mark.emulator


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _read_until(lines: queue.Queue[str], marker: str, timeout: float = 15.0) -> list[str]:
    seen: list[str] = []
    while not any(marker in line for line in seen):
        seen.append(lines.get(timeout=timeout))
    return seen


@pytest.fixture
def cli_process() -> Iterator[subprocess.Popen[str]]:
    command = [
        sys.executable, "-m", "portal_local.cli", "emulator", "--port", "0", "--tls",
        "--version", "11.4", "--restart-seconds", "0.5", "--restart-lag-seconds", "0.1",
        "--username", "cliadmin", "--password", "cli-pass",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5)


def test_cli_starts_prints_and_stops_on_sigterm(cli_process: subprocess.Popen[str]) -> None:
    lines = _lines(cli_process)
    output = "\n".join(_read_until(lines, "Running"))
    url_match = re.search(r"(https://127\.0\.0\.1:\d+/arcgis)", output)
    bundle_match = re.search(r"CA bundle: (\S+)", output)
    assert url_match, output
    assert bundle_match, output
    assert "Admin user: cliadmin" in output
    assert "Admin password: cli-pass" in output
    assert "local use only" in output
    assert "Portal 11.4.0" in output

    url, bundle = url_match.group(1), bundle_match.group(1)
    session = requests.Session()
    session.trust_env = False
    health = session.get(
        f"{url}/portaladmin/healthCheck", params={"f": "json"}, verify=bundle, timeout=5
    )
    assert health.json() == {"status": "success"}
    token = session.post(
        f"{url}/sharing/rest/generateToken",
        data={"username": "cliadmin", "password": "cli-pass", "referer": "https://x", "f": "json"},
        verify=bundle,
        timeout=5,
    ).json()
    assert "token" in token

    cli_process.send_signal(signal.SIGTERM)
    assert cli_process.wait(timeout=10) == 0
    assert "Stopped." in _read_until(lines, "Stopped.")[-1]


def test_cli_dispatch_table() -> None:
    args = build_parser().parse_args(
        ["emulator", "--port", "0", "--context", "a", "--context", "b"]
    )
    assert args.context == ["a", "b"]
    assert args.tls is False
    with pytest.raises(SystemExit):
        main(["no-such-command"])
