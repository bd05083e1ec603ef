"""The operator's CLI is part of the product: it installs and runs without the local
tooling (no moto, emulator or dev dependency), as pip installs it for use against AWS; an
error it expects is one line and an exit code of its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from portal_automation.cli import exits, main
from portal_automation.cli.target import Target

PRODUCT = "arcgis-portal-security-automation"
LOCAL_ONLY = (
    "moto",
    "portal_local",
    "werkzeug",
    "flask",
    "samtranslator",
    "cfnlint",
    "cryptography",
    "yaml",
    "pytest",
    "hypothesis",
)
BLOCKER = f"""
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {LOCAL_ONLY!r}:
            raise ImportError("local-only module imported: " + name)
        return None
sys.meta_path.insert(0, Blocked())
from portal_automation.cli import main
try:
    main([sys.argv[1], "--help"])
except SystemExit as exc:
    sys.exit(exc.code)
"""


def test_the_product_distribution_needs_nothing_local() -> None:
    requires = {
        r.split(";")[0].split("[")[0].split(">")[0].split("=")[0].strip().lower()
        for r in metadata.requires(PRODUCT) or []
        if "extra ==" not in r
    }
    assert requires == {"boto3", "requests", "aws-lambda-powertools", "pydantic"}
    (script,) = [
        e for e in metadata.entry_points(group="console_scripts") if e.name == "portal-automation"
    ]
    assert script.value == "portal_automation.cli:main"


@pytest.mark.parametrize("command", ["start", "follow", "status"])
def test_each_command_runs_with_the_local_tooling_absent(command: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", BLOCKER, command], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert f"portal-automation {command}" in done.stdout


# --- an operator's CLI (issue 19 item 6) ---------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
NO_AWS_CONFIG = {
    "PATH": os.environ.get("PATH", ""),
    "HOME": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "portal_automation.cli", *argv],
        env={**NO_AWS_CONFIG, "PYTHONPATH": str(ROOT / "layers" / "shared"), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])

    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"portal-automation {metadata.version(PRODUCT)}"


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--stack-name", "gis", "--region", "eu-west-1"],
        ["--region", "eu-west-1", "follow", "arn:aws:states:eu-west-1:1:execution:m:e"],
        ["--profile", "nosuch", "status", "--stack-name", "gis"],
        ["status", "--stack-name", "gis"],  # no region either
    ],
)
def test_without_credentials_or_configuration_one_line_and_its_own_code(argv: list[str]) -> None:
    done = _cli(*argv)

    assert done.returncode == exits.NOT_CONFIGURED, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("portal-automation: ")


def test_debug_adds_the_traceback() -> None:
    done = _cli("status", "--stack-name", "gis", "--region", "eu-west-1", "--debug")

    assert done.returncode == exits.NOT_CONFIGURED
    assert "Traceback" in done.stderr
    assert "NoCredentialsError" in done.stderr


def _refusing(operation: str, code: str, message: str, status: int) -> Any:
    client = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(client)
    stubber.add_client_error(operation, code, message, status)
    stubber.activate()
    return client


REFUSALS = [
    (
        ("AccessDenied", 403),
        "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: "
        "cloudformation:DescribeStacks",
        "access denied to DescribeStacks",
    ),
    (("ValidationError", 400), "Stack with id gis does not exist", "no such stack"),
    (("Throttling", 400), "Rate exceeded", "AWS refused DescribeStacks (Throttling)"),
]


@pytest.mark.parametrize(("error", "message", "said"), REFUSALS)
def test_an_aws_refusal_is_one_line_apart_from_a_failed_run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: tuple[str, int],
    message: str,
    said: str,
) -> None:
    client = _refusing("describe_stacks", error[0], message, error[1])
    monkeypatch.setattr(Target, "client", lambda self, service: client)

    exit_code = main(["status", "--stack-name", "gis"])

    err = capsys.readouterr().err
    assert exit_code == exits.AWS_REFUSED != exits.RUN_FAILED
    assert err.splitlines() == [f"portal-automation: {err.split(': ', 1)[1].strip()}"]
    assert said in err


def test_every_exit_code_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The operator CLI") :]
    section = section[: section.index("\n## ")]
    documented = {int(code) for code in re.findall(r"^\| `(\d+)` \|", section, re.MULTILINE)}
    codes = {v for k, v in vars(exits).items() if k.isupper() and isinstance(v, int)}
    assert documented == codes
