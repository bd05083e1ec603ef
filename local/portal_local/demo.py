"""``make demo``: the whole product on one machine, on embedded defaults.

Three emulated portals (11.3, where the caller supplies the key; 11.4, where the portal
generates it; 12.0, whose proxy is restricted to Esri's hosts by default and which has a
federated server) and an ArcGIS Server 12.0 site of two machines that restart after a
key update, behind one HTTPS server with its own CA; the local AWS endpoint with
template.yaml deployed; one credentials secret per portal and site (the site's pins its
two machines). Then, exactly as a user would drive AWS: a key rotation over the three
portals and the site, a security-config dry run of the portals, and the apply, each
followed live, each ending with the per-portal summary (on 12.0: Esri's proxy hosts
kept, the federated server validated, what the rotation invalidated; the site verified
on each machine).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from typing import Any, TextIO

from portal_automation.cli.follow import FollowResult, print_summary

from portal_local.deployment import LocalDeployment, PortalLogin
from portal_local.emulator import PortalEmulator, PortalSettings, ServerSettings

PORTALS = (("11.3", "gis113"), ("11.4", "gis114"), ("12.0", "gis120"))
SITE = "server120"  # an ArcGIS Server 12.0 site
DESIRED_CONFIG = {
    "allowedProxyHosts": "(.*).example.com",
    "disableServicesDirectory": True,
    "allowInternetCORSAccess": False,
    "defaultRoleForUser": "account_user",
    "defaultUserTypeIdForUser": "creatorUT",
}


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="portal-local demo", description=__doc__)
    parser.add_argument("--restart-seconds", type=float, default=3.0)
    parser.add_argument("--restart-lag-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    began = time.monotonic()
    password = secrets.token_urlsafe(18)
    portals = [
        PortalSettings(
            version=version,
            context=context,
            restart_seconds=args.restart_seconds,
            restart_lag_seconds=args.restart_lag_seconds,
            admin_username="portaladmin",
            admin_password=password,
            tls=True,
        )
        for version, context in PORTALS
    ]
    site = ServerSettings(
        version="12.0",
        context=SITE,
        machines=2,
        key_update_restarts=True,
        restart_seconds=args.restart_seconds,
        restart_lag_seconds=args.restart_lag_seconds,
        admin_username="siteadmin",
        admin_password=password,
    )
    contexts = [context for _, context in PORTALS]
    say = _printer(out)
    say(
        "Starting three emulated portals (11.3, 11.4 and 12.0) and an ArcGIS Server 12.0 "
        "site of two machines over HTTPS on 127.0.0.1 ..."
    )
    with PortalEmulator([*portals, site], port=0) as emulator:
        say(f"  portals: {'  '.join(emulator.url(context) for context in contexts)}")
        say(f"  server site: {emulator.url(SITE)}")
        say("Starting the local AWS endpoint and deploying template.yaml ...")
        with LocalDeployment(ca_bundle=emulator.ca_bundle) as aws:
            say(f"  endpoint: {aws.endpoint.url}   state machine: {aws.state_machine_arn}")
            arns = {
                context: aws.create_portal_secret(
                    f"demo-{context}", PortalLogin(emulator.url(context), "portaladmin", password)
                )
                for context in contexts
            }
            targets = [{"secretArn": arn, "label": ctx} for ctx, arn in arns.items()]
            pins = [url.removesuffix("/admin") for url in emulator.machine_urls(SITE)]
            arns[SITE] = aws.create_portal_secret(
                f"demo-{SITE}",
                PortalLogin(emulator.url(SITE), "siteadmin", password),
                kind="server",
                machines=pins,
            )
            rotated = [*targets, {"secretArn": arns[SITE], "label": SITE}]
            timing = {
                "recheckSeconds": 1,
                "pollIntervalSeconds": 1,
                "pollWindowSeconds": 10,
                "healthPollSeconds": 0.25,
                "maxRestartSeconds": 120,
            }
            runs: list[tuple[str, dict[str, Any]]] = [
                (
                    "1/3 rotate the token shared key on the three portals and the server site",
                    {"action": "rotate-shared-key", "portals": rotated, "timing": timing},
                ),
                (
                    "2/3 security configuration of the portals: dry run",
                    {
                        "action": "apply-security-config",
                        "portals": targets,
                        "dryRun": True,
                        "securityConfig": DESIRED_CONFIG,
                        "timing": timing,
                    },
                ),
                (
                    "3/3 security configuration of the portals: apply",
                    {
                        "action": "apply-security-config",
                        "portals": targets,
                        "securityConfig": DESIRED_CONFIG,
                        "timing": timing,
                    },
                ),
            ]
            ok = True
            for number, (title, payload) in enumerate(runs, start=1):
                say(f"\n== {title} ==")
                result = aws.run(payload, f"demo-{number}-{int(time.time())}", out=out)
                ok = _report(result, out) and ok
                if payload["action"] == "rotate-shared-key":
                    _show_secrets(aws, emulator, arns, out)
    say(f"\nDemo {'finished' if ok else 'FAILED'} in {time.monotonic() - began:.1f} s.")
    return 0 if ok else 1


def _report(result: FollowResult, out: TextIO) -> bool:
    out.write(f"  execution: {result.status}\n")
    if result.error:
        out.write(f"  error: {result.error}: {result.cause}\n")
    print_summary(result.summary, out)
    return result.status == "SUCCEEDED"


def _show_secrets(
    aws: LocalDeployment, emulator: PortalEmulator, arns: dict[str, str], out: TextIO
) -> None:
    sm = aws.client("secretsmanager")
    out.write("  secret versions after the rotation (values never shown):\n")
    for context, arn in arns.items():
        stages = aws.version_stages(arn)
        current = json.loads(
            sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
        )
        site = emulator.site(context)
        matches = {current.get("sharedKey")} == {m.shared_key for m in site.machines}
        described = ", ".join(f"{v[:8]}: {'+'.join(s)}" for v, s in stages.items())
        out.write(
            f"  - {context}: {described}; AWSCURRENT key is the running key of every machine: "
            f"{'yes' if matches else 'NO'}\n"
        )


def _printer(out: TextIO) -> Any:
    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    return say


if __name__ == "__main__":
    sys.exit(main())
