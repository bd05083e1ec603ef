"""The one place that reads the environment. Validated once, at cold start.

Each function's environment holds only what that function needs (template.yaml), so
every field is optional here and each step asks for the ones it uses with ``require``:
a missing variable is a clear configuration error, never a silent default deep inside.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import PortalAutomationError


class ConfigurationError(PortalAutomationError):
    """A function is deployed without a setting it needs."""


_PREFIX: Final = "PORTAL_AUTOMATION_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    runs_table: str | None = None
    work_bucket: str | None = None
    work_kms_key_id: str | None = None
    topic_arn: str | None = None
    secret_arn_prefix: str | None = None
    ca_bundle_file: str | None = None
    ca_bundle_parameter: str | None = None
    allow_http_portals: bool = False
    max_restart_seconds: int = Field(default=1800, ge=10, le=86_400)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    read_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    lock_ttl_seconds: int = Field(default=3600, ge=60)
    state_machine_arn: str | None = None
    event_bus_name: str | None = None
    desired_config_parameter: str | None = None
    drift_mode: Literal["apply", "report"] = "report"
    # Timing defaults for runs started by rotation and events (JSON object; see README).
    execution_timing: dict[str, Any] = Field(default_factory=dict)

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(
                f"environment variable {_PREFIX}{name.upper()} is not set for this function"
            )
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    values = {
        key[len(_PREFIX) :].lower(): value
        for key, value in os.environ.items()
        if key.startswith(_PREFIX) and value != ""
    }
    if "execution_timing" in values:
        values["execution_timing"] = json.loads(values["execution_timing"])
    return Settings.model_validate(values)
