"""Least privilege, proved by use (issue 10 section 3). Runs after every other workflow test
(pytest runs this directory's modules in name order).

The local endpoint recorded every authorization each deployed function's AWS calls
needed during the suite (:mod:`portal_local.aws.access`: service, IAM action, resource
ARN, and the KMS use a call implies). Each is checked against the function's role as
deployed from the translated template (the inline and managed policies moto's IAM
holds):

* a call the role does not allow fails the first test, unless a test provoked it on
  purpose (``refusals`` in ``least_privilege_reasons.json``: the endpoint answered it
  AccessDenied, as AWS would, and the test asserts what the product made of it);
* a granted (action, resource) that no call used fails the second, unless
  ``least_privilege_reasons.json`` gives a reason for it. That check needs the whole
  workflow suite to have run (a subset would leave grants unused): it skips otherwise.
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from portal_local.aws.access import Call, _like, evaluate, request_context, role_from_iam
from portal_local.deployment import LocalDeployment

from .conftest import DESELECTED

pytestmark = pytest.mark.workflow

REASONS = Path(__file__).with_name("least_privilege_reasons.json")


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


def test_every_call_a_function_made_is_allowed_by_its_role(deployment: LocalDeployment) -> None:
    functions = _functions(deployment)
    refusals = json.loads(REASONS.read_text(encoding="utf-8"))["refusals"]
    recorded = deployment.endpoint.aws_calls()
    assert recorded, "no function call was recorded"
    refused, roles = [], {}
    for call in sorted(set(recorded), key=lambda c: (c.function, c.action, c.resource)):
        assert isinstance(call, Call)
        logical, role_arn = functions[call.function]
        if role_arn not in roles:
            roles[role_arn] = role_from_iam(deployment.endpoint, role_arn).statements
        verdict = evaluate(roles[role_arn], call.action, call.resource, request_context(role_arn))
        if verdict == "Allow" and not call.refused:
            continue
        if call.refused and _listed_with_reason(
            refusals, logical, call.action, "resource", call.resource
        ):
            continue
        refused.append(
            f"{logical}: {call.action} on {call.resource} (for {call.operation}): {verdict}"
            + (", answered AccessDenied" if call.refused else "")
        )
    assert not refused, "calls the role does not allow (missing grants):\n" + "\n".join(refused)


def _whole_suite_ran(request: pytest.FixtureRequest) -> bool:
    ran = {Path(str(item.path)).name for item in request.session.items}
    wanted = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    return wanted <= ran and not request.config.stash.get(DESELECTED, 0)


def test_every_grant_is_used_or_has_a_reason(
    deployment: LocalDeployment, request: pytest.FixtureRequest
) -> None:
    if not _whole_suite_ran(request):
        pytest.skip("needs the whole workflow suite: a subset leaves grants unused")
    reasons = json.loads(REASONS.read_text(encoding="utf-8"))["reasons"]
    functions, calls = _functions(deployment), _calls(deployment)
    unused = []
    for name, (logical, role_arn) in sorted(functions.items()):
        used = calls.get(name, set())
        role = role_from_iam(deployment.endpoint, role_arn)
        for policy, statements in role.policies.items():
            for statement in statements:
                if statement.get("Effect") != "Allow":
                    continue
                for action in _listed(statement.get("Action")):
                    for resource in _listed(statement.get("Resource", "*")):
                        if any(
                            _like(action, a, case=False) and _like(resource, r) for a, r, _ in used
                        ):
                            continue
                        if _listed_with_reason(
                            reasons, logical, action, "policy", _short(policy), default="*"
                        ):
                            continue
                        unused.append(f"{logical}: {action} on {resource} ({_short(policy)})")
    assert not unused, "granted, never used, no reason given (over-grants):\n" + "\n".join(unused)


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
