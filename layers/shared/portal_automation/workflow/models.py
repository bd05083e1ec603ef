"""The workflow's contracts: execution input, per-portal items, step results, summaries.

Nothing here holds a secret: portals are named by their credentials secret's ARN, and
step results carry only facts (versions, timings, property names and managed values).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..domain.proxy_hosts import ProxyHostsMode

Action = Literal["rotate-shared-key", "apply-security-config"]
SECRET_ARN = re.compile(
    r"^arn:aws[a-z\-]*:secretsmanager:[a-z0-9\-]+:\d{12}:secret:[A-Za-z0-9/_+=.@\-]+$"
)


def secret_name_prefix(arn_prefix: str) -> str:
    """The secret-name prefix an ARN prefix allows (``...:secret:portal-admin/`` →
    ``portal-admin/``)."""
    return arn_prefix.split(":secret:", 1)[1] if ":secret:" in arn_prefix else ""


# What a label may hold: it is shown in notifications, audit events and logs.
LABEL = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
# A Secrets Manager ClientRequestToken (32 to 64 characters; UUIDs in practice).
ROTATION_TOKEN = r"^[A-Za-z0-9-]{32,64}$"  # noqa: S105  # nosec B105 - a pattern, not a token


class _Model(BaseModel):
    # strict: "no" is not a boolean and "30" is not a number (FAULTS row 38).
    # defer_build: a model's validator is built when first used, so a function's cold
    # start does not build the execution-input models that only the planner uses.
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, strict=True, defer_build=True
    )


class Timing(_Model):
    """How the restart is waited out. Defaults suit real portals; tests shrink them."""

    recheck_seconds: Annotated[int | None, Field(alias="recheckSeconds", ge=0, le=600)] = None
    poll_interval_seconds: Annotated[int, Field(alias="pollIntervalSeconds", ge=0, le=300)] = 5
    poll_window_seconds: Annotated[int, Field(alias="pollWindowSeconds", ge=1, le=600)] = 60
    health_poll_seconds: Annotated[float, Field(alias="healthPollSeconds", gt=0, le=30)] = 1.0
    # While the portal (a machine of it) does not answer its health check: it is not there
    # to be loaded, and its return, which the run waits for, is seen within this.
    down_poll_seconds: Annotated[float, Field(alias="downPollSeconds", ge=0.05, le=30)] = 0.2
    max_restart_seconds: Annotated[int, Field(alias="maxRestartSeconds", ge=1, le=86_400)] = 900
    # A config change gives no proof of its restart (tokens survive it): verification
    # waits until the portal has been seen down, or this long after the change.
    settle_seconds: Annotated[int, Field(alias="settleSeconds", ge=0, le=900)] = 60


class PortalTarget(_Model):
    secret_arn: Annotated[str, Field(alias="secretArn")]
    label: Annotated[str | None, Field(pattern=LABEL)] = None

    @field_validator("secret_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not SECRET_ARN.fullmatch(value):
            raise ValueError("must be a Secrets Manager secret ARN (arn:aws:secretsmanager:...)")
        return value


TAG = r"^[\w .:/=+@-]{1,128}$"  # Secrets Manager tag keys (values may be up to 256)


class Selection(_Model):
    """Portals chosen by their credentials secrets' tags and/or name prefix (ListSecrets,
    always inside the deployment's SecretArnPrefix)."""

    tags: dict[Annotated[str, Field(pattern=TAG)], Annotated[str, Field(max_length=256)]] | None = (
        None
    )
    name_prefix: Annotated[str | None, Field(alias="namePrefix", min_length=1, max_length=512)] = (
        None
    )

    @model_validator(mode="after")
    def _something(self) -> Selection:
        if not self.tags and not self.name_prefix:
            raise ValueError("select needs tags, namePrefix or both")
        return self


class ExecutionInput(_Model):
    """What a person, a rule or the rotation function passes to the state machine."""

    action: Action
    # Named portals; a larger fleet is selected (``select``) rather than listed here.
    portals: Annotated[list[PortalTarget] | None, Field(min_length=1, max_length=1000)] = None
    select: Selection | None = None
    security_config: Annotated[dict[str, Any] | None, Field(alias="securityConfig")] = None
    proxy_hosts_mode: Annotated[
        ProxyHostsMode | None,
        Field(
            alias="proxyHostsMode",
            description=(
                "apply-security-config on 12.0+ portals: keep-esri-defaults (the default) "
                "keeps Esri's default proxy hosts in allowedProxyHosts; exact posts exactly "
                "the list asked (and allows an empty one)"
            ),
        ),
    ] = None
    dry_run: Annotated[bool, Field(alias="dryRun")] = False
    timing: Timing = Timing()
    rotation_token: Annotated[str | None, Field(alias="rotationToken", pattern=ROTATION_TOKEN)] = (
        None
    )
    source: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,64}$")] = "manual"

    @model_validator(mode="after")
    def _consistent(self) -> ExecutionInput:
        if (self.portals is None) == (self.select is None):
            raise ValueError("name the portals, or select them (select), but not both")
        if self.action == "apply-security-config" and self.security_config is None:
            raise ValueError("securityConfig is required when action is apply-security-config")
        if self.action == "rotate-shared-key" and self.security_config is not None:
            raise ValueError("securityConfig is only for action apply-security-config")
        if self.action == "rotate-shared-key" and self.proxy_hosts_mode is not None:
            raise ValueError("proxyHostsMode is only for action apply-security-config")
        if self.rotation_token is not None and (
            self.action != "rotate-shared-key" or self.portals is None or len(self.portals) != 1
        ):
            raise ValueError("rotationToken is only for a rotation of exactly one portal")
        arns = [p.secret_arn for p in self.portals or []]
        if len(set(arns)) != len(arns):
            raise ValueError("portals names the same secret more than once")
        return self


class PortalItem(_Model):
    """One portal's share of an execution: the Map state's item."""

    secret_arn: Annotated[str, Field(alias="secretArn")]
    label: str | None = None
    action: Action
    dry_run: Annotated[bool, Field(alias="dryRun")] = False
    timing: Timing
    run_id: Annotated[str, Field(alias="runId")]
    version_id: Annotated[str, Field(alias="versionId")]


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict with the contract's (camelCase) names."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)
