"""Least privilege, proved by use (issue 10 section 3): the two checks over what the
local endpoint recorded of the deployed functions' AWS calls.

The endpoint recorded every authorization each function's calls needed (service, IAM
action, resource ARN, and the KMS use a call implies: :mod:`portal_local.aws.access`).
Each is checked against the function's role as deployed from the translated template
(the inline and managed policies moto's IAM holds):

* :func:`refused_calls`: a call the role does not allow, unless a test provoked it on
  purpose (``refusals`` in ``least_privilege_reasons.json``: the endpoint answered it
  AccessDenied, as AWS would, and the test asserts what the product made of it);
* :func:`unused_grants`: a granted (action, resource) that no call used, unless
  ``least_privilege_reasons.json`` gives a reason for it. It needs the calls of the
  whole workflow suite (a subset leaves grants unused).

Serial runs check both in ``test_zz_least_privilege.py`` (the last module). Parallel
runs (pytest-xdist: one deployment per worker) write each worker's findings at the end
of its session (:func:`write_findings`), and the controller merges them
(:func:`merged_findings`, from ``tests/conftest.py``): a refused call in any worker
fails, a grant fails only when no worker used it. Resources are named by logical id
there, since each worker's deployment has its own physical names.
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal_local.aws.access import Call, _like, evaluate, request_context, role_from_iam
from portal_local.deployment import LocalDeployment

REASONS = Path(__file__).with_name("least_privilege_reasons.json")
# Where a parallel run's workers write their findings (set by the controller).
FINDINGS_DIR_VARIABLE = "PORTAL_TESTS_LEAST_PRIVILEGE_DIR"
WORKFLOW_DIR = Path(__file__).resolve().parent


def whole_suite_ran(items: list[Any], deselected: int) -> bool:
    """Whether the session collected every workflow test module and deselected none."""
    ran = {Path(str(item.path)).name for item in items}
    wanted = {p.name for p in WORKFLOW_DIR.glob("test_*.py")}
    return wanted <= ran and not deselected


def refused_calls(aws: LocalDeployment) -> list[str]:
    """Each call a function made that its role does not allow (or that the endpoint
    refused) and that no entry of ``refusals`` lists."""
    functions = _functions(aws)
    refusals = json.loads(REASONS.read_text(encoding="utf-8"))["refusals"]
    recorded, rename = aws.endpoint.aws_calls(), _renaming(aws)
    refused, roles = [], {}
    for call in sorted(set(recorded), key=lambda c: (c.function, c.action, c.resource)):
        assert isinstance(call, Call)
        logical, role_arn = functions[call.function]
        if role_arn not in roles:
            roles[role_arn] = role_from_iam(aws.endpoint, role_arn).statements
        context = request_context(role_arn, **dict(call.conditions))
        verdict = evaluate(roles[role_arn], call.action, call.resource, context)
        if verdict == "Allow" and not call.refused:
            continue
        if call.refused and _listed_with_reason(
            refusals, logical, call.action, "resource", call.resource
        ):
            continue
        refused.append(
            f"{logical}: {call.action} on {rename(call.resource)} (for {call.operation}): "
            f"{verdict}" + (", answered AccessDenied" if call.refused else "")
        )
    return refused


@dataclass(frozen=True)
class Grant:
    """One (action, resource) a policy of a function's role allows."""

    function: str
    logical: str
    policy: str
    action: str
    resource: str


def unused_grants(aws: LocalDeployment, grants: list[Grant] | None = None) -> list[str]:
    """Each granted (action, resource) of a function's role that none of its calls used
    and no entry of ``reasons`` explains; resources named by logical id."""
    reasons = json.loads(REASONS.read_text(encoding="utf-8"))["reasons"]
    calls, rename = _calls(aws), _renaming(aws)
    unused = []
    for grant in grants if grants is not None else _grants(aws):
        used = calls.get(grant.function, set())
        if any(_like(grant.action, a, case=False) and _like(grant.resource, r) for a, r, _ in used):
            continue
        if _listed_with_reason(
            reasons, grant.logical, grant.action, "policy", _short(grant.policy), default="*"
        ):
            continue
        unused.append(_named(grant, rename))
    return unused


def granted(aws: LocalDeployment, grants: list[Grant] | None = None) -> list[str]:
    """Every grant of every function's role, resources named by logical id: the same for
    every deployment of the template (how a parallel run checks its renaming)."""
    rename = _renaming(aws)
    return sorted(
        {_named(grant, rename) for grant in (grants if grants is not None else _grants(aws))}
    )


def _named(grant: Grant, rename: Callable[[str], str]) -> str:
    policy = _short(rename(grant.policy))
    return f"{grant.logical}: {grant.action} on {rename(grant.resource)} ({policy})"


def _grants(aws: LocalDeployment) -> list[Grant]:
    """Each Allow grant of each function's role."""
    grants = []
    for name, (logical, role_arn) in sorted(_functions(aws).items()):
        role = role_from_iam(aws.endpoint, role_arn)
        for policy, statements in role.policies.items():
            for statement in statements:
                if statement.get("Effect") != "Allow":
                    continue
                for action in _listed(statement.get("Action")):
                    for resource in _listed(statement.get("Resource", "*")):
                        grants.append(Grant(name, logical, policy, action, resource))
    return grants


def write_findings(aws: LocalDeployment, directory: Path, worker: str, whole: bool) -> None:
    """One worker's findings, for :func:`merged_findings`."""
    grants = _grants(aws)
    findings = {
        "whole": whole,
        "refused": refused_calls(aws),
        "unused": unused_grants(aws, grants),
        "granted": granted(aws, grants),
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{worker}.json").write_text(json.dumps(findings), encoding="utf-8")


def merged_findings(directory: Path) -> list[str]:
    """The problems of a parallel session: every worker's refused calls, and the grants
    no worker used (when the whole suite ran). Empty when no worker had a deployment."""
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]
    if not reports:
        return []
    problems = [f"refused: {c}" for r in reports for c in r["refused"]]
    grants = {json.dumps(r["granted"]) for r in reports}
    if len(grants) > 1:  # a physical name left unrenamed: the intersection would drop it
        problems.append("the workers' grants differ once renamed: fix _renaming")
    elif all(r["whole"] for r in reports):
        unused = set.intersection(*(set(r["unused"]) for r in reports))
        problems += [f"granted, never used, no reason given: {g}" for g in sorted(unused)]
    return problems


def _renaming(aws: LocalDeployment) -> Callable[[str], str]:
    """What turns a resource or policy ARN of this deployment into one every deployment
    shares: its physical names and given parameter values replaced by their logical
    ids and parameter names."""
    assert aws.stack is not None
    given = {**aws.stack.physical_ids, **{k: str(v) for k, v in aws.parameters.items()}}
    names = [  # a queue's Ref is its URL, its ARN ends with its name: rename both
        (str(form), logical)
        for logical, value in given.items()
        for form in {str(value), str(value).rsplit("/", 1)[-1], str(value).rsplit(":", 1)[-1]}
        if len(form) >= 6
    ]
    names.sort(key=lambda pair: -len(pair[0]))

    def rename(name: str) -> str:
        for form, logical in names:
            name = name.replace(form, f"<{logical}>")
        return name

    return rename


def _functions(aws: LocalDeployment) -> dict[str, tuple[str, str]]:
    """Function name -> (logical id, role ARN), for every function of the stack."""
    assert aws.stack is not None
    lam = aws.client("lambda")
    found = {}
    for logical, kind in aws.stack.resource_types.items():
        if kind == "AWS::Lambda::Function":
            name = aws.stack.physical_ids[logical]
            found[name] = (logical, lam.get_function_configuration(FunctionName=name)["Role"])
    return found


def _calls(aws: LocalDeployment) -> dict[str, set[tuple[str, str, str]]]:
    """Function name -> {(action, resource, operation)} it needed and was allowed."""
    by_function: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for call in aws.endpoint.aws_calls():
        assert isinstance(call, Call)
        if not call.refused:
            by_function[call.function].add((call.action, call.resource, call.operation))
    return by_function


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _short(policy: str) -> str:
    return policy.rsplit("/", 1)[-1]


def _listed_with_reason(
    entries: list[dict[str, str]],
    logical: str,
    action: str,
    field: str,
    value: str,
    *,
    default: str | None = None,
) -> bool:
    """Whether an entry of ``least_privilege_reasons.json`` (each must give its reason)
    names this function (any when it names none), action and ``field`` (shell-style
    wildcards; an entry without ``field`` matches ``default``, or is an error)."""
    for entry in entries:
        assert entry.get("reason"), f"an entry of {REASONS.name} without a reason: {entry}"
        pattern = entry[field] if default is None else entry.get(field, default)
        if (
            fnmatch.fnmatchcase(logical, entry.get("function", "*"))
            and fnmatch.fnmatchcase(action.lower(), entry["action"].lower())
            and fnmatch.fnmatchcase(value, pattern)
        ):
            return True
    return False
