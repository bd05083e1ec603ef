"""``make deploy``: a deploy whose layer, code or settings changed publishes new versions.

SAM names each function's version after a hash of its code location, environment text
and memory size. A change to the layer alone, or to a parameter's value (``LogLevel``,
``LockTtlSeconds``, ``ChangeFunctionTimeout``), leaves that name as it was: CloudFormation
updates the function but publishes no version, and the ``live`` aliases and the state
machine keep the first deploy's layer and settings (aws/serverless-application-model
#413, #3610, #3820; ``AutoPublishAliasAllProperties`` does not see parameter values
either). This command gives the template's ``DeploymentDigest`` a digest of the build and
of every parameter value it is given; each function names its version by it
(``AutoPublishCodeSha256``), so any such change publishes new versions, which the aliases
and the state machine's next version then use. The same build and parameters give the
same digest: a redeploy that changes nothing publishes nothing.

On AWS (the default), after ``make sam-build``::

    sam deploy --template-file .aws-sam/build/template.yaml --stack-name STACK \\
        --parameter-overrides file://.aws-sam/deploy-parameters.json \\
        --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --resolve-s3 \\
        --no-fail-on-empty-changeset [--region R] [--profile P]

the digest being that of ``.aws-sam/build`` (every built file) and the parameters.
``--dry-run`` prints that command instead of running it.

On the local endpoint (``--outputs``, the file ``portal-local up`` writes), which
``sam deploy`` cannot reach: the same parameters and DeploymentDigest, deployed by the
local endpoint's own package, SAM transform and CreateStack/UpdateStack
(:func:`portal_local.aws.deploy.deploy_stack`); the digest is that of the packaged
template (each code folder named by its content) and the parameters.

Exit codes: 0 deployed (or printed), 1 the deploy failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from portal_local.aws.deploy import DeployError, deploy_stack, load_template, package
from portal_local.aws.lambda_code import content_digest

DIGEST_PARAMETER = "DeploymentDigest"
ROOT = Path(__file__).resolve().parents[3]
BUILD_DIR = ROOT / ".aws-sam" / "build"
OVERRIDES = ROOT / ".aws-sam" / "deploy-parameters.json"  # beside the build it describes
SAM = ROOT / ".venv" / "tools" / "sam" / "bin" / "sam"


def digest(content: str, parameters: Mapping[str, str]) -> str:
    """sha256 of what is deployed (``content``: a digest of the build, or the packaged
    template) and of the parameter values."""
    given = {k: v for k, v in parameters.items() if k != DIGEST_PARAMETER}
    text = content + "\0" + json.dumps(given, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_parameters(path: Path | None) -> dict[str, str]:
    """A JSON object of parameter values (what ``sam deploy --parameter-overrides`` takes
    from a file); lists are joined with commas."""
    if path is None:
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise TypeError(f"{path}: a JSON object of parameter values is expected")
    return {
        str(k): ",".join(map(str, v)) if isinstance(v, list) else str(v)
        for k, v in document.items()
    }


def sam_command(
    stack: str, overrides: Path, *, region: str | None, profile: str | None, sam: Path = SAM
) -> list[str]:
    argv = [str(sam), "deploy", "--template-file", str(BUILD_DIR / "template.yaml")]
    argv += ["--stack-name", stack, "--parameter-overrides", f"file://{overrides}"]
    argv += ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    argv += ["--resolve-s3", "--no-fail-on-empty-changeset"]
    argv += ["--region", region] if region else []
    argv += ["--profile", profile] if profile else []
    return argv


@dataclass
class RemoteEndpoint:
    """A running local endpoint (``portal-local up``), from the outputs file it wrote."""

    url: str
    region: str
    account_id: str
    packages_dir: Path
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_outputs(cls, path: Path) -> RemoteEndpoint:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            str(saved["endpoint_url"]),
            str(saved["region"]),
            str(saved["account_id"]),
            Path(saved["packages_dir"]),
        )

    def client(self, service_name: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service_name,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106  # nosec B106 - any key: the local endpoint
        )


class _Offline:
    """What packaging needs of S3 to name the code without uploading it."""

    def put_object(self, **_: Any) -> dict[str, Any]:
        return {}


def local_digest(template: Path, parameters: Mapping[str, str]) -> str:
    packaged = package(load_template(template), template.parent, _Offline(), "digest")
    return digest(json.dumps(packaged, sort_keys=True), parameters)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", required=True)
    parser.add_argument("--parameters", type=Path, help="JSON object of parameter values")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--outputs", type=Path, help="deploy to this local endpoint instead")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--sam", type=Path, default=SAM, help="the SAM CLI to run")
    parser.add_argument("--dry-run", action="store_true", help="print the sam command only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        parameters = read_parameters(args.parameters)
    except (OSError, ValueError, TypeError) as exc:
        parser.error(str(exc))
    if args.outputs:
        parameters[DIGEST_PARAMETER] = local_digest(args.template, parameters)
        try:
            stack = deploy_stack(
                RemoteEndpoint.from_outputs(args.outputs),
                args.template,
                parameters,
                args.stack_name,
            )
        except (DeployError, OSError, KeyError) as exc:
            print(f"deploy failed: {exc}", file=sys.stderr)
            return 1
        print(f"{stack.name}: deployed, {DIGEST_PARAMETER}={parameters[DIGEST_PARAMETER]}")
        return 0
    if not (BUILD_DIR / "template.yaml").exists():
        print(f"no build in {BUILD_DIR}: run make sam-build first", file=sys.stderr)
        return 1
    parameters[DIGEST_PARAMETER] = digest(content_digest(BUILD_DIR), parameters)
    OVERRIDES.write_text(json.dumps(parameters, indent=2) + "\n", encoding="utf-8")
    command = sam_command(
        args.stack_name, OVERRIDES, region=args.region, profile=args.profile, sam=args.sam
    )
    print(" ".join(command), flush=True)
    if args.dry_run:
        return 0
    return subprocess.run(command, check=False).returncode  # noqa: S603 - the SAM CLI


if __name__ == "__main__":
    sys.exit(main())
