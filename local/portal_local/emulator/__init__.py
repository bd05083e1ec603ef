"""A faithful ArcGIS Enterprise Portal emulator for tests and the local demo.

    from portal_local.emulator import PortalEmulator, PortalSettings, Fault

    with PortalEmulator(PortalSettings(version="11.3")) as emu:
        emu.url()          # https://127.0.0.1:PORT/arcgis
        emu.ca_bundle      # PEM of the CA that signed the server certificate
        emu.portal()       # state: shared_key, restart_count, security_config, ...
        emu.request_log    # what was asked, names only (and which machine answered)
        emu.faults.add(Fault(action="http", path="portaladmin/healthCheck", status=502))

A highly available portal: two machines, each on its own port, behind ``emu.url()``
(a round-robin load balancer); one adminURL refusing connections if asked:

    with PortalEmulator(PortalSettings(machines=2, unreachable_machine=None)) as emu:
        emu.machine_urls()                     # [https://127.0.0.1:P1/arcgis, ...:P2/...]
        primary, standby = emu.portal().machines
        standby.phase, standby.restart_count, standby.came_up_at
        standby.shared_key_fingerprint         # the key it runs (the old one until its
                                               # restart, standby_restart_delay_seconds
                                               # after the primary is back)
        emu.requests_for(machine=2)            # what the standby answered
        emu.faults.add(Fault(action="restart_forever", machine=standby.name))

An ArcGIS Server site (docs/SERVER_API.md) is hosted the same way, at its own context,
with the same HTTP, TLS, faults, request log and restarts:

    with PortalEmulator([PortalSettings(), ServerSettings(context="server")]) as emu:
        emu.url("server")                      # https://127.0.0.1:PORT/server
        emu.server().token_manager_config      # {"type": "BUILTIN", "properties": ...}
        emu.server().machines                  # one, or up to four on their own ports

Modules: settings (PortalSettings, and which real-portal behaviour each one picks),
portal (the database shared by its machines), machine (one machine's process: running
key and config, restart lifecycle, token warm-up), tokens, shared_key, security_config,
user_defaults (10.8+ new member defaults), user_types (which the license lists, per
version), checks (what every endpoint checks, the token's transport included),
endpoints (the Portal API routes; user_defaults_api, machines_api, kubernetes_api,
license_api, federation_api),
faults, dispatcher (load balancer or machine entry, faults, restarts, log), control (the
/__emulator/ JSON API), request_log, pages (HTML), http_messages, server (HTTP/TLS
plumbing), certs (TLS material), emulator (the facade, one server per HA machine);
site (what portals and server sites share: machines, users, tokens), server_settings,
server_site (a site's config store), server_api (its Administrator Directory and health
check).
"""

from portal_local.emulator.emulator import PortalEmulator
from portal_local.emulator.faults import Fault, FaultRegistry
from portal_local.emulator.machine import Machine
from portal_local.emulator.portal import Portal
from portal_local.emulator.request_log import RequestRecord
from portal_local.emulator.server_settings import SERVER_VERSIONS, ServerSettings
from portal_local.emulator.server_site import ServerSite
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
    "SERVER_VERSIONS",
    "SUPPORTED_VERSIONS",
    "Fault",
    "FaultRegistry",
    "Machine",
    "Portal",
    "PortalEmulator",
    "PortalSettings",
    "RequestRecord",
    "ServerSettings",
    "ServerSite",
]
