"""Shared pieces of the benchmarks: a deployment with N emulated portals, history reading."""

from __future__ import annotations

import json
import secrets
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal_local.deployment import LocalDeployment, PortalLogin
from portal_local.emulator import PortalEmulator, PortalSettings

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Bench:
    emulator: PortalEmulator
    aws: LocalDeployment
    arns: dict[str, str]


@contextmanager
def bench_stack(
    portals: int,
    *,
    restart: float,
    lag: float,
    version: str = "11.3",
    restart_spread: float = 0.0,
    **settings: Any,
) -> Iterator[Bench]:
    """``restart_spread``: portal i restarts for ``restart + spread * i / portals`` seconds,
    so restarts end at every phase of the health poll instead of one fixed phase."""
    password = secrets.token_urlsafe(16)
    contexts = [f"p{i:03d}" for i in range(portals)]
    portal_settings = [
        PortalSettings(
            version=version,
            context=ctx,
            admin_password=password,
            restart_seconds=restart + restart_spread * i / portals,
            restart_lag_seconds=lag,
            **settings,
        )
        for i, ctx in enumerate(contexts)
    ]
    with (
        PortalEmulator(portal_settings, port=0) as emulator,
        LocalDeployment(
            ca_bundle=emulator.ca_bundle, parameters={"MaxRestartSeconds": "3600"}
        ) as aws,
    ):
        arns = {
            ctx: aws.create_portal_secret(
                f"bench-{ctx}", PortalLogin(emulator.url(ctx), "portaladmin", password)
            )
            for ctx in contexts
        }
        yield Bench(emulator, aws, arns)


def history(aws: LocalDeployment, execution_arn: str) -> list[dict[str, Any]]:
    events = aws.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return list(events)


def state_entries(events: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [
        (e["stateEnteredEventDetails"]["name"], e["timestamp"].timestamp())
        for e in events
        if e["type"].endswith("StateEntered")
    ]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
