"""template.yaml as CloudFormation receives it: the real SAM transform, offline, and
optionally with its conditions resolved for one set of parameters.

cfn-lint and checkov read template.yaml as written; what CloudFormation runs is the
translated template (SAM's generated roles, versions, aliases, log settings), and what
a deployment really gets depends on the parameters. ``make validate-template`` and
``make security-template`` check both, with the conditions resolved at the defaults and
at a production-like set (customer key, VPC, reserved concurrency, fleet rotation):

    python -m portal_local.tools.translated --out build/translated.json
    python -m portal_local.tools.translated --resolve defaults --out build/defaults.json
    python -m portal_local.tools.translated --resolve production --out build/production.json

Packaging is offline too: local paths become ``s3://`` URIs of a placeholder bucket,
as ``sam package`` leaves them, without uploading anything.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from portal_local.aws.deploy import load_template, package, transform

ROOT: Final = Path(__file__).resolve().parents[3]
TEMPLATE: Final = ROOT / "template.yaml"
REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
PREFIX: Final = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:portal-admin/"

# The parameters a deployment must give (no default), for every resolution.
REQUIRED: Final = {"SecretArnPrefix": PREFIX}
# Every optional feature on: what the production checks see.
PRODUCTION: Final = {
    **REQUIRED,
    "KmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "NotificationEmail": "gis-ops@example.com",
    "SubnetIds": "subnet-0a1b2c3d,subnet-4e5f6a7b",
    "SecurityGroupIds": "sg-0a1b2c3d",
    "PortalCaBundleParameter": "/gis/portal-ca.pem",
    "RotatedSecretArn": f"{PREFIX}gis-prod-AbCdEf",
    "SnapshotReaderRoleArn": f"arn:aws:iam::{ACCOUNT}:role/gis-operator",
    "RequestPrincipalArns": f"arn:aws:iam::{ACCOUNT}:role/gis-pipeline",
    "ReservedConcurrency": "5",
    "FleetRotationSchedule": "rate(30 days)",
    "FleetRotationSelection": '{"tags": {"rotation": "monthly"}}',
}
RESOLUTIONS: Final = {"defaults": REQUIRED, "production": PRODUCTION}


class _NoValue:
    """``AWS::NoValue``: the property or list item disappears."""


NO_VALUE: Final = _NoValue()


class _Blank:
    """What packaging needs of S3 when nothing is uploaded."""

    def put_object(self, **_: Any) -> dict[str, Any]:
        return {}


def translate(
    path: Path = TEMPLATE, parameters: Mapping[str, str] | None = None, region: str = REGION
) -> dict[str, Any]:
    """The translated template, as ``sam deploy`` would hand it to CloudFormation."""
    parameters = {**REQUIRED, **(parameters or {})}
    packaged = package(load_template(path), path.parent, _Blank(), "sam-artifacts")
    return dict(transform(packaged, parameters, region))


def parameter_values(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """Every parameter's value: given, else its default; lists split as CFN does."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        raw = given.get(name, spec.get("Default"))
        if raw is None:
            raise ValueError(f"parameter {name} has no default and was not given")
        raw = str(raw)
        values[name] = raw.split(",") if spec.get("Type") == "CommaDelimitedList" else raw
    return values


def resolve(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """``template`` with its conditions decided for ``given`` parameters (the rest at
    their defaults): ``Fn::If`` replaced by the branch taken, ``AWS::NoValue`` removed,
    resources and outputs whose condition is false dropped, and the Conditions and
    Rules sections gone. Parameters stay, with the values given as defaults, so that
    linters see the deployment's values."""
    resolved = copy.deepcopy(dict(template))
    values = parameter_values(resolved, given)
    conditions: dict[str, bool] = {}
    specs = resolved.pop("Conditions", {}) or {}

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = bool(_evaluate(specs[name], values, condition))
        return conditions[name]

    resolved.pop("Rules", None)
    for section in ("Resources", "Outputs"):
        kept = {}
        for logical, body in (resolved.get(section) or {}).items():
            if "Condition" in body and not condition(body.pop("Condition")):
                continue
            kept[logical] = _decide(body, condition)
        if kept or section == "Resources":
            resolved[section] = kept
        else:
            resolved.pop(section, None)
    for name, spec in (resolved.get("Parameters") or {}).items():
        if name in given:
            spec["Default"] = given[name]
    return resolved


def _decide(node: Any, condition: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return _decide(yes if condition(name) else no, condition)
        if node == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        out = {}
        for key, value in node.items():
            decided = _decide(value, condition)
            if decided is not NO_VALUE:
                out[key] = decided
        return out
    if isinstance(node, list):
        items = [_decide(item, condition) for item in node]
        return [item for item in items if item is not NO_VALUE]
    return node


def _evaluate(node: Any, values: Mapping[str, Any], condition: Any) -> Any:
    """The condition functions CloudFormation allows, over parameter values."""
    if isinstance(node, list):
        return [_evaluate(item, values, condition) for item in node]
    if not isinstance(node, dict):
        return node
    ((fn, arg),) = node.items()
    if fn == "Ref":
        if arg not in values:
            raise ValueError(f"a condition may only refer to parameters, not {arg}")
        return values[arg]
    if fn == "Condition":
        return condition(arg)
    args = _evaluate(arg, values, condition)
    if fn == "Fn::Equals":
        return args[0] == args[1]
    if fn == "Fn::Not":
        return not args[0]
    if fn == "Fn::And":
        return all(args)
    if fn == "Fn::Or":
        return any(args)
    if fn == "Fn::Join":
        return str(args[0]).join(str(part) for part in args[1])
    if fn == "Fn::Contains":
        return args[1] in args[0]
    raise ValueError(f"{fn} is not a condition function this resolver knows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--resolve",
        choices=sorted(RESOLUTIONS),
        help="decide the conditions for this parameter set (default: keep them)",
    )
    args = parser.parse_args(argv)
    given = RESOLUTIONS[args.resolve] if args.resolve else REQUIRED
    translated = translate(args.template, given)
    document = resolve(translated, given) if args.resolve else translated
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(document['Resources'])} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
