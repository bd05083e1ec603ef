"""The ``portal-local`` command line: the project on one machine (never deployed).

``emulator`` runs emulated portals, ``up`` the local AWS endpoint with template.yaml
deployed, ``demo`` both with three runs. The operator's commands (``start``,
``follow``, ``status``) are the product's ``portal-automation``; they work against
this local endpoint with ``--outputs``.

One subcommand = one entry in COMMANDS: a name, a one-line help, a function that adds its
arguments and a function that runs it and returns the exit code.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from portal_automation import cli
from portal_automation.cli import Command

from portal_local.emulator import SERVER_VERSIONS, PortalEmulator, PortalSettings, ServerSettings
from portal_local.emulator.settings import (
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    SUPPORTED_VERSIONS,
)

# ---- emulator ----


def _emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7443, help="0 picks a free port")
    parser.add_argument("--version", default="11.3", choices=SUPPORTED_VERSIONS)
    parser.add_argument("--restart-seconds", type=float, default=5.0)
    parser.add_argument("--restart-lag-seconds", type=float, default=2.0)
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="serve HTTPS with a generated CA (without it: plain HTTP, allowed for local use)",
    )
    parser.add_argument(
        "--tls-variant", default="valid", choices=("valid", "wrong-host", "expired", "self-signed")
    )
    parser.add_argument("--username", default=DEFAULT_ADMIN_USERNAME)
    parser.add_argument("--password", default=DEFAULT_ADMIN_PASSWORD)
    parser.add_argument(
        "--context",
        action="append",
        help="context path of a portal; repeat for several portals (default: arcgis)",
    )
    parser.add_argument("--down-mode", default="html", choices=("html", "refuse"))
    parser.add_argument("--generated-key-mode", default="ignore", choices=("ignore", "reject"))
    parser.add_argument(
        "--config-update-restarts", action=argparse.BooleanOptionalAction, default=True
    )
    parser.add_argument(
        "--config-booleans-as-strings",
        action=argparse.BooleanOptionalAction,
        default=True,
        help='GET security/config answers booleans as "true"/"false" (as Esri\'s example)',
    )
    parser.add_argument(
        "--token-warmup-seconds",
        type=float,
        default=0.0,
        help="after a restart, generateToken answers 503 HTML for this long",
    )
    parser.add_argument(
        "--flavour",
        default="enterprise",
        choices=("enterprise", "kubernetes"),
        help="kubernetes: ArcGIS Enterprise on Kubernetes (no portaladmin)",
    )
    parser.add_argument(
        "--machines",
        type=int,
        default=1,
        choices=(1, 2),
        help="2: a highly available portal (each machine on its own port, a load balancer)",
    )
    parser.add_argument("--standby-restart-delay-seconds", type=float, default=3.0)
    parser.add_argument(
        "--unreachable-machine",
        type=int,
        choices=(1, 2),
        help="with --machines 2: this machine's adminURL refuses connections",
    )
    parser.add_argument(
        "--initial-default-user-type",
        default="creatorUT",
        help='the default user type new members get ("" for none)',
    )
    parser.add_argument(
        "--server",
        action="append",
        metavar="CONTEXT",
        help="context path of an ArcGIS Server site (same user); repeat for several. "
        "With --server and no --context, only sites run",
    )
    parser.add_argument("--server-version", default="11.3", choices=SERVER_VERSIONS)
    parser.add_argument("--server-machines", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument(
        "--server-key-update-restarts",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="each machine of a site restarts after a key update (undocumented either way)",
    )


def _wait_for_termination() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_emulator(args: argparse.Namespace) -> int:
    try:
        settings = [
            PortalSettings(
                version=args.version,
                restart_seconds=args.restart_seconds,
                restart_lag_seconds=args.restart_lag_seconds,
                admin_username=args.username,
                admin_password=args.password,
                context=context,
                tls=args.tls,
                tls_variant=args.tls_variant,
                down_mode=args.down_mode,
                generated_key_mode=args.generated_key_mode,
                config_update_restarts=args.config_update_restarts,
                http_allowed=not args.tls,
                config_booleans_as_strings=args.config_booleans_as_strings,
                token_warmup_seconds=args.token_warmup_seconds,
                flavour=args.flavour,
                machines=args.machines,
                standby_restart_delay_seconds=args.standby_restart_delay_seconds,
                unreachable_machine=args.unreachable_machine,
                initial_default_user_type=args.initial_default_user_type,
            )
            for context in (args.context or ([] if args.server else ["arcgis"]))
        ]
        sites = [_server_settings(args, context) for context in args.server or []]
        emulator = PortalEmulator([*settings, *sites], port=args.port, host=args.host)
    except ValueError as exc:
        print(f"portal-local emulator: {exc}", file=sys.stderr)
        return 2
    emulator.start()
    try:
        for portal in emulator.sites:
            kind = "Portal" if portal.kind == "portal" else "ArcGIS Server site"
            print(f"{kind} {portal.version} at {emulator.url(portal.context)}", flush=True)
            if portal.is_highly_available:
                for machine in portal.machines:
                    reach = "" if machine.reachable_directly else " (refuses connections)"
                    print(
                        f"  machine {machine.name} ({machine.role}): {machine.admin_url}{reach}",
                        flush=True,
                    )
        print(f"Admin user: {args.username}", flush=True)
        print(f"Admin password: {args.password}", flush=True)
        print("  (emulator credentials, for local use only)", flush=True)
        print(f"CA bundle: {emulator.ca_bundle or '(none)'}", flush=True)
        if not args.tls:
            print("Plain HTTP: for local testing only.", flush=True)
        print(f"Control API: {emulator.control_url}", flush=True)
        print("Running; Ctrl-C or SIGTERM stops it.", flush=True)
        _wait_for_termination()
    finally:
        emulator.stop()
    print("Stopped.", flush=True)
    return 0


def _server_settings(args: argparse.Namespace, context: str) -> ServerSettings:
    return ServerSettings(
        version=args.server_version,
        context=context,
        restart_seconds=args.restart_seconds,
        restart_lag_seconds=args.restart_lag_seconds,
        key_update_restarts=args.server_key_update_restarts,
        machines=args.server_machines,
        admin_username=args.username,
        admin_password=args.password,
        tls=args.tls,
        tls_variant=args.tls_variant,
        down_mode=args.down_mode,
        http_allowed=not args.tls,
    )


# ---- commands that own their argument parsing ----


def _passthrough(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs=argparse.REMAINDER, help="see --help of the command")


def run_demo(args: argparse.Namespace) -> int:
    from portal_local.demo import main as demo_main  # noqa: PLC0415 - loads moto

    return demo_main(args.args)


def run_up(args: argparse.Namespace) -> int:
    from portal_local.aws.up import main as up_main  # noqa: PLC0415 - loads moto

    return up_main(list(args.args))


COMMANDS: list[Command] = [
    Command(
        "emulator",
        "run the local ArcGIS Portal (and Server site) emulator",
        _emulator_arguments,
        run_emulator,
    ),
    Command("up", "the local AWS endpoint with template.yaml deployed", _passthrough, run_up),
    Command(
        "demo", "the local demo: emulator + local AWS + three executions", _passthrough, run_demo
    ),
]


def build_parser() -> argparse.ArgumentParser:
    return cli.build_parser(
        "portal-local", COMMANDS, "The local stand-ins: emulator, AWS, demo.", aws_options=False
    )


# Commands that parse their own arguments: everything after the name is theirs (an
# argparse REMAINDER after a subcommand refuses options such as --port).
OWN_PARSERS = {c.name: c.run for c in COMMANDS if c.add_arguments is _passthrough}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in OWN_PARSERS:
        return OWN_PARSERS[args[0]](argparse.Namespace(args=args[1:]))
    return cli.run(build_parser(), args)


if __name__ == "__main__":
    sys.exit(main())
