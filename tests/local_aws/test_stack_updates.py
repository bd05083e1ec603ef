"""A redeploy as CloudFormation makes it (issue 19, FAULTS row 57): a version is published
only when its resource is new (SAM names it by a hash of what it hashes, which sees
neither a layer's content nor a parameter's value), after its function was updated; the
state machine's version follows its definition. ``fixtures/redeploy.yaml`` holds a layer,
a setting and a digest as the project's template does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from portal_local.aws.deploy import DeployError, Stack, deploy_stack
from portal_local.aws.moto_endpoint import LocalAwsEndpoint

from tests.local_aws._support import FIXTURES, invoke, wait_for_execution

pytestmark = pytest.mark.workflow

DIGEST = "0123456789abcdef" * 4


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fixture template with its layer and function, in a folder of its own."""
    shutil.copy(FIXTURES / "redeploy.yaml", tmp_path / "template.yaml")
    shutil.copytree(FIXTURES / "layer", tmp_path / "layer")
    shutil.copytree(FIXTURES / "functions" / "beta", tmp_path / "functions" / "beta")
    return tmp_path


def _change_layer(project: Path, value: str) -> None:
    shared = project / "layer" / "fixture_shared" / "__init__.py"
    text = shared.read_text()
    shared.write_text(
        text.replace('LAYER_VALUE = "from-the-shared-layer"', f'LAYER_VALUE = "{value}"')
    )


def _seen(endpoint: LocalAwsEndpoint, stack: Stack, qualifier: str | None = None) -> dict[str, Any]:
    """What the function answers: through its live alias, or the qualifier given."""
    function = stack.outputs["EchoFunction"]
    body = invoke(endpoint, function, {"action": "echo"}, Qualifier=qualifier or "live")["Body"]
    return {"layer": body["layer_value"], "greeting": body["greeting"]}


def _run(endpoint: LocalAwsEndpoint, stack: Stack) -> dict[str, Any]:
    """What a run started through the state machine's alias sees."""
    sfn = endpoint.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs["MachineAlias"], input=json.dumps({"action": "echo"})
    )["executionArn"]
    done = wait_for_execution(sfn, arn)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    return {"layer": output["layer_value"], "greeting": output["greeting"]}


def _versions(endpoint: LocalAwsEndpoint, stack: Stack) -> list[str]:
    lam = endpoint.client("lambda")
    listed = lam.list_versions_by_function(FunctionName=stack.outputs["EchoFunction"])
    return [v["Version"] for v in listed["Versions"] if v["Version"] != "$LATEST"]


def test_a_redeploy_that_changes_nothing_publishes_nothing(
    endpoint: LocalAwsEndpoint, project: Path
) -> None:
    first = deploy_stack(endpoint, project / "template.yaml", {}, "same")

    again = deploy_stack(endpoint, project / "template.yaml", {}, "same")

    assert again.physical_ids == first.physical_ids
    assert _versions(endpoint, again) == ["1"]


def test_a_layer_or_a_setting_alone_leaves_the_live_versions_as_they_were(
    endpoint: LocalAwsEndpoint, project: Path
) -> None:
    """What SAM and CloudFormation do (aws/serverless-application-model #3610, #3820): the
    function is updated, its version is not published again, and runs keep the first
    deploy's layer and settings."""
    template = project / "template.yaml"
    stack = deploy_stack(endpoint, template, {}, "stale")
    _change_layer(project, "second-layer")

    stack = deploy_stack(endpoint, template, {"Greeting": "bonjour"}, "stale")

    assert _seen(endpoint, stack, "$LATEST") == {"layer": "second-layer", "greeting": "bonjour"}
    assert _versions(endpoint, stack) == ["1"]
    assert _seen(endpoint, stack) == {"layer": "from-the-shared-layer", "greeting": "hello"}
    assert _run(endpoint, stack) == {"layer": "from-the-shared-layer", "greeting": "hello"}


def test_a_new_version_name_publishes_the_updated_function_and_runs_use_it(
    endpoint: LocalAwsEndpoint, project: Path
) -> None:
    """A digest of the layer and the settings names the version (AutoPublishCodeSha256):
    CloudFormation creates the new version after updating the function, the alias moves
    to it, and the state machine's new definition (and version) calls it."""
    template = project / "template.yaml"
    stack = deploy_stack(endpoint, template, {}, "fresh")
    _change_layer(project, "second-layer")

    stack = deploy_stack(endpoint, template, {"Greeting": "bonjour", "Digest": DIGEST}, "fresh")

    assert _versions(endpoint, stack) == ["1", "2"]
    assert _seen(endpoint, stack) == {"layer": "second-layer", "greeting": "bonjour"}
    assert _seen(endpoint, stack, "1") == {"layer": "from-the-shared-layer", "greeting": "hello"}
    assert _run(endpoint, stack) == {"layer": "second-layer", "greeting": "bonjour"}


def test_an_update_with_a_refused_parameter_changes_nothing(
    endpoint: LocalAwsEndpoint, project: Path
) -> None:
    template = project / "template.yaml"
    stack = deploy_stack(endpoint, template, {}, "refused")

    with pytest.raises(DeployError) as raised:
        deploy_stack(
            endpoint, template, {"Greeting": "bonjour", "Digest": "ABCDEF0123456789" * 4}, "refused"
        )

    assert "Digest" in str(raised.value)
    assert _seen(endpoint, stack, "$LATEST") == {
        "layer": "from-the-shared-layer",
        "greeting": "hello",
    }
