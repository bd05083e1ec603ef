"""Settings of an emulated ArcGIS Server site, and the versions it can pretend to be.

What Esri documents is the default; what no source settles is a setting away, so a test
that passes both ways proves the client copes (SERVER_API.md lists which is which):

- key_update_restarts=False: ``security/tokens/update`` answers and every machine runs
  the new key at once. True: each machine restarts after it (restart_lag_seconds, then
  restart_seconds down; machine N restart_stagger_seconds x (N-1) after the first),
  running the old key until its restart ends (*unverified* either way: Esri documents no
  restart; its DSC waits for the health check after the update).
- token_manager_type="BUILTIN": the only type Esri documents. Anything else: a site
  whose tokens another manager issues (*unverified* which types exist); its token
  configuration holds no ``sharedKey``.
- refused_key_length=None: every non-empty key is accepted. N: a key longer than N is
  refused with the Server Admin API's error (*unverified* which lengths and characters a
  site accepts: Manager asks for "an alphanumeric value"); 0 refuses every key.
  alphanumeric_keys_only=False: True refuses any other character.
- machines=1..4, each on its own port once there are two or more (its adminURL
  ``https://127.0.0.1:<port>/arcgis/admin``), behind the site's URL as a round-robin load
  balancer; unreachable_machine=N: that adminURL refuses connections. One machine is
  listed at an internal name that never resolves (``...:6443/arcgis/admin``).
- full_version_in_info: whether ``admin/info`` has ``fullVersion`` (*unverified* since
  when; by default from 11.0: the facts' 11.3 example has it, the 10.8 page has not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from portal_local.emulator.settings import (
    DownMode,
    TlsVariant,
    aliases_of,
    full_version,
    version_tuple,
)

DEFAULT_SITE_ADMIN_USERNAME = "siteadmin"
DEFAULT_SITE_ADMIN_PASSWORD = "emulator-local-only-siteadmin"  # noqa: S105 - local default
DEFAULT_PUBLISHER_USERNAME = "publisher"
DEFAULT_PUBLISHER_PASSWORD = "emulator-local-only-publisher"  # noqa: S105 - local default
BUILTIN = "BUILTIN"
MAX_MACHINES = 4

# version -> currentbuild (11.3 is the build the facts quote, 11.5 the one of Esri's
# "about" example; the others are illustrative).
SERVER_BUILDS: Mapping[str, str] = {
    "10.9.1": "28388",
    "11.0": "32850",
    "11.1": "41200",
    "11.2": "49000",
    "11.3": "51575",
    "11.4": "55700",
    "11.5": "56632",
    "12.0": "60100",
    "12.1": "62500",
}
SERVER_VERSIONS: tuple[str, ...] = tuple(SERVER_BUILDS)
# Token manager properties of a new site (Esri's documented example).
DEFAULT_TOKEN_PROPERTIES: Mapping[str, str] = {"longTimeout": "2880", "shortTimeout": "120"}
# What the Token Manager page gives as the defaults of a property left out of an update.
FACTORY_TOKEN_PROPERTIES: Mapping[str, str] = {"longTimeout": "1440", "shortTimeout": "60"}


def _normalise_version(version: str) -> str:
    for known in SERVER_VERSIONS:
        if version_tuple(known) == version_tuple(version):
            return known
    raise ValueError(f"unsupported server version {version!r}; one of {SERVER_VERSIONS}")


def _choice(name: str, value: object, literal: Any) -> None:
    if value not in get_args(literal):
        raise ValueError(f"{name} must be one of {get_args(literal)}, not {value!r}")


@dataclass(frozen=True)
class ServerSettings:
    """How one emulated ArcGIS Server site behaves. Immutable."""

    version: str = "11.3"
    context: str = "server"
    restart_seconds: float = 1.0
    restart_lag_seconds: float = 0.3
    key_update_restarts: bool = False
    restart_stagger_seconds: float = 0.0
    machines: int = 1
    unreachable_machine: int | None = None
    admin_username: str = DEFAULT_SITE_ADMIN_USERNAME
    admin_password: str = DEFAULT_SITE_ADMIN_PASSWORD
    publisher_username: str = DEFAULT_PUBLISHER_USERNAME
    publisher_password: str = DEFAULT_PUBLISHER_PASSWORD
    # None: a random key, as a site set up by hand holds one (its form is unknown).
    initial_shared_key: str | None = None
    token_manager_type: str = BUILTIN
    # Properties of the token manager beside the key (merged over the documented ones):
    # an unknown one proves a client posts the whole configuration back.
    initial_token_properties: Mapping[str, Any] = field(default_factory=dict)
    refused_key_length: int | None = None
    alphanumeric_keys_only: bool = False
    full_version_in_info: bool | None = None  # None: from 11.0
    tls: bool = True
    tls_variant: TlsVariant = "valid"
    down_mode: DownMode = "html"
    http_allowed: bool = False
    token_warmup_seconds: float = 0.0
    # More contexts that reach the site (a Web Adaptor's, beside the direct one).
    alias_contexts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", _normalise_version(str(self.version)))
        object.__setattr__(self, "context", self.context.strip("/"))
        if not self.context or any(not part for part in self.context.split("/")):
            raise ValueError(f"invalid context path {self.context!r}")
        if self.context.split("/")[0] == "__emulator":
            raise ValueError("the context __emulator is reserved for the control API")
        object.__setattr__(self, "alias_contexts", aliases_of(self.context, self.alias_contexts))
        _choice("tls_variant", self.tls_variant, TlsVariant)
        _choice("down_mode", self.down_mode, DownMode)
        if not 1 <= self.machines <= MAX_MACHINES:
            raise ValueError(f"machines must be 1..{MAX_MACHINES}")
        if self.unreachable_machine is not None and not (
            self.machines > 1 and 1 <= self.unreachable_machine <= self.machines
        ):
            raise ValueError("unreachable_machine names one machine of a site of two or more")
        timings = (
            self.restart_seconds,
            self.restart_lag_seconds,
            self.restart_stagger_seconds,
            self.token_warmup_seconds,
        )
        if min(timings) < 0:
            raise ValueError("restart, lag, stagger and warm-up seconds must be >= 0")
        if self.refused_key_length is not None and self.refused_key_length < 0:
            raise ValueError("refused_key_length must be >= 0 or None")
        if not self.token_manager_type:
            raise ValueError("token_manager_type must be a non-empty string")
        if self.admin_username == self.publisher_username:
            raise ValueError("admin_username and publisher_username must differ")

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    @property
    def full_version(self) -> str:
        return full_version(self.version)

    @property
    def current_build(self) -> str:
        return SERVER_BUILDS[self.version]

    @property
    def accepts_bearer_header(self) -> bool:
        """``Authorization: Bearer`` is documented for portals (11.4+), not for a site:
        it takes ``X-Esri-Authorization`` only (checks.token_of)."""
        return False

    @property
    def info_has_full_version(self) -> bool:
        if self.full_version_in_info is not None:
            return self.full_version_in_info
        return self.version_tuple >= (11, 0, 0)
