"""PutSecretValue without ``VersionStages`` moves AWSCURRENT to the new version, and IAM
has no condition key to pin the stages it writes (the Service Authorization Reference
lists ``secretsmanager:VersionStage`` for UpdateSecretVersionStage and GetSecretValue
only; the template pins UpdateSecretVersionStage with it). So no code path may call it
without AWSPENDING: the one call in the package, and what it sends."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from portal_automation.aws.secrets_store import PENDING, SecretsStore
from portal_automation.domain.credentials import PortalCredentials

PACKAGE = Path(__file__).resolve().parents[2] / "layers/shared/portal_automation"


def calls_of(method: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == method
            ):
                found.append((str(path.relative_to(PACKAGE)), node))
    return found


def test_put_secret_value_is_called_in_one_place_with_the_pending_stage_only() -> None:
    [(where, call)] = calls_of("put_secret_value")
    stages = {k.arg: k.value for k in call.keywords}["VersionStages"]

    assert where == "aws/secrets_store.py"
    assert isinstance(stages, ast.List)
    assert [ast.unparse(e) for e in stages.elts] == ["PENDING"]


def test_the_pending_version_is_written_as_awspending() -> None:
    sent: list[dict[str, Any]] = []

    class Client:
        def put_secret_value(self, **kwargs: Any) -> None:
            sent.append(kwargs)

    creds = PortalCredentials.from_secret_string(
        '{"url": "https://gis.example.com/portal", "username": "u", "password": "pw-123456"}'
    )
    SecretsStore(Client()).put_pending("arn:secret", "v" * 32, creds)

    assert [s["VersionStages"] for s in sent] == [[PENDING]]
    assert PENDING == "AWSPENDING"
