"""FAULTS row 52: a pattern checked with ``re.match`` and ``$`` lets a trailing newline
through (``$`` also matches before a final newline). Every pattern the package validates
input with matches the whole text."""

from __future__ import annotations

import pytest
from portal_automation.domain.security_config import validate_desired
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import InvalidSecurityConfig, UnsupportedPortalVersion
from portal_automation.triggers.events import execution_name
from portal_automation.workflow.models import PortalTarget
from pydantic import ValidationError

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/gis-AbCdEf"


def test_a_secret_arn_with_a_trailing_newline_is_refused() -> None:
    assert PortalTarget.model_validate({"secretArn": ARN}).secret_arn == ARN
    with pytest.raises(ValidationError, match="must be a Secrets Manager secret ARN"):
        PortalTarget.model_validate({"secretArn": ARN + "\n"})


def test_a_version_is_the_whole_text_once_stripped() -> None:
    assert PortalVersion.parse(" 11.3\n") == PortalVersion.parse("11.3.0")
    with pytest.raises(UnsupportedPortalVersion):
        PortalVersion.parse("11.3\n\x1b[2K")


@pytest.mark.parametrize(
    "desired",
    [
        {"defaultRoleForUser": "cRoleDataEditor1\n"},
        {"defaultIDPUsernameSuffix": "corp\n"},
    ],
    ids=["custom role", "suffix"],
)
def test_security_config_values_with_a_trailing_newline_are_refused(
    desired: dict[str, str],
) -> None:
    name, value = next(iter(desired.items()))
    validate_desired({name: value.rstrip("\n")})
    with pytest.raises(InvalidSecurityConfig):
        validate_desired(desired)


def test_an_event_id_with_a_trailing_newline_gets_a_digested_name() -> None:
    assert execution_name("event", "abc") == "event-abc"
    name = execution_name("event", "abc\n")
    assert "\n" not in name
    assert name != "event-abc"
