"""`portal-local emulator` as a separate process: prints what a user needs, stops."""

from __future__ import annotations

import contextlib
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


def _read_until(lines: queue.Queue[str], marker: str, timeout: float = 60.0) -> list[str]:
    seen: list[str] = []
    while not any(marker in line for line in seen):
        seen.append(lines.get(timeout=timeout))
    return seen


@contextlib.contextmanager
def _emulator(*arguments: str) -> Iterator[tuple[str, requests.Session]]:
    """``portal-local emulator --port 0 --tls ARGUMENTS`` in a process of its own: its
    output up to "Running", and a session; on exit it is stopped with SIGTERM, and must
    end with 0 (killed if the test failed first)."""
    command = [sys.executable, "-m", "portal_local.cli", "emulator", "--port", "0", "--tls"]
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [*command, *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        session = requests.Session()
        session.trust_env = False
        yield "\n".join(_read_until(_lines(process), "Running")), session
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


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


def test_cli_runs_a_highly_available_portal() -> None:
    with _emulator(
        "--machines", "2", "--unreachable-machine", "2", "--token-warmup-seconds", "1",
        "--no-config-booleans-as-strings", "--restart-seconds", "0.2",
    ) as (output, session):  # fmt: skip
        primary = re.search(r"machine portal-machine-1\S* \(primary\): (https://\S+)", output)
        standby = re.search(r"machine portal-machine-2\S* \(standby\): (\S+) \(refuses", output)
        bundle = re.search(r"CA bundle: (\S+)", output)
        assert primary, output
        assert standby, output
        assert bundle, output
        health = session.get(
            f"{primary.group(1)}/portaladmin/healthCheck",
            params={"f": "json"},
            verify=bundle.group(1),
            timeout=5,
        )
        assert health.json() == {"status": "success"}
        with pytest.raises(requests.ConnectionError):
            session.get(
                f"{standby.group(1)}/portaladmin/healthCheck", verify=bundle.group(1), timeout=5
            )


def test_cli_refuses_settings_that_do_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--port", "0", "--flavour", "kubernetes", "--version", "10.8"]) == 2
    assert "Kubernetes" in capsys.readouterr().err


def test_cli_dispatch_table() -> None:
    args = build_parser().parse_args(
        ["emulator", "--port", "0", "--context", "a", "--context", "b"]
    )
    assert args.context == ["a", "b"]
    assert args.tls is False
    assert (args.machines, args.flavour, args.token_warmup_seconds) == (1, "enterprise", 0.0)
    assert args.config_booleans_as_strings is True
    new = build_parser().parse_args(
        [
            "emulator", "--machines", "2", "--flavour", "kubernetes", "--token-warmup-seconds",
            "12", "--no-config-booleans-as-strings", "--initial-default-user-type", "",
        ]
    )  # fmt: skip
    assert (new.machines, new.flavour, new.token_warmup_seconds) == (2, "kubernetes", 12.0)
    assert new.config_booleans_as_strings is False
    assert new.initial_default_user_type == ""
    with pytest.raises(SystemExit):
        main(["no-such-command"])


def test_cli_runs_server_sites_beside_a_portal() -> None:
    with _emulator(
        "--context", "portal", "--server", "server", "--server-version", "12.0",
        "--server-machines", "2", "--username", "cliadmin", "--password", "cli-pass",
    ) as (output, session):  # fmt: skip
        site = re.search(r"ArcGIS Server site 12\.0\.0 at (https://\S+/server)", output)
        machine = re.search(r"machine SERVER-2\S* \(peer\): (https://\S+/arcgis/admin)", output)
        bundle = re.search(r"CA bundle: (\S+)", output)
        assert site, output
        assert machine, output
        assert bundle, output
        assert "Portal 11.3.0 at" in output
        token = session.post(
            f"{site.group(1)}/admin/generateToken",
            data={"username": "cliadmin", "password": "cli-pass", "referer": "https://x"}
            | {"f": "json"},
            verify=bundle.group(1),
            timeout=5,
        ).json()
        assert token["expires"].isdigit()
        health = session.get(
            f"{machine.group(1).removesuffix('/admin')}/rest/info/healthCheck",
            params={"f": "json"},
            verify=bundle.group(1),
            timeout=5,
        )
        assert health.json() == {"success": True}
