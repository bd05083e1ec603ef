"""``allowedProxyHosts`` on 12.0 and later: Esri's default hosts (PORTAL_API.md 6a).

"As of ArcGIS Enterprise 12.0, the portal's proxy capability is restricted by default"
to ``ESRI_DEFAULT_HOSTS``; an upgrade adds them to whatever list was there. Without
them, basemaps, offline map areas and item proxying stop working. So, by default
(``keep-esri-defaults``), a desired list keeps Esri's hosts on 12.0+: the portal gets
the desired hosts plus Esri's, and Esri's hosts are never drift. ``exact`` sets exactly
the desired list, and the summary warns of every Esri host it leaves out. What an empty
list means on 12.0 is undocumented: it is refused unless the mode is ``exact``.
Below 12.0 the list is always exactly what was asked (there are no defaults to keep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from ..errors import InvalidSecurityConfig
from .version import PortalVersion

ProxyHostsMode = Literal["keep-esri-defaults", "exact"]
MODES: Final[tuple[ProxyHostsMode, ...]] = ("keep-esri-defaults", "exact")
DEFAULT_MODE: Final[ProxyHostsMode] = "keep-esri-defaults"
PROPERTY: Final = "allowedProxyHosts"
ESRI_DEFAULT_HOSTS: Final = (
    "(.*).arcgis.com",
    "(.*).arcgisonline.com",
    "gisupdates.esri.com",
    # Offline basemaps (ArcGIS Enterprise 12.0, "Restricting the portal's proxy capability")
    "lws-job-results-prd0-apse2.s3.amazonaws.com",
    "lws-job-results-prd0-euw1.s3.amazonaws.com",
    "lws-job-results-prd0-use1.s3.amazonaws.com",
)
_NEEDED_BY: Final = "basemaps, offline map areas and item proxying"


def split_hosts(value: str) -> list[str]:
    return [h.strip() for h in value.split(",") if h.strip()]


@dataclass(frozen=True)
class ProxyHostsPlan:
    """The list to post for a desired one, and what the summary says about it."""

    value: str
    kept: tuple[str, ...] = ()  # Esri's hosts added to the desired list
    dropped: tuple[str, ...] = ()  # Esri's hosts an exact list leaves out
    notes: list[str] = field(default_factory=list)


def plan_hosts(desired: str, version: PortalVersion, mode: ProxyHostsMode) -> ProxyHostsPlan:
    """What ``allowedProxyHosts`` the portal should hold for the desired ``desired``."""
    if not version.restricts_proxy_by_default:
        return ProxyHostsPlan(desired)
    hosts = split_hosts(desired)
    listed = {h.lower() for h in hosts}
    missing = tuple(h for h in ESRI_DEFAULT_HOSTS if h.lower() not in listed)
    if mode == "exact":
        notes = []
        if missing:
            notes.append(
                f"allowedProxyHosts was set exactly as asked (proxyHostsMode exact), "
                f"without Esri's default proxy hosts: {', '.join(missing)}; portal "
                f"{version} (12.0+) proxies only to the listed hosts, so {_NEEDED_BY} "
                "through them may stop working"
            )
        return ProxyHostsPlan(desired, dropped=missing, notes=notes)
    if not hosts:
        raise InvalidSecurityConfig(
            f"invalid securityConfig: allowedProxyHosts is empty; what an empty list means "
            f"on portal {version} (12.0+, whose proxy is restricted to Esri's hosts by "
            'default) is not documented: list the hosts, or set "proxyHostsMode": "exact" '
            "to post the empty list as it is"
        )
    notes = []
    if missing:
        notes.append(
            f"allowedProxyHosts kept Esri's default proxy hosts: {', '.join(missing)}; "
            f"portal {version} restricts its proxy to them by default (12.0+) and "
            f'{_NEEDED_BY} need them; set "proxyHostsMode": "exact" to manage the list '
            "exactly"
        )
    return ProxyHostsPlan(",".join([*hosts, *missing]), kept=missing, notes=notes)
