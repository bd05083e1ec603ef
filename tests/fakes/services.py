"""One ``Services`` made of fakes, and the portal's credentials secret to go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal_automation.workflow.services import Services

from .ledger import FakeLedger
from .portal import FakePortal, FakePortals
from .secrets import FakeSecrets
from .server import FakeServer
from .work_store import FakeWorkStore


@dataclass
class FakeWorld:
    """The fakes behind one ``Services``; tests reach into them to arrange and assert."""

    secrets: FakeSecrets = field(default_factory=FakeSecrets)
    work: FakeWorkStore = field(default_factory=FakeWorkStore)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    portals: FakePortals = field(default_factory=FakePortals)
    max_restart_seconds: int = 1800
    read_timeout_seconds: float = 30.0

    @property
    def services(self) -> Services:
        return Services(
            secrets=self.secrets,
            portals=self.portals,
            work=self.work,
            ledger=self.ledger,
            max_restart_seconds=self.max_restart_seconds,
            read_timeout_seconds=self.read_timeout_seconds,
        )

    def portal(
        self, name: str = "gis", secret_extra: dict[str, Any] | None = None, **settings: Any
    ) -> tuple[FakePortal, str]:
        """A new fake portal and its credentials secret (its ARN)."""
        portal = self.portals.add(FakePortal(f"https://{name}.example.com/portal", **settings))
        arn = self.secrets.create(
            f"portal-admin/{name}",
            {
                "url": portal.url,
                "username": portal.username,
                "password": portal.password,
                **(secret_extra or {}),
            },
        )
        return portal, arn

    def server(
        self, name: str = "site", secret_extra: dict[str, Any] | None = None, **settings: Any
    ) -> tuple[FakeServer, str]:
        """A new fake ArcGIS Server site and its credentials secret (``"kind": "server"``)."""
        site = FakeServer(f"https://{name}.example.com:6443/arcgis", **settings)
        self.portals.add(site)
        arn = self.secrets.create(
            f"portal-admin/{name}",
            {
                "kind": "server",
                "url": site.url,
                "username": site.username,
                "password": site.password,
                **(secret_extra or {}),
            },
        )
        return site, arn

    def ha_portal(
        self,
        name: str = "ha",
        *,
        reachable: bool = True,
        pinned: bool = True,
        secret_extra: dict[str, Any] | None = None,
        **settings: Any,
    ) -> tuple[FakePortal, FakePortal, str]:
        """(primary, standby, secret ARN): two machines behind the portal URL, each at
        its adminURL (the standby's not reachable from the functions unless asked), both
        pinned in the secret unless ``pinned`` is false."""
        primary = self.portals.add(FakePortal(f"https://{name}.example.com/portal", **settings))
        standby = primary.standby()
        self.portals.by_url[primary.machines[0].admin_url] = primary
        if reachable:
            self.portals.add(standby)
        pins = {"machines": [m.admin_url for m in primary.machines]} if pinned else {}
        arn = self.secrets.create(
            f"portal-admin/{name}",
            {
                "url": primary.url,
                "username": primary.username,
                "password": primary.password,
                **pins,
                **(secret_extra or {}),
            },
        )
        return primary, standby, arn
