"""The ASL check's retry rules (make validate-asl): retries follow the errors'
``transient`` flag and the stores each function's settings give it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from portal_local.tools.asl_check import (
    function_models,
    project_errors,
    retry_problems,
    rule_problems,
    state_machines,
    walk_states,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def machine() -> tuple[dict[str, Any], dict[str, type]]:
    ((_, path, substitutions),) = state_machines(TEMPLATE)
    return json.loads(path.read_text()), function_models(TEMPLATE, substitutions)


def state(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for n, s in walk_states(definition["States"]) if n == name)


def test_the_project_definition_follows_every_rule(
    machine: tuple[dict[str, Any], dict[str, type]],
) -> None:
    definition, models = machine
    assert len(models) == 10
    assert rule_problems(definition, project_errors()) == []
    assert retry_problems(definition, models) == []


def test_retrying_an_error_that_is_not_transient_is_refused(
    machine: tuple[dict[str, Any], dict[str, type]],
) -> None:
    definition, models = copy.deepcopy(machine[0]), machine[1]
    state(definition, "Preflight")["Retry"][1]["ErrorEquals"].append("PortalAuthFailed")

    assert retry_problems(definition, models) == [
        "Preflight: retries PortalAuthFailed, which is not transient"
    ]


def test_a_store_error_the_task_does_not_retry_is_named(
    machine: tuple[dict[str, Any], dict[str, type]],
) -> None:
    definition, models = copy.deepcopy(machine[0]), machine[1]
    for retry in state(definition, "Finalize")["Retry"]:
        retry["ErrorEquals"] = [e for e in retry["ErrorEquals"] if e != "LedgerUnavailable"]

    assert retry_problems(definition, models) == [
        "Finalize: does not retry LedgerUnavailable, which its function's stores raise "
        "(FinalizeSettings)"
    ]


def test_a_transient_error_nobody_retries_is_named(
    machine: tuple[dict[str, Any], dict[str, type]],
) -> None:
    definition, models = copy.deepcopy(machine[0]), machine[1]
    for _, each in walk_states(definition["States"]):
        for retry in each.get("Retry", []):
            retry["ErrorEquals"] = [e for e in retry["ErrorEquals"] if e != "PortalBadResponse"]

    assert retry_problems(definition, models) == [
        "PortalBadResponse is transient but no state retries it"
    ]
