"""Per-portal settings of the emulator and the Portal versions it can pretend to be.

Behaviours of real portals and the settings that choose them. Where PORTAL_API.md marks
a fact *unverified*, the default is the documented or likely answer and the other one is
a setting away (a client test that passes both ways proves the client copes):

- config_booleans_as_strings=True: GET security/config answers "true"/"false" (Esri's
  documented example; DSC compares with "true"). False: JSON booleans.
- config_update_recheck=True: config/update answers recheckAfterSeconds 10; False leaves
  it out, a number sets it (*unverified*, PORTAL_API.md 6). token_update_recheck: same
  for tokens/update (documented with 10).
- config_update_restarts=True: a config change restarts (*unverified*); False: at once.
- generated_key_mode="ignore": 11.4+ ignores a supplied key; "reject" refuses it
  (*unverified*, PORTAL_API.md 5).
- initial_default_role="account_user", initial_default_user_type="creatorUT": the
  defaults the portal was set up with; "" as the user type means none (a fresh 10.7.1
  install, Esri DSC #208), and enabling automatic account creation then answers 500.
- token_warmup_seconds=0: N makes generateToken answer 503 HTML for N s after each
  restart while health is OK (Esri's DSC waits for both).
- flavour="enterprise"; "kubernetes": ArcGIS Enterprise on Kubernetes (7c).
- machines=1; 2: primary and standby behind a load balancer (7a), the standby restarting
  standby_restart_delay_seconds=3.0 after the primary is back (*unverified* whether and
  when it restarts); unreachable_machine=None, or 1/2 whose adminURL refuses connections.
- single_machine_url="invalid-host": one machine lists an adminURL that never resolves;
  "trap": 127.0.0.1, every call to it logged and reset.
- down_mode="html": 502/503 HTML while down; "refuse": connections refused.
- user_type_ids="kept" (11.4+): the license lists Professional, Professional Plus and
  Contributor under the IDs of the types they replace; "renamed": under new IDs
  (*unverified* which, ARCGIS_FACTS_12X; see user_types).
- federated_servers=("success",): each federated server's validation status
  (federation); federation_failure_after_restart_seconds=0: N makes every server
  validate as "failure" for N s after each restart (*unverified*).
- empty_proxy_hosts="kept" (12.0+): config/update stores an empty allowedProxyHosts as
  posted; "defaults": the portal puts Esri's default hosts back (*unverified*).
- 12.2: a version newer than any Esri has documented here; it behaves as 12.1.
- machine_listing="as-deployed": portaladmin/machines lists each machine at the adminURL
  it serves. A compromised or misconfigured portal (issue 18) lists its last machine on
  "other-host" (127.0.0.2) or "other-port" (127.0.0.1), each a trap that logs every
  connection; on a "private-address" (10.255.255.1, where nothing answers); with
  "userinfo" (its own URL with user:password@); or lists "thousands" of machines (1,500
  more, on the trap), a machine name of 100,000 characters ("huge-names"), or names
  carrying terminal control sequences ("forged-names").
- admin_role="administrator": the admin account has the default administrator role;
  "security-and-infrastructure": a custom role with that privilege only, which
  portaladmin/machines refuses with 403 (Esri: "default administrator role" only).
- alias_contexts=(): other context paths the same portal answers at (a Web Adaptor in
  front of the :7443 context): one database, one restart, two URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from portal_local.emulator.security_config import ROLES as CONFIG_ROLES
from portal_local.emulator.user_defaults import ROLES as USER_DEFAULT_ROLES
from portal_local.emulator.user_types import UserTypeIds, UserTypes, user_types_for

TlsVariant = Literal["valid", "wrong-host", "expired", "self-signed"]
DownMode = Literal["html", "refuse"]
GeneratedKeyMode = Literal["ignore", "reject"]
Flavour = Literal["enterprise", "kubernetes"]
SingleMachineUrl = Literal["invalid-host", "trap"]
EmptyProxyHosts = Literal["kept", "defaults"]
FederationStatus = Literal["success", "success with warnings", "failure", "undetermined"]
FEDERATION_STATUSES: tuple[str, ...] = (
    "success",
    "success with warnings",
    "failure",
    "undetermined",
)
MachineListing = Literal[
    "as-deployed",
    "other-host",
    "other-port",
    "private-address",
    "userinfo",
    "thousands",
    "huge-names",
    "forged-names",
]
MACHINE_LISTINGS: tuple[str, ...] = get_args(MachineListing)
AdminRole = Literal["administrator", "security-and-infrastructure"]

# Emulator defaults, for local use only: printed by the CLI so a developer can log in.
DEFAULT_ADMIN_USERNAME = "portaladmin"
DEFAULT_ADMIN_PASSWORD = "emulator-local-only-admin"  # noqa: S105 - a local emulator default
DEFAULT_VIEWER_USERNAME = "viewer"
DEFAULT_VIEWER_PASSWORD = "emulator-local-only-viewer"  # noqa: S105 - a local emulator default

MAX_TOKEN_MINUTES = 525_600  # one year, the documented maximum of generateToken
DEFAULT_RECHECK_SECONDS = 10  # the recheckAfterSeconds of Esri's documented answers

# version -> build number reported as "currentbuild" (illustrative numbers; 11.1 and 11.3
# are the builds quoted in Esri's documentation).
BUILDS: Mapping[str, str] = {
    "10.7": "21364",
    "10.7.1": "25927",
    "10.8": "29567",
    "10.8.1": "30223",
    "10.9": "36521",
    "10.9.1": "37814",
    "11.0": "39425",
    "11.1": "41248",
    "11.2": "49018",
    "11.3": "51575",
    "11.4": "55730",
    "11.5": "58610",
    "12.0": "61300",
    "12.1": "63950",
    # Not documented by Esri at the time of writing: a portal newer than any the product
    # knows (it behaves as 12.1 here).
    "12.2": "66410",
}
SUPPORTED_VERSIONS: tuple[str, ...] = tuple(BUILDS)


def version_tuple(version: str) -> tuple[int, ...]:
    """``"10.9.1"`` -> ``(10, 9, 1)``; ``"11.3"`` -> ``(11, 3, 0)``."""
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (3 - len(parts))


def full_version(version: str) -> str:
    """The ``version`` string the Portal Admin root reports, e.g. ``"11.3.0"``."""
    return ".".join(str(p) for p in version_tuple(version))


def _normalise_version(version: str) -> str:
    for known in SUPPORTED_VERSIONS:
        if version_tuple(known) == version_tuple(version):
            return known
    raise ValueError(f"unsupported portal version {version!r}; one of {SUPPORTED_VERSIONS}")


def _recheck_seconds(value: bool | int) -> int | None:
    if value is True:
        return DEFAULT_RECHECK_SECONDS
    return None if value is False else int(value)


def aliases_of(context: str, aliases: tuple[str, ...]) -> tuple[str, ...]:
    """A target's alias contexts (a Web Adaptor's), normalised; ValueError when one is
    empty, the context itself, or the control API's."""
    normalised = tuple(alias.strip("/") for alias in aliases)
    if any(not a or a == context or a.startswith("__emulator") for a in normalised):
        raise ValueError(f"invalid alias contexts {aliases!r}")
    return normalised


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, not {value!r}")


@dataclass(frozen=True)
class PortalSettings:
    """How one emulated portal behaves. Immutable; one server can host many of them."""

    version: str = "11.3"
    restart_seconds: float = 1.0
    restart_lag_seconds: float = 0.3
    admin_username: str = DEFAULT_ADMIN_USERNAME
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    context: str = "arcgis"
    tls: bool = True
    tls_variant: TlsVariant = "valid"
    down_mode: DownMode = "html"
    # 11.4+: what the portal does with a non-empty supplied sharedKey (unverified upstream).
    generated_key_mode: GeneratedKeyMode = "ignore"
    config_update_restarts: bool = True
    token_max_minutes: int = MAX_TOKEN_MINUTES
    http_allowed: bool = False
    viewer_username: str = DEFAULT_VIEWER_USERNAME
    viewer_password: str = DEFAULT_VIEWER_PASSWORD
    # None: a random 44-character base64 key.
    initial_shared_key: str | None = None
    # Merged over the factory security configuration at start (e.g. an LDAP user store).
    initial_security_config: Mapping[str, Any] | None = None
    # Custom role ids the portal knows (valid values of defaultRoleForUser and role).
    custom_role_ids: tuple[str, ...] = field(default=("cRoleDataEditor1",))
    # The default role and user type for new members the portal was set up with: in the
    # security config below 10.8, in the user default settings from 10.8. "" as the user
    # type: none (as a fresh 10.7.1 install had: Esri DSC #208), which makes enabling
    # automatic account creation fail with code 500.
    initial_default_role: str = "account_user"
    initial_default_user_type: str = "creatorUT"
    # Properties config/update accepts but silently does not keep (a portal build that
    # ignores a setting): the read-back then differs, which is what rollback tests need.
    ignored_config_properties: tuple[str, ...] = ()
    # GET security/config answers boolean properties as "true"/"false" (Esri's documented
    # example does); False: as JSON booleans.
    config_booleans_as_strings: bool = True
    # recheckAfterSeconds in the success answer of config/update and tokens/update:
    # True = 10 (the documented answer), False = left out (unverified for config/update,
    # PORTAL_API.md 6), a number = that many seconds.
    config_update_recheck: bool | int = True
    token_update_recheck: bool | int = True
    # After a restart ends (health OK again), generateToken answers 503 with an HTML page
    # for this long: the token service lags the health check (Esri's DSC waits for both).
    token_warmup_seconds: float = 0.0
    # "kubernetes": ArcGIS Enterprise on Kubernetes (no portaladmin; see kubernetes_api).
    flavour: Flavour = "enterprise"
    # Highly available: 2 machines (primary and standby), each on its own port, behind
    # the portal URL as a round-robin load balancer (see machine, dispatcher, emulator).
    machines: int = 1
    # The standby restarts this long after the primary is back (unverified upstream).
    standby_restart_delay_seconds: float = 3.0
    # With 2 machines: the number (1 primary, 2 standby) of a machine whose adminURL
    # refuses connections, while the load balancer still serves it.
    unreachable_machine: int | None = None
    # One machine: its adminURL in portaladmin/machines. "invalid-host": an internal
    # name that never resolves; "trap": 127.0.0.1 on a port whose every request is
    # logged (machine name, direct=True) and answered by a connection reset.
    single_machine_url: SingleMachineUrl = "invalid-host"
    # 11.4+: the IDs under which portaladmin/license lists the user types (unverified).
    user_type_ids: UserTypeIds = "kept"
    # The federated servers and how each validates (federation/servers/validate).
    federated_servers: tuple[FederationStatus, ...] = ("success",)
    # For this long after each restart, every federated server validates as "failure".
    federation_failure_after_restart_seconds: float = 0.0
    # 12.0+: what config/update does with an empty allowedProxyHosts (unverified).
    empty_proxy_hosts: EmptyProxyHosts = "kept"
    # What portaladmin/machines lists (see the module docstring).
    machine_listing: MachineListing = "as-deployed"
    # The admin account's role; "security-and-infrastructure" may not list the machines.
    admin_role: AdminRole = "administrator"
    # Other contexts that reach this portal (a Web Adaptor in front of it).
    alias_contexts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", _normalise_version(str(self.version)))
        object.__setattr__(self, "context", self.context.strip("/"))
        if not self.context or any(not part for part in self.context.split("/")):
            raise ValueError(f"invalid context path {self.context!r}")
        if self.context == "__emulator" or self.context.startswith("__emulator/"):
            raise ValueError("the context __emulator is reserved for the control API")
        _check_choice(
            "tls_variant", self.tls_variant, ("valid", "wrong-host", "expired", "self-signed")
        )
        _check_choice("down_mode", self.down_mode, ("html", "refuse"))
        _check_choice("generated_key_mode", self.generated_key_mode, ("ignore", "reject"))
        _check_choice("flavour", self.flavour, ("enterprise", "kubernetes"))
        _check_choice("single_machine_url", self.single_machine_url, ("invalid-host", "trap"))
        _check_choice("user_type_ids", self.user_type_ids, ("kept", "renamed"))
        _check_choice("empty_proxy_hosts", self.empty_proxy_hosts, ("kept", "defaults"))
        object.__setattr__(self, "federated_servers", tuple(self.federated_servers))
        for status in self.federated_servers:
            _check_choice("federated_servers", status, FEDERATION_STATUSES)
        _check_choice("machine_listing", self.machine_listing, MACHINE_LISTINGS)
        _check_choice(
            "admin_role", self.admin_role, ("administrator", "security-and-infrastructure")
        )
        object.__setattr__(self, "alias_contexts", aliases_of(self.context, self.alias_contexts))
        self._check_machines()
        if self.flavour == "kubernetes" and self.version_tuple < (10, 9, 0):
            raise ValueError("ArcGIS Enterprise on Kubernetes exists from 10.9")
        delays = (
            self.restart_seconds,
            self.restart_lag_seconds,
            self.token_warmup_seconds,
            self.federation_failure_after_restart_seconds,
        )
        if min(delays) < 0:
            raise ValueError(
                "restart_seconds, restart_lag_seconds, token_warmup_seconds and "
                "federation_failure_after_restart_seconds must be >= 0"
            )
        if not 1 <= self.token_max_minutes <= MAX_TOKEN_MINUTES:
            raise ValueError(f"token_max_minutes must be within 1..{MAX_TOKEN_MINUTES}")
        if self.admin_username == self.viewer_username:
            raise ValueError("admin_username and viewer_username must differ")
        roles = USER_DEFAULT_ROLES if self.has_user_defaults else CONFIG_ROLES
        _check_choice(
            "initial_default_role", self.initial_default_role, (*roles, *self.custom_role_ids)
        )
        user_types = ("", *user_types_for(self.version_tuple, self.user_type_ids).assignable)
        _check_choice("initial_default_user_type", self.initial_default_user_type, user_types)
        for name in ("config_update_recheck", "token_update_recheck"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be True, False or a number of seconds >= 0")

    def _check_machines(self) -> None:
        if self.machines not in (1, 2):
            raise ValueError("machines must be 1 or 2 (a highly available portal has two)")
        if self.standby_restart_delay_seconds < 0:
            raise ValueError("standby_restart_delay_seconds must be >= 0")
        if self.unreachable_machine is not None and (
            self.machines == 1 or self.unreachable_machine not in (1, 2)
        ):
            raise ValueError("unreachable_machine is 1 or 2, for a portal of two machines")
        if self.machines == 2 and self.single_machine_url != "invalid-host":
            raise ValueError("single_machine_url is for a portal of one machine")
        if self.machines == 2 and self.flavour == "kubernetes":
            raise ValueError("the kubernetes flavour has no machines to list")

    @property
    def full_version(self) -> str:
        return full_version(self.version)

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    @property
    def current_build(self) -> str:
        return f"{self.full_version}.{BUILDS[self.version]}"

    @property
    def config_recheck_seconds(self) -> int | None:
        """recheckAfterSeconds of a config/update success answer (None: not in it)."""
        return _recheck_seconds(self.config_update_recheck)

    @property
    def token_recheck_seconds(self) -> int | None:
        """recheckAfterSeconds of a tokens/update success answer (None: not in it)."""
        return _recheck_seconds(self.token_update_recheck)

    @property
    def has_user_defaults(self) -> bool:
        """10.8 and later keep the default role and user type as new member defaults."""
        return self.version_tuple >= (10, 8, 0)

    @property
    def user_types(self) -> UserTypes:
        """The user types portaladmin/license lists, and which may be the default."""
        return user_types_for(self.version_tuple, self.user_type_ids)

    @property
    def restricts_proxy_by_default(self) -> bool:
        """12.0 and later restrict the portal's proxy to Esri's hosts by default."""
        return self.version_tuple >= (12, 0, 0)

    @property
    def accepts_bearer_header(self) -> bool:
        """11.4 and later take the token in an ``Authorization: Bearer`` header (what
        Esri's arcgis-gitops sends on 11.4 to 12.0)."""
        return self.version_tuple >= (11, 4, 0)

    @property
    def portal_generates_key(self) -> bool:
        """11.4 and later generate the shared key themselves on every update."""
        return self.version_tuple >= (11, 4, 0)
