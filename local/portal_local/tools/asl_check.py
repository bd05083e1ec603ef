"""Validate every state machine of template.yaml: asl-validator plus the project's rules.

cfn-lint and ``sam validate`` do not read ASL files, so this runs in ``make check``:
1. placeholders: every ``${Name}`` in the ASL has a DefinitionSubstitution, and back;
2. asl-validator (npm, pinned) on the definition with the substitutions filled in;
3. the workflow's rules: every Task has TimeoutSeconds; every Retry/Catch error name is a
   States.*/Lambda.*/SNS.*/Sandbox.* name or an error class of the shared package (the
   class names are the contract), and no Retry matches States.ALL;
4. retries follow the errors' ``transient`` flag: a Retry names transient errors only
   (retrying a refused login or a rejected change repeats it), every transient error is
   retried somewhere, and each Lambda Task retries the "service briefly unavailable"
   error of every store its function's settings model gives it (ledger, work store,
   secrets), unless ``NOT_RETRIED`` says why not.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from portal_automation import errors, handler_support, settings
from portal_automation.aws import run_ledger, work_store

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")
SERVICE_PREFIXES = ("States.", "Lambda.", "SNS.", "Sandbox.")
# (state, error) -> why that Task does not retry an error its stores can raise.
NOT_RETRIED: dict[tuple[str, str], str] = {
    ("ApplyChange", "*"): (
        "it changes the portal: a retry could send the change twice; the Catch goes to "
        "ChangeOutcomeUnknown, which finds out whether it landed before another attempt"
    ),
    ("RecordFailure", "WorkStoreError"): (
        "a scratch it cannot delete becomes a note of its report (the lifecycle rule "
        "expires it); it never raises WorkStoreError"
    ),
}
# Transient errors no state retries, and why.
RETRIED_ELSEWHERE: dict[str, str] = {
    "WorkflowStartFailed": (
        "raised by the trigger functions, which Secrets Manager and Lambda's asynchronous "
        "invocation retry"
    ),
}


def project_errors() -> set[str]:
    names: set[str] = set()
    for module in (errors, run_ledger, work_store, handler_support):
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, errors.PortalAutomationError):
                names.add(name)
    return names


def _template(template_path: Path) -> dict[str, Any]:
    template, matches = decode(str(template_path))
    if matches or template is None:
        raise SystemExit(f"cannot parse {template_path}: {matches}")
    return dict(template)


def settings_model(app: Path) -> type[settings._Env]:
    """The settings model a handler validates at import (``load_settings(Model)``)."""
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "load_settings"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            model: type[settings._Env] = getattr(settings, node.args[0].id)
            return model
    raise SystemExit(f"{app} loads no settings model")


def function_models(
    template_path: Path, substitutions: dict[str, Any]
) -> dict[str, type[settings._Env]]:
    """Substitution name (``PreflightFunctionArn``) -> its function's settings model."""
    resources = _template(template_path)["Resources"]
    models: dict[str, type[settings._Env]] = {}
    for name, value in substitutions.items():
        ref = value.get("Ref") if isinstance(value, dict) else None
        if not ref and isinstance(value, dict) and "Fn::GetAtt" in value:
            ref = value["Fn::GetAtt"][0]
        logical = str(ref or "").split(".", 1)[0]
        resource = resources.get(logical, {})
        if resource.get("Type") == "AWS::Serverless::Function":
            code = template_path.parent / resource["Properties"]["CodeUri"] / "app.py"
            models[name] = settings_model(code)
    return models


def store_errors(model: type[settings._Env]) -> set[str]:
    """The "briefly unavailable" errors of the stores a settings model gives a function."""
    found = set()
    if issubclass(model, settings.LedgerAccess):
        found.add(errors.LedgerUnavailable.__name__)
    if issubclass(model, settings.WorkStoreAccess):
        found.add(errors.WorkStoreError.__name__)
    if issubclass(model, settings.PortalAccess) or "secret_arn_prefix" in model.model_fields:
        found.add(errors.SecretStoreUnavailable.__name__)
    return found


def retry_problems(definition: dict[str, Any], models: dict[str, type[settings._Env]]) -> list[str]:
    """Rule 4 (see the module docstring); ``models``: substitution name -> model."""
    transient = {
        name
        for name, cls in vars(errors).items()
        if isinstance(cls, type) and issubclass(cls, errors.PortalAutomationError)
        if cls.transient
    }
    problems, retried = [], set()
    for name, state in walk_states(definition["States"]):
        named = {
            error
            for retry in state.get("Retry", [])
            for error in retry["ErrorEquals"]
            if not error.startswith(SERVICE_PREFIXES)
        }
        retried |= named
        problems += [f"{name}: retries {e}, which is not transient" for e in named - transient]
        placeholder = PLACEHOLDER.fullmatch(str(state.get("Resource", "")))
        model = models.get(placeholder.group(1)) if placeholder else None
        if state.get("Type") != "Task" or model is None or (name, "*") in NOT_RETRIED:
            continue
        for error in sorted(store_errors(model) - named):
            if (name, error) not in NOT_RETRIED:
                problems.append(
                    f"{name}: does not retry {error}, which its function's stores raise "
                    f"({model.__name__})"
                )
    for error in sorted(transient - retried - set(RETRIED_ELSEWHERE)):
        problems.append(f"{error} is transient but no state retries it")
    return problems


def state_machines(template_path: Path) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    template = _template(template_path)
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::StateMachine":
            props = resource["Properties"]
            yield (
                logical_id,
                template_path.parent / props["DefinitionUri"],
                dict(props.get("DefinitionSubstitutions", {})),
            )


def fake_arn(name: str) -> str:
    if name.endswith("FunctionArn"):
        return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    if name.endswith("TopicArn"):
        return f"arn:aws:sns:us-east-1:123456789012:{name}"
    if name.endswith("StateMachineArn"):
        return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    return f"arn:aws:events:us-east-1:123456789012:event-bus/{name}"


def walk_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from walk_states(processor["States"])
        for branch in state.get("Branches", []):
            yield from walk_states(branch["States"])


def rule_problems(definition: dict[str, Any], known: set[str]) -> list[str]:
    problems = []
    for name, state in walk_states(definition["States"]):
        if state["Type"] == "Task" and "TimeoutSeconds" not in state:
            problems.append(f"{name}: Task without TimeoutSeconds")
        for retry in state.get("Retry", []):
            if "States.ALL" in retry["ErrorEquals"]:
                problems.append(f"{name}: Retry on States.ALL retries blindly")
        for rule in state.get("Retry", []) + state.get("Catch", []):
            for error in rule["ErrorEquals"]:
                if not error.startswith(SERVICE_PREFIXES) and error not in known:
                    problems.append(f"{name}: {error} is not an error class of the package")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    parser.add_argument("--validator", default="node_modules/.bin/asl-validator")
    args = parser.parse_args(argv)
    known = project_errors()
    failed = False
    for logical_id, path, substitutions in state_machines(args.template):
        text = path.read_text()
        used = set(PLACEHOLDER.findall(text))
        problems = [f"${{{n}}} has no DefinitionSubstitution" for n in used - set(substitutions)]
        problems += [f"substitution {n} is never used" for n in set(substitutions) - used]
        filled = PLACEHOLDER.sub(lambda m: fake_arn(m.group(1)), text)
        definition = json.loads(filled)
        problems += rule_problems(definition, known)
        models = function_models(args.template, substitutions)
        problems += retry_problems(json.loads(text), models)  # Resources still placeholders
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(filled)
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [args.validator, "--json-path", handle.name],
            capture_output=True,
            text=True,
            check=False,
        )
        Path(handle.name).unlink()
        if result.returncode != 0:
            problems.append("asl-validator: " + (result.stdout + result.stderr).strip())
        status = "ok" if not problems else "FAILED"
        print(f"{logical_id} ({path}): {status}")
        for problem in problems:
            print(f"  - {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
