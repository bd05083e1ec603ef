"""How a parallel run merges its workers' least-privilege findings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.workflow.least_privilege import merged_findings

GRANTED = ["A: s3:GetObject", "B: kms:Decrypt"]


def _report(
    directory: Path,
    worker: str,
    *,
    whole: bool,
    refused: list[str],
    unused: list[str],
    granted: list[str] = GRANTED,
) -> None:
    payload = {"whole": whole, "refused": refused, "unused": unused, "granted": granted}
    (directory / f"{worker}.json").write_text(json.dumps(payload), encoding="utf-8")


def test_a_grant_fails_only_when_no_worker_used_it_and_any_refusal_fails(tmp_path: Path) -> None:
    _report(tmp_path, "gw0", whole=True, refused=[], unused=["A: s3:GetObject", "B: kms:Decrypt"])
    _report(tmp_path, "gw1", whole=True, refused=["C: sns:Publish"], unused=["B: kms:Decrypt"])

    assert merged_findings(tmp_path) == [
        "refused: C: sns:Publish",
        "granted, never used, no reason given: B: kms:Decrypt",
    ]


def test_a_subset_checks_refusals_only_and_no_deployment_checks_nothing(tmp_path: Path) -> None:
    assert merged_findings(tmp_path) == []
    _report(tmp_path, "gw0", whole=False, refused=[], unused=["A: s3:GetObject"])
    _report(tmp_path, "gw1", whole=True, refused=[], unused=["A: s3:GetObject"])

    assert merged_findings(tmp_path) == []


def test_grants_that_differ_between_workers_are_a_problem_not_an_intersection(
    tmp_path: Path,
) -> None:
    _report(tmp_path, "gw0", whole=True, refused=[], unused=["A: on bucket-1"], granted=["A"])
    _report(tmp_path, "gw1", whole=True, refused=[], unused=["A: on bucket-2"], granted=["B"])

    assert merged_findings(tmp_path) == ["the workers' grants differ once renamed: fix _renaming"]
