"""Target kinds: what a credentials secret names, a portal or an ArcGIS Server site, and
every fact that differs between the two. The one place the product decides by kind
(the steps ask it; they never compare kind names themselves).

A secret's ``"kind"`` is ``"portal"`` (the default: secrets written before sites were
targets are unchanged) or ``"server"`` (SERVER_API.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from ..errors import PortalBadResponse, UnsupportedPortalVersion
from .version import OLDEST_SUPPORTED, V10_7, PortalVersion, fleet_rotation_note

KindName = Literal["portal", "server"]
KIND_NAMES: Final[tuple[str, ...]] = get_args(KindName)
_SITE_ADMIN_SUFFIX: Final = "/admin"


@dataclass(frozen=True)
class TargetKind:
    name: KindName
    noun: str  # how messages name it
    # The adminURL a machine is listed with ends in this; a pin names the URL without it.
    admin_suffix: str
    machine_port: int  # the port a machine's own API answers at (for messages)
    max_machines: int  # pins, and machines listed
    oldest_supported: PortalVersion
    actions: frozenset[str]
    # A 404 from the admin root may mean ArcGIS Enterprise on Kubernetes (refused by name).
    may_be_kubernetes: bool = False
    # Older versions supported all the same (a portal's 10.7, whose licenses are
    # populated again after a key change: workflow/post_change/licenses.py).
    also_supported: tuple[PortalVersion, ...] = ()

    def pin_of(self, admin_url: str) -> str:
        """The URL a pin names for a machine listed at ``admin_url`` (a site lists
        ``https://M:6443/arcgis/admin``; the secret pins ``https://M:6443/arcgis``)."""
        url = admin_url.rstrip("/")
        if not self.admin_suffix:
            return url
        if not url.lower().endswith(self.admin_suffix):
            raise PortalBadResponse(
                f"list machines: a machine's adminURL does not end in {self.admin_suffix}"
            )
        return url[: -len(self.admin_suffix)]

    def version_notes(self, version: PortalVersion) -> list[str]:
        """What a summary says about the target's version."""
        return version.notes() if self.name == "portal" else []

    def rotation_note(self, version: PortalVersion, verb: str) -> str:
        """What a rotation of this target invalidated (``verb``: "invalidated", "would
        invalidate", "may have invalidated"); README 'What a rotation invalidates'."""
        if self.name == "portal":
            return version.rotation_invalidates(verb)
        return (
            f"{self.noun} {version}: security/tokens/update {verb} every token the site "
            "issued itself before it (its administrators' and its token service's, saved "
            "ones included); tokens a federated site's portal issued are not affected "
            "(README 'What a rotation invalidates')"
        )

    def fleet_rotation_note(self, versions: list[str]) -> str:
        """The run-level note (the notification) for the rotated targets of this kind."""
        if self.name == "portal":
            return fleet_rotation_note(versions)
        known = sorted({PortalVersion.parse(v) for v in versions})
        return (
            f"security/tokens/update invalidated every token each rotated {self.noun} "
            f"issued itself before it (versions {', '.join(map(str, known))}): renew the "
            "ones saved elsewhere (README 'What a rotation invalidates')"
        )

    def pin_example(self) -> str:
        return f"https://<machine>:{self.machine_port}/arcgis"

    def require_supported(self, version: PortalVersion) -> None:
        """Refuse versions this project does not know how to change safely."""
        if version < self.oldest_supported and version not in self.also_supported:
            also = "".join(f" (and {v})" for v in self.also_supported)
            raise UnsupportedPortalVersion(
                f"{self.noun} {version} is older than the oldest supported version "
                f"{self.oldest_supported}{also}; upgrade the {self.noun} first"
            )


PORTAL: Final = TargetKind(
    name="portal",
    noun="portal",
    admin_suffix="",
    machine_port=7443,
    max_machines=8,  # a highly available portal has two
    oldest_supported=OLDEST_SUPPORTED,
    actions=frozenset({"rotate-shared-key", "apply-security-config"}),
    may_be_kubernetes=True,
    also_supported=(V10_7,),
)
SERVER: Final = TargetKind(
    name="server",
    noun="ArcGIS Server site",
    admin_suffix=_SITE_ADMIN_SUFFIX,
    machine_port=6443,
    max_machines=16,  # each machine of a site is verified directly
    # The oldest release the emulator models and Esri still supported in 2026.
    oldest_supported=PortalVersion((10, 9, 1)),
    actions=frozenset({"rotate-shared-key"}),
)
KINDS: Final[dict[str, TargetKind]] = {PORTAL.name: PORTAL, SERVER.name: SERVER}


def kind_named(name: str) -> TargetKind:
    return KINDS[name]
