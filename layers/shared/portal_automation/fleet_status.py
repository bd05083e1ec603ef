"""The fleet at a glance: every managed portal secret, its key age, last run and drift.

One computation for ``portal-automation status`` and the daily FleetStatus function
(its OldestKeyAgeDays and KeysOverMaxAge metrics). It reads two sources, neither of
which holds a secret value:

- Secrets Manager's ListSecrets (inside the deployment's ``SecretArnPrefix``): the
  secrets, their tags and their rotation schedule;
- the ledger's per-secret last outcome, which Finalize and RecordFailure write: the
  last run, when the portal's key last changed (a verified rotation), and the drift
  the last dry run found.

A key's age comes from the ledger; for a secret whose key this deployment never
changed, from Secrets Manager's LastRotatedDate; otherwise it is unknown, and an
unknown age counts as over any maximum (an audit cannot vouch for it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from .ports import LedgerPort, SecretsPort
from .workflow.models import secret_name_prefix

DAY: Final = 86_400.0


@dataclass(frozen=True)
class PortalStatus:
    secret_arn: str
    name: str
    label: str | None = None
    kind: str | None = None  # "portal" or "server", once a run has read the secret
    portal: str | None = None
    version: str | None = None
    key_changed_at: float | None = None
    # "run" (a verified rotation of this deployment), "secrets-manager" (LastRotatedDate)
    key_age_source: str | None = None
    key_age_days: float | None = None
    last_run: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None
    rotation_enabled: bool = False
    next_rotation: float | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def over(self, max_age_days: float) -> bool:
        return self.key_age_days is None or self.key_age_days > max_age_days

    def as_json(self) -> dict[str, Any]:
        return {_camel(k): v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class KeyAges:
    """What the KeysOverMaxAge alarm and ``status --max-key-age`` decide on."""

    max_age_days: float
    portals: int
    oldest_days: float | None
    over: list[str]  # ARNs older than the maximum, or of unknown age

    def as_json(self) -> dict[str, Any]:
        return {
            "maxKeyAgeDays": self.max_age_days,
            "portals": self.portals,
            "oldestKeyAgeDays": self.oldest_days,
            "keysOverMaxAge": len(self.over),
            "overMaxAge": self.over,
        }


def fleet_status(
    secrets: SecretsPort,
    ledger: LedgerPort,
    arn_prefix: str,
    *,
    tags: Mapping[str, str] | None = None,
    now: float | None = None,
) -> list[PortalStatus]:
    """Every secret under ``arn_prefix`` (with ``tags``, when given), by name."""
    now = time.time() if now is None else now
    found = [
        entry
        for entry in secrets.select(secret_name_prefix(arn_prefix), dict(tags or {}))
        if str(entry["ARN"]).startswith(arn_prefix)
    ]
    outcomes = ledger.last_outcomes([str(entry["ARN"]) for entry in found])
    statuses = [
        _status(entry, outcomes.get(str(entry["ARN"]), {}), now)
        for entry in sorted(found, key=lambda e: str(e["Name"]))
    ]
    return statuses


def key_ages(statuses: list[PortalStatus], max_age_days: float) -> KeyAges:
    known = [s.key_age_days for s in statuses if s.key_age_days is not None]
    return KeyAges(
        max_age_days=max_age_days,
        portals=len(statuses),
        oldest_days=max(known) if known else None,
        over=[s.secret_arn for s in statuses if s.over(max_age_days)],
    )


def _status(entry: Mapping[str, Any], outcome: Mapping[str, Any], now: float) -> PortalStatus:
    changed, source = outcome.get("keyChangedAt"), "run"
    if changed is None:
        changed, source = entry.get("LastRotatedDate"), "secrets-manager"
    last_run = (
        {
            k: outcome[k]
            for k in ("runId", "action", "dryRun", "status", "at", "error")
            if k in outcome
        }
        if outcome
        else None
    )
    return PortalStatus(
        secret_arn=str(entry["ARN"]),
        name=str(entry["Name"]),
        label=outcome.get("label"),
        kind=outcome.get("kind"),
        portal=outcome.get("portal"),
        version=outcome.get("version"),
        key_changed_at=changed,
        key_age_source=source if changed is not None else None,
        key_age_days=round(max(0.0, now - changed) / DAY, 2) if changed is not None else None,
        last_run=last_run,
        drift=outcome.get("drift"),
        rotation_enabled=bool(entry.get("RotationEnabled", False)),
        next_rotation=entry.get("NextRotationDate"),
        tags=dict(entry.get("Tags") or {}),
    )


KEY_AGE_LOG_MESSAGE: Final = "portal key age"


def key_age_log_fields(status: PortalStatus) -> dict[str, Any]:
    """One portal's line in the fleet status function's log, which the dashboard's "key
    age by portal" widget queries (a metric per portal would cost one custom metric
    each)."""
    return {
        "portal": status.name,
        "label": status.label or "-",
        "keyAgeDays": status.key_age_days,
        "keyAgeSource": status.key_age_source,
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
