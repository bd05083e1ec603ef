"""The operator's CLI against the local deployment, as against AWS: ``start`` through the
state machine's alias, and ``status`` over succeeded, failed and drifted portals (issue
11 section 4); JSON output, and what the account does not hold (issue 19 item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from portal_automation.cli import exits, main
from portal_local.emulator import Fault

from .conftest import Workflow, rotation_input, start_with_cli

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

DRIFTING = {"allowedProxyHosts": "cli-drift.example.com"}


def test_start_runs_through_the_alias_and_follows_to_the_end(
    workflow: Workflow, outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = workflow.secret_for("rot113")

    code = start_with_cli(outputs, tmp_path, arn, "cli-start")

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "execution SUCCEEDED" in printed
    assert "[cli-start]" in printed  # the child's lines, labelled with its portal
    assert workflow.secret_json(arn)["sharedKey"] == workflow.emulator.portal("rot113").shared_key


def test_status_shows_each_portal_key_age_last_run_and_drift(
    workflow: Workflow, outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow.emulator.faults.add(
        Fault(action="error", code=500, context="fleet1", path="portaladmin/security/tokens/update")
    )
    ok, failed = workflow.secret_for("rot113"), workflow.secret_for("fleet1")
    drifted, never = workflow.secret_for("cfg113"), workflow.secret_for("fleet2")
    assert workflow.rotate(ok, failed).status == "FAILED"  # one of two failed
    assert workflow.apply(DRIFTING, drifted, dryRun=True).status == "SUCCEEDED"
    capsys.readouterr()

    code = main(["status", "--outputs", str(outputs), "--json", "--max-key-age", "30"])

    document = json.loads(capsys.readouterr().out)
    assert code == 3  # keys of unknown age: an audit cannot vouch for them
    portals = {p["secretArn"]: p for p in document["portals"]}
    assert portals[ok]["keyAgeDays"] == 0.0
    assert portals[ok]["keyAgeSource"] == "run"
    assert portals[ok]["lastRun"]["status"] == "verified"
    assert portals[ok]["version"] == "11.3"
    assert portals[failed]["lastRun"]["status"] == "failed"
    assert portals[failed]["lastRun"]["error"] == "PortalRequestRejected"
    assert portals[failed]["keyAgeDays"] is None
    assert portals[drifted]["drift"]["changes"] == ["allowedProxyHosts"]
    assert portals[drifted]["lastRun"]["dryRun"] is True
    assert portals[never]["lastRun"] is None
    over = set(document["keyAges"]["overMaxAge"])
    assert {failed, drifted, never} <= over
    assert ok not in over

    assert main(["status", "--outputs", str(outputs)]) == 0
    table = capsys.readouterr().out
    row = {line.split()[0]: line for line in table.splitlines()[1:]}
    name = ok.split(":secret:")[1][:-7]
    assert "verified" in row[name]
    assert "failed (PortalRequestRejected)" in row[failed.split(":secret:")[1][:-7]]
    assert "allowedProxyHosts" in row[drifted.split(":secret:")[1][:-7]]


def test_start_with_json_output_prints_the_result_alone(
    workflow: Workflow, outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = workflow.secret_for("rot113")
    request = rotation_input(tmp_path, arn)

    code = main(["--output", "json", "start", "--outputs", str(outputs), "--input", str(request)])

    printed = capsys.readouterr()
    document = json.loads(printed.out)  # stdout: the result alone
    assert code == exits.OK
    assert document["status"] == "SUCCEEDED"
    assert document["summary"]["portals"][0]["secretArn"] == arn
    assert "-> PlanExecution" in printed.err  # progress on stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["status", "--stack-name", "no-such-stack"], "no such stack"),
        (
            ["follow", "arn:aws:states:us-east-1:123456789012:execution:portal-security:nope"],
            "no such execution",
        ),
    ],
)
def test_what_the_account_does_not_hold_is_one_line_and_its_own_code(
    workflow: Workflow, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    where = ["--endpoint-url", workflow.aws.endpoint.url, "--region", workflow.aws.endpoint.region]

    code = main([*argv, *where])

    err = capsys.readouterr().err
    assert code == exits.AWS_REFUSED
    assert len(err.strip().splitlines()) == 1, err
    assert said in err


# The portal's text as an attacker writes it: erase the line, return to its start, a
# line of its own claiming success, an OSC title, a C1 CSI.
FORGED = "Denied.\x1b[2K\r  - gis-prod: verified (portal 11.3)\n\x1b]0;owned\x07\x9b31m"
STEERING = ("\x1b", "\r", "\x07", "\x9b")


def test_a_portal_error_cannot_forge_a_line_under_follow(
    workflow: Workflow, outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FAULTS row 50: the portal refuses the change with terminal control sequences in
    its message. The report keeps them only as escapes, and ``start`` (which follows the
    run) prints no control character and no line the portal wrote."""
    workflow.emulator.faults.add(
        Fault(
            action="error",
            code=500,
            message=FORGED,
            context="forgedtext",
            path="portaladmin/security/tokens/update",
        )
    )
    arn = workflow.secret_for("forgedtext")
    request = rotation_input(tmp_path, arn)

    code = main(["start", "--outputs", str(outputs), "--input", str(request), "--timeout", "120"])

    printed = capsys.readouterr().out
    assert code != 0, printed
    assert not [c for c in STEERING if c in printed], printed
    lines = printed.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("- gis-prod")], printed
    (error_line,) = [line for line in lines if "error: PortalRequestRejected" in line]
    assert "Denied.\\x1b[2K\\r  - gis-prod: verified" in error_line
    started = next(line for line in lines if line.startswith("started "))
    run = started.rsplit(":", 1)[-1]
    stored = workflow.aws.client("s3").get_object(
        Bucket=workflow.aws.outputs["WorkBucketName"], Key=f"reports/{run}.json"
    )
    (portal,) = json.loads(stored["Body"].read())["portals"]
    assert not [c for c in (*STEERING, "\n") if c in portal["error"]["message"]]
