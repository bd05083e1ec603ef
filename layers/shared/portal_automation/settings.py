"""The one place that reads the environment: one typed model per function, at cold start.

Each handler validates its own model when it is imported (``load_settings``), so a
function deployed without a variable it needs fails its cold start with an error naming
that variable, never later with a silent default. The models are built from small
parts (``PortalAccess``, ``LedgerAccess``...) by inheritance; template.yaml gives each
function exactly the variables of its model (``tests/unit/test_settings.py`` checks).
Variables are named ``PORTAL_AUTOMATION_<FIELD>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import ConfigurationError
from .portal.url import UrlPolicy

ENV_PREFIX: Final = "PORTAL_AUTOMATION_"


def _json_object(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _Env(BaseModel):
    # defer_build: each function builds the validator of its own model only.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


# --- the parts --------------------------------------------------------------------


class PortalAccess(_Env):
    """How the functions that read credentials secrets and talk to portals reach them."""

    @property
    def url_policy(self) -> UrlPolicy:
        return UrlPolicy(
            allow_http=self.allow_http_portals, allow_local=self.allow_local_portal_addresses
        )

    allow_http_portals: bool = False
    # Portal URLs on this host or the link-local network; local testing only.
    allow_local_portal_addresses: bool = False
    ca_bundle_file: str | None = None
    ca_bundle_parameter: str | None = None
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    read_timeout_seconds: float = Field(default=30.0, gt=0, le=300)


class RestartBound(_Env):
    """The deployment's upper bound on waiting out a restart."""

    max_restart_seconds: int = Field(default=1800, ge=10, le=86_400)


class LedgerAccess(_Env):
    runs_table: str
    lock_ttl_seconds: int = Field(default=3600, ge=60)


class WorkStoreAccess(_Env):
    work_bucket: str
    work_kms_key_id: str | None = None


class StateMachineAccess(_Env):
    state_machine_arn: str
    # Timing defaults for runs started by rotation and events (JSON object; see README).
    execution_timing: Annotated[dict[str, Any], BeforeValidator(_json_object)] = Field(
        default_factory=dict
    )


# --- one model per function --------------------------------------------------------


class PlanExecutionSettings(RestartBound, LedgerAccess, WorkStoreAccess):
    secret_arn_prefix: str
    # How many portals change at once (the Map's MaxConcurrency).
    max_concurrency: int = Field(default=20, ge=1, le=1000)


class StepSettings(PortalAccess, RestartBound):
    """What every per-portal step shares; each step adds the stores it uses."""


class PreflightSettings(StepSettings, LedgerAccess):
    pass


class ApplyChangeSettings(StepSettings, LedgerAccess, WorkStoreAccess):
    pass


class PollHealthSettings(StepSettings, LedgerAccess):
    pass


class VerifySettings(StepSettings, LedgerAccess, WorkStoreAccess):
    pass


class RollbackConfigSettings(StepSettings, LedgerAccess, WorkStoreAccess):
    pass


class FinalizeSettings(StepSettings, LedgerAccess, WorkStoreAccess):
    pass


class RecordFailureSettings(StepSettings, LedgerAccess, WorkStoreAccess):
    pass


class RotationSettings(StateMachineAccess):
    pass


class StartFromEventSettings(StateMachineAccess):
    desired_config_parameter: str
    drift_mode: Literal["apply", "report"] = "report"
    # Who may write a desired-config document that is applied (ARN patterns, as the
    # bus policy reads them; comma-separated). Empty: nobody.
    request_principal_arns: Annotated[list[str], BeforeValidator(_comma_list)] = Field(
        default_factory=list
    )


class SummarizeSettings(StepSettings, LedgerAccess, WorkStoreAccess, StateMachineAccess):
    """Summarize, which also cleans up what a run left (its entry for the run's status
    change events too): it settles AWSPENDING, so it reaches the portals."""


class PublishAuditSettings(LedgerAccess):
    event_bus_name: str


class FleetStatusSettings(LedgerAccess):
    secret_arn_prefix: str
    # A key older than this counts in KeysOverMaxAge (and its alarm).
    max_key_age_days: float = Field(default=90, gt=0)


SettingsT = TypeVar("SettingsT", bound=_Env)


def load_settings(model: type[SettingsT], environ: Mapping[str, str] | None = None) -> SettingsT:
    """Validate ``model`` from the environment; raise naming each bad or missing variable."""
    env = os.environ if environ is None else environ
    values = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in env.items()
        if key.startswith(ENV_PREFIX) and value != ""
    }
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = [
            f"{ENV_PREFIX}{'.'.join(map(str, error['loc'])).upper()}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise ConfigurationError(
            f"{model.__name__}: invalid function environment: {'; '.join(problems)}"
        ) from None


def variable_names(model: type[_Env]) -> tuple[set[str], set[str]]:
    """(required, optional) environment variable names of ``model``."""
    required: set[str] = set()
    optional: set[str] = set()
    for name, info in model.model_fields.items():
        (required if info.is_required() else optional).add(ENV_PREFIX + name.upper())
    return required, optional
