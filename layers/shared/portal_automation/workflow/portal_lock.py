"""One portal, one change at a time, whatever secret names it (FAULTS row 47).

The secret's lock (Preflight's first act) keeps two runs of one secret apart. Two
secrets can name one portal (a renamed secret kept beside the old one; the Web Adaptor
URL and the :7443 URL), so Preflight also locks the portal itself, before any change:
by what the portal says is the same whichever URL reaches it (the names of the machines
``portaladmin/machines`` lists), else by its URL, normalised. The lock's key is a digest
of that identity, never a URL; its holder is this portal's branch (the run and the
secret: two secrets of one run are two holders). The keys a branch holds are in
``PreflightResult.locks``; ``workflow/locks.py`` renews and releases them with the secret's.

The planner cannot see two secrets' URLs without reading their values (it lists and
describes secrets only), so it cannot refuse such a pair: this lock does.
"""

from __future__ import annotations

from ..errors import PortalBusy
from ..portal.url import comparable_url
from .models import PortalItem
from .services import Services, digest


def identity(machine_names: list[str] | None, url: str) -> str:
    """What the portal is: its machines' names (any order, any case), or its URL."""
    if machine_names:
        return "machines:" + ",".join(sorted(name.lower() for name in machine_names))
    return "url:" + (comparable_url(url) or url)


def lock_key(portal_identity: str) -> str:
    return f"portal#{digest(portal_identity)}"


def holder(item: PortalItem) -> str:
    """Who holds a portal's lock: this run's branch for this secret (a PortalBusy that
    another branch meets names both)."""
    return f"{item.run_id} for {item.secret_arn}"


def lock_portal(services: Services, item: PortalItem, portal_identity: str) -> list[str]:
    """Take the portal's lock for this branch; the keys taken (``PortalBusy`` when
    another branch holds it)."""
    key = lock_key(portal_identity)
    try:
        services.ledger.acquire(key, item.run_id, owner=holder(item))
    except PortalBusy:
        other = services.ledger.holder(key) or "another run"
        raise PortalBusy(
            f"the portal of {item.secret_arn} is being changed by run {other} (another "
            "secret that names the same portal); this run changes nothing. Retry after it "
            "finishes, and keep one secret per portal"
        ) from None
    return [key]
