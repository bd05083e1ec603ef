"""Which deployment a command talks to: a CloudFormation stack on AWS (``--stack-name``),
or the outputs file ``portal-local up`` writes (``--outputs``), with the endpoint, region
and stack outputs it names. Explicit flags win over both; ``--profile`` and ``--region``
are global options (cli/__init__.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from .exits import UsageError


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("deployment")
    where.add_argument("--stack-name", help="the deployed stack (its outputs are read)")
    where.add_argument("--outputs", type=Path, help="outputs file of 'portal-local up'")
    where.add_argument("--endpoint-url", help="AWS endpoint (default: AWS itself)")


@dataclass
class Target:
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    stack_name: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    _stack_read: bool = False

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> Target:
        target = cls(args.endpoint_url, args.region, args.profile, args.stack_name)
        if args.outputs:
            try:
                saved = json.loads(Path(args.outputs).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(f"cannot read --outputs {args.outputs}: {exc}") from None
            target.endpoint_url = target.endpoint_url or saved.get("endpoint_url")
            target.region = target.region or saved.get("region")
            target.outputs = {str(k): str(v) for k, v in (saved.get("outputs") or {}).items()}
        return target

    def client(self, service: str) -> Any:
        session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
        kwargs: dict[str, Any] = {}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
            if session.get_credentials() is None:  # a local endpoint takes any key
                kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106  # nosec B106
        return session.client(service, **kwargs)  # type: ignore[call-overload]

    def output(self, key: str) -> str | None:
        """A stack output, read once from CloudFormation when ``--stack-name`` is given."""
        if key not in self.outputs and self.stack_name and not self._stack_read:
            self._stack_read = True
            stack = self.client("cloudformation").describe_stacks(StackName=self.stack_name)
            for output in stack["Stacks"][0].get("Outputs") or []:
                self.outputs.setdefault(output["OutputKey"], output["OutputValue"])
        return self.outputs.get(key)
