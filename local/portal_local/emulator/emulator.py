"""PortalEmulator: one HTTP(S) server on 127.0.0.1 hosting one target per context path:
a portal (``PortalSettings``) or an ArcGIS Server site (``ServerSettings``), each with
the machines, restarts, faults and request log described below.

A portal of two machines (``PortalSettings(machines=2)``) also gets one server per
machine, on its own port, with the same CA and certificate (SAN 127.0.0.1), serving the
machine context ``arcgis``; its ``adminURL`` (``portaladmin/machines``,
``machine_urls()``) is ``https://127.0.0.1:<port>/arcgis``. The portal's URL
(``url(context)``) is then a round-robin load balancer over its machines. A machine
named by ``unreachable_machine`` gets a port that is bound but never listens: its
adminURL refuses connections while the balancer still serves it. A portal of one machine
lists an internal adminURL that does not resolve (``single_machine_url="trap"``: a port
that logs every attempt and resets it). A portal whose ``machine_listing`` points
elsewhere gets a trap there (127.0.0.2 for "other-host", 127.0.0.1 otherwise): every
connection to it is logged (method ``CONNECT``, ``direct``) before any handshake, and
every request it gets is logged and reset. A portal's ``alias_contexts`` reach it too.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from portal_local.emulator.certs import TlsFiles, write_tls_files
from portal_local.emulator.control import PREFIX as CONTROL_PREFIX
from portal_local.emulator.dispatcher import MACHINE_CONTEXT, Dispatcher, TrapDispatcher
from portal_local.emulator.faults import FaultRegistry
from portal_local.emulator.http_messages import Request, Response
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal
from portal_local.emulator.request_log import RequestLog, RequestRecord
from portal_local.emulator.server import HttpServer
from portal_local.emulator.server_settings import ServerSettings
from portal_local.emulator.server_site import ServerSite
from portal_local.emulator.settings import PortalSettings
from portal_local.emulator.site import Site

TargetSettings = PortalSettings | ServerSettings
SiteT = TypeVar("SiteT", Portal, ServerSite)


def _site(settings: TargetSettings, faults: FaultRegistry, clock: Callable[[], float]) -> Site:
    if isinstance(settings, ServerSettings):
        return ServerSite(settings, faults, clock)
    return Portal(settings, faults, clock)


def _check(settings: list[TargetSettings]) -> None:
    if not settings:
        raise ValueError("at least one PortalSettings or ServerSettings is needed")
    contexts = [c for s in settings for c in (s.context, *s.alias_contexts)]
    if len(set(contexts)) != len(contexts):
        raise ValueError(f"context paths must be unique: {contexts}")
    if len({(s.tls, s.tls_variant if s.tls else None) for s in settings}) != 1:
        raise ValueError("all portals of one server share its tls and tls_variant")
    if len(settings) > 1 and any(s.down_mode == "refuse" and s.machines == 1 for s in settings):
        raise ValueError(
            "down_mode='refuse' needs a server that hosts one target only "
            "(or a target of several machines: their own ports refuse, the balancer stays)"
        )


class PortalEmulator:
    """Start with ``start()`` or ``with PortalEmulator(...) as emu:``; stop with ``stop()``.

    Threads are daemons; ``stop()`` closes every connection and returns within seconds.
    ``clock`` times every portal's restarts (a :class:`~portal_local.emulator.clock.
    ManualClock` holds each phase until a test moves it on).
    """

    def __init__(
        self,
        settings: TargetSettings | Sequence[TargetSettings] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings is None:
            settings = PortalSettings()
        single = isinstance(settings, PortalSettings | ServerSettings)
        listed: list[TargetSettings] = [settings] if single else list(settings)  # type: ignore[list-item,arg-type]
        _check(listed)
        self.host = host
        self.faults = FaultRegistry()
        self._log = RequestLog()
        self._sites = {s.context: _site(s, self.faults, clock) for s in listed}
        self._aliases = {
            alias: site for site in self._sites.values() for alias in site.settings.alias_contexts
        }
        self._first = listed[0]
        self._port = port
        self._stopping = threading.Event()
        self._server: HttpServer | None = None
        self._machine_servers: list[HttpServer] = []
        self._refusing_sockets: list[socket.socket] = []
        self._tls_dir: Path | None = None
        self._tls_files: TlsFiles | None = None

    # ---- lifecycle ----

    def start(self) -> PortalEmulator:
        if self._server is not None or self._stopping.is_set():
            raise RuntimeError("a PortalEmulator starts once")
        ssl_context = self._make_ssl_context() if self._first.tls else None
        dispatcher = Dispatcher(
            self._sites, self.faults, self._log, self._stopping, aliases=self._aliases
        )
        server = HttpServer(
            dispatcher.handle,
            host=self.host,
            port=self._port,
            ssl_context=ssl_context,
            should_listen=self._should_listen,
        )
        try:
            server.start()
            self._server = server
            self._port = server.port
            self._start_machines(ssl_context)
        except OSError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in [*self._machine_servers, *([self._server] if self._server else [])]:
            server.stop()
        for refusing in self._refusing_sockets:
            refusing.close()
        self._remove_tls_files()

    def __enter__(self) -> PortalEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- addresses ----

    @property
    def port(self) -> int:
        return self._port

    @property
    def scheme(self) -> str:
        return "https" if self._first.tls else "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self._port}"

    def url(self, context: str | None = None) -> str:
        """The target's base URL, e.g. ``https://127.0.0.1:PORT/arcgis`` (``context`` may
        be one of its aliases: the URL through that alias)."""
        if context is not None and context.strip("/") in self._aliases:
            return f"{self.base_url}/{context.strip('/')}"
        return f"{self.base_url}/{self.site(context).context}"

    def machine_urls(self, context: str | None = None) -> list[str]:
        """The adminURL of each machine of a target (the primary first), as
        ``portaladmin/machines`` or ``admin/machines`` lists them."""
        return [machine.admin_url for machine in self.site(context).machines]

    @property
    def control_url(self) -> str:
        return f"{self.base_url}{CONTROL_PREFIX}"

    @property
    def ca_bundle(self) -> str | None:
        """PEM of the CA that signed the server certificate (None: no TLS or self-signed)."""
        files = self._tls_files
        return str(files.ca_file) if files and files.ca_file else None

    @property
    def server_cert(self) -> str | None:
        """PEM of the server certificate itself (leaf only)."""
        return str(self._tls_files.cert_file) if self._tls_files else None

    # ---- state ----

    def site(self, context: str | None = None) -> Site:
        """The target at ``context``; None: the first (or only) one."""
        if context is None:
            return self._sites[self._first.context]
        try:
            return self._sites.get(context.strip("/")) or self._aliases[context.strip("/")]
        except KeyError:
            raise KeyError(f"nothing hosted at context {context!r}") from None

    def portal(self, context: str | None = None) -> Portal:
        """The portal at ``context``; None: the first one hosted."""
        return self._kind(Portal, context)

    def server(self, context: str | None = None) -> ServerSite:
        """The ArcGIS Server site at ``context``; None: the first one hosted."""
        return self._kind(ServerSite, context)

    @property
    def sites(self) -> list[Site]:
        return list(self._sites.values())

    @property
    def portals(self) -> list[Portal]:
        return [site for site in self._sites.values() if isinstance(site, Portal)]

    @property
    def servers(self) -> list[ServerSite]:
        return [site for site in self._sites.values() if isinstance(site, ServerSite)]

    @property
    def request_log(self) -> list[RequestRecord]:
        return self._log.records()

    def requests_for(
        self, context: str | None = None, machine: str | int | None = None
    ) -> list[RequestRecord]:
        """The records of one target; ``machine`` (name or number): those it answered."""
        site = self.site(context)
        name = None if machine is None else site.machine(machine).name
        return self._log.records(site.context, name)

    def wait_until_answered(self, timeout: float = 30.0) -> bool:
        """Until every request that reached the emulator has been answered (a delayed
        update that lands after its client gave up, say)."""
        return self._log.wait_until_answered(timeout)

    def clear_log(self) -> None:
        self._log.clear()

    # ---- internals ----

    def _kind(self, kind: type[SiteT], context: str | None) -> SiteT:
        if context is None:
            first = next((s for s in self._sites.values() if isinstance(s, kind)), None)
            if first is None:
                raise KeyError(f"no {kind.kind} is hosted")
            return first
        site = self.site(context)
        if not isinstance(site, kind):
            raise KeyError(f"the target at context {context!r} is not a {kind.kind}")
        return site

    def _should_listen(self) -> bool:
        only = self._first
        if len(self._sites) != 1 or only.down_mode != "refuse" or only.machines != 1:
            return True
        return not self._sites[only.context].is_restarting

    def _start_machines(self, ssl_context: ssl.SSLContext | None) -> None:
        for site in self._sites.values():
            if isinstance(site, Portal):
                self._start_trap(site, ssl_context)
            for machine in site.machines:
                if site.is_highly_available:
                    self._start_machine(site, machine, ssl_context)
                elif isinstance(site, Portal) and site.settings.single_machine_url == "trap":
                    trap = TrapDispatcher(machine, self._log)
                    machine.admin_url = self._serve(trap.handle, ssl_context, lambda: True)

    def _start_trap(self, portal: Portal, ssl_context: ssl.SSLContext | None) -> None:
        listing = portal.settings.machine_listing
        if listing not in ("other-host", "other-port", "thousands"):
            return
        trap = TrapDispatcher(portal.machines[-1], self._log)
        host = "127.0.0.2" if listing == "other-host" else self.host
        server = HttpServer(
            trap.handle, host=host, port=0, ssl_context=ssl_context, on_connect=trap.connected
        )
        self._machine_servers.append(server)
        server.start()
        portal.trap_url = f"{self.scheme}://{host}:{server.port}/{MACHINE_CONTEXT}"

    def _start_machine(
        self, site: Site, machine: Machine[Any], ssl_context: ssl.SSLContext | None
    ) -> None:
        settings = site.settings
        if settings.unreachable_machine == machine.number:
            refusing = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._refusing_sockets.append(refusing)
            refusing.bind((self.host, 0))  # bound, never listening: connections refused
            machine.admin_url = site.admin_url_at(self._machine_url(refusing.getsockname()[1]))
            return
        dispatcher = Dispatcher(self._sites, self.faults, self._log, self._stopping, machine)

        def should_listen() -> bool:
            return settings.down_mode != "refuse" or not machine.is_restarting

        base_url = self._serve(dispatcher.handle, ssl_context, should_listen)
        machine.admin_url = site.admin_url_at(base_url)
        machine.reachable_directly = True

    def _serve(
        self,
        app: Callable[[Request], Response],
        ssl_context: ssl.SSLContext | None,
        should_listen: Callable[[], bool],
    ) -> str:
        server = HttpServer(
            app, host=self.host, port=0, ssl_context=ssl_context, should_listen=should_listen
        )
        self._machine_servers.append(server)
        server.start()
        return self._machine_url(server.port)

    def _machine_url(self, port: int) -> str:
        return f"{self.scheme}://{self.host}:{port}/{MACHINE_CONTEXT}"

    def _make_ssl_context(self) -> ssl.SSLContext:
        self._tls_dir = Path(tempfile.mkdtemp(prefix="portal-emulator-tls-"))
        self._tls_files = write_tls_files(self._first.tls_variant, self._tls_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self._tls_files.cert_file, self._tls_files.key_file)
        return context

    def _remove_tls_files(self) -> None:
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
