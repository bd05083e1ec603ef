"""Under load: one execution over N emulated portals with random faults.

Each portal gets one fault drawn from a seeded generator: none, an update answered
`status: failed`, an update whose connection is reset (outcome unknown, checked, sent
again), a long restart lag (health OK while the old process still answers), a flapping
health check, slow answers, a restart that never ends, or an 11.4 portal that generates
its key. The figures: every portal is either verified or reported failed (nothing
lost), every verified portal's secret holds the key the portal runs with, every failed
portal's AWSCURRENT is unchanged, and no password, key or token appears in histories,
logs, notifications or DynamoDB items.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import time
from collections import Counter
from typing import Any

from portal_local.deployment import LocalDeployment, PortalLogin
from portal_local.emulator import Fault, PortalEmulator, PortalSettings
from portal_local.leaks import find_leaks, observable_texts, secret_values, subscribe_notifications

from benchmarks.common import save

FAULTS = (
    "none",
    "update-failed",
    "update-reset",
    "long-lag",
    "flapping",
    "slow",
    "never-back",
    "generated-key",
)
UPDATE = "portaladmin/security/tokens/update"
TIMING = {
    "recheckSeconds": 0,
    "healthPollSeconds": 0.5,
    "pollWindowSeconds": 10,
    "pollIntervalSeconds": 1,
    "maxRestartSeconds": 20,
}


def plan(count: int, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {f"f{i:03d}": rng.choice(FAULTS) for i in range(count)}


def settings_for(context: str, fault: str, password: str) -> PortalSettings:
    return PortalSettings(
        context=context,
        version="11.4" if fault == "generated-key" else "11.3",
        admin_password=password,
        restart_seconds=2.0,
        restart_lag_seconds=3.0 if fault == "long-lag" else 0.3,
    )


def faults_for(context: str, fault: str) -> list[Fault]:
    return {
        "update-failed": [Fault(action="status_failed", context=context, path=UPDATE)],
        "update-reset": [Fault(action="reset", context=context, path=UPDATE, times=1)],
        "flapping": [
            Fault(
                action="health_flap",
                context=context,
                path="*healthCheck",
                sequence=("down", "ok", "down", "down", "ok"),
            )
        ],
        "slow": [Fault(action="delay", context=context, seconds=0.5)],
        "never-back": [Fault(action="restart_forever", context=context)],
    }.get(fault, [])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    password = "CANARY-" + secrets.token_hex(8)
    chosen = plan(args.portals, args.seed)
    portals = [settings_for(ctx, fault, password) for ctx, fault in chosen.items()]
    with (
        PortalEmulator(portals, port=0) as emulator,
        LocalDeployment(
            ca_bundle=emulator.ca_bundle,
            parameters={"MaxRestartSeconds": "600", "PortalReadTimeoutSeconds": "3"},
        ) as aws,
    ):
        queue = subscribe_notifications(aws)
        for ctx, fault in chosen.items():
            for item in faults_for(ctx, fault):
                emulator.faults.add(item)
        arns = {
            ctx: aws.create_portal_secret(
                ctx, PortalLogin(emulator.url(ctx), "portaladmin", password)
            )
            for ctx in chosen
        }
        before = {
            ctx: json.loads(
                aws.client("secretsmanager").get_secret_value(
                    SecretId=arn, VersionStage="AWSCURRENT"
                )["SecretString"]
            )
            for ctx, arn in arns.items()
        }
        payload = {
            "action": "rotate-shared-key",
            "timing": TIMING,
            "portals": [{"secretArn": a, "label": c} for c, a in arns.items()],
        }
        started = time.monotonic()
        result = aws.run(payload, "fleet-faults", timeout_seconds=900)
        wall = time.monotonic() - started
        emulator.faults.clear()
        reports = {p["label"]: p for p in whole_report(aws, result.summary)}
        problems = []
        sm = aws.client("secretsmanager")
        for ctx, arn in arns.items():
            report = reports.get(ctx)
            if report is None:
                problems.append(f"{ctx}: no report")
                continue
            current = json.loads(
                sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
            )
            if report["status"] == "verified":
                if current.get("sharedKey") != emulator.portal(ctx).shared_key:
                    problems.append(f"{ctx}: verified but the secret differs from the portal")
            elif report["status"] == "failed":
                if current != before[ctx]:
                    problems.append(f"{ctx}: failed but AWSCURRENT changed")
            else:
                problems.append(f"{ctx}: unexpected status {report['status']}")
        leaks = find_leaks(observable_texts(aws, queue), secret_values(emulator, [password]))
    by_fault: dict[str, Counter[str]] = {}
    for ctx, fault in chosen.items():
        status = reports.get(ctx, {}).get("status", "missing")
        error = reports.get(ctx, {}).get("error", {}).get("name")
        by_fault.setdefault(fault, Counter())[f"{status}{'/' + error if error else ''}"] += 1
    figures = {
        "portals": args.portals,
        "seed": args.seed,
        "execution": result.status,
        "wall_seconds": round(wall, 1),
        "reported": len(reports),
        "statuses": dict(Counter(r["status"] for r in reports.values())),
        "by_fault": {k: dict(v) for k, v in sorted(by_fault.items())},
        "problems": problems,
        "leaks": leaks,
    }
    save("fleet_faults", figures)
    print(json.dumps(figures, indent=2))
    return figures


def whole_report(aws: LocalDeployment, summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every portal's report: the summary lists at most 25, the work bucket holds all."""
    if not summary or not summary.get("report"):
        return []
    body = aws.client("s3").get_object(Bucket=aws.outputs["WorkBucketName"], Key=summary["report"])
    portals: list[dict[str, Any]] = json.loads(body["Body"].read())["portals"]
    return portals


if __name__ == "__main__":
    main()
