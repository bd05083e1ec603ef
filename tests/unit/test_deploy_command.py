"""``make deploy`` names every function's version by a digest of the build and the
parameters (issue 19 item 1): the same deploy gives the same digest, any change of the
layer, the code or a setting another. tests/service/test_redeploys.py runs the command
against the local endpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

from portal_local.aws.deploy import load_template
from portal_local.tools.deploy import DIGEST_PARAMETER, digest, local_digest, sam_command

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS = {"SecretArnPrefix": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:p/"}


def _project(target: Path) -> Path:
    shutil.copy(ROOT / "template.yaml", target / "template.yaml")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("statemachine", "functions", "layers"):
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    return target / "template.yaml"


def test_the_digest_follows_the_layer_the_code_and_every_setting(tmp_path: Path) -> None:
    template = _project(tmp_path)
    first = local_digest(template, PARAMETERS)

    assert local_digest(template, PARAMETERS) == first
    assert local_digest(template, {**PARAMETERS, DIGEST_PARAMETER: "x" * 64}) == first
    assert local_digest(template, {**PARAMETERS, "LogLevel": "DEBUG"}) != first
    assert local_digest(template, {**PARAMETERS, "LockTtlSeconds": "900"}) != first
    layer = tmp_path / "layers" / "shared" / "portal_automation" / "errors.py"
    layer.write_text(layer.read_text() + "\n# a fix\n")
    after_layer = local_digest(template, PARAMETERS)
    assert after_layer != first
    handler = tmp_path / "functions" / "verify" / "app.py"
    handler.write_text(handler.read_text() + "\n# a fix\n")
    assert local_digest(template, PARAMETERS) not in (first, after_layer)


def test_a_build_digest_ignores_nothing_but_the_given_digest() -> None:
    assert digest("build", {"A": "1"}) == digest("build", {"A": "1", DIGEST_PARAMETER: "old"})
    assert digest("build", {"A": "1"}) != digest("build", {"A": "2"})
    assert digest("build", {"A": "1"}) != digest("other build", {"A": "1"})


def test_sam_deploy_gets_the_digest_with_the_parameters(tmp_path: Path) -> None:
    overrides = tmp_path / "deploy-parameters.json"

    command = sam_command("gis", overrides, region="eu-west-1", profile=None)

    assert command[1:3] == ["deploy", "--template-file"]
    assert command[command.index("--parameter-overrides") + 1] == f"file://{overrides}"
    assert {"--resolve-s3", "--no-fail-on-empty-changeset", "CAPABILITY_AUTO_EXPAND"} <= set(
        command
    )
    assert command[-2:] == ["--region", "eu-west-1"]


def test_every_published_function_names_its_versions_by_the_digest() -> None:
    """A function added later without it would keep its first layer and settings."""
    template = load_template(ROOT / "template.yaml")
    auto = template["Globals"]["Function"].get("AutoPublishAlias")
    functions = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert auto == "live"
    assert functions
    for name, props in functions.items():
        assert props.get("AutoPublishCodeSha256") == {"Ref": DIGEST_PARAMETER}, name
    assert template["Parameters"][DIGEST_PARAMETER]["Default"] == ""
