"""A faithful ArcGIS Enterprise Portal emulator for tests and the local demo.

    from portal_local.emulator import PortalEmulator, PortalSettings, Fault

    with PortalEmulator(PortalSettings(version="11.3")) as emu:
        emu.url()          # https://127.0.0.1:PORT/arcgis
        emu.ca_bundle      # PEM of the CA that signed the server certificate
        emu.portal()       # state: shared_key, restart_count, security_config, ...
        emu.request_log    # what was asked, names only
        emu.faults.add(Fault(action="http", path="portaladmin/healthCheck", status=502))

Modules: settings (PortalSettings), portal (the database shared by its machines),
machine (one machine's process: running key and config, restart lifecycle), tokens,
shared_key, security_config, user_defaults (10.8+ new member defaults), checks (what
every endpoint checks), endpoints (the Portal API; user_defaults_api), faults,
dispatcher (routing, faults, restarts, log), control (the /__emulator/ JSON API),
request_log, pages (HTML), http_messages, server (HTTP/TLS plumbing), certs (TLS
material), emulator (the facade).
"""

from portal_local.emulator.emulator import PortalEmulator
from portal_local.emulator.faults import Fault, FaultRegistry
from portal_local.emulator.portal import Portal
from portal_local.emulator.request_log import RequestRecord
from portal_local.emulator.settings import (
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_VIEWER_PASSWORD,
    DEFAULT_VIEWER_USERNAME,
    SUPPORTED_VERSIONS,
    PortalSettings,
)

__all__ = [
    "DEFAULT_ADMIN_PASSWORD",
    "DEFAULT_ADMIN_USERNAME",
    "DEFAULT_VIEWER_PASSWORD",
    "DEFAULT_VIEWER_USERNAME",
    "SUPPORTED_VERSIONS",
    "Fault",
    "FaultRegistry",
    "Portal",
    "PortalEmulator",
    "PortalSettings",
    "RequestRecord",
]
