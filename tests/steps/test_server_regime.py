"""The server key regime: a site's key is made here, 256 bits over [A-Za-z0-9], and is
AWSPENDING before the site sees it; a portal's regime still follows its version."""

from __future__ import annotations

from portal_automation.domain.server_key import KEY_LENGTH, validate_server_key
from portal_automation.domain.version import PortalVersion
from portal_automation.sensitive import Secret
from portal_automation.workflow.models import PortalItem
from portal_automation.workflow.regimes import Rotation, regime_for, regime_named

from tests.fakes.services import FakeWorld

from .conftest import item


def test_a_site_has_the_server_regime_whatever_its_version() -> None:
    for version in ("10.9.1", "11.3", "11.5", "12.0"):
        assert regime_for(PortalVersion.parse(version), "server").mode == "server"
    assert regime_for(PortalVersion.parse("11.3")).mode == "supplied"
    assert regime_for(PortalVersion.parse("12.0")).mode == "generated"
    assert regime_named("server") is regime_for(PortalVersion.parse("11.3"), "server")


def test_the_server_key_is_pending_before_anything_is_sent(world: FakeWorld) -> None:
    portal, arn = world.portal()
    rotation = Rotation(PortalItem.model_validate(item(arn)), world.services)
    regime = regime_named("server")

    prepared = regime.prepare(rotation, Secret(portal.stored_key))

    assert not prepared.already_applied
    assert prepared.key is not None
    pending = world.secrets.value(arn, "AWSPENDING")["sharedKey"]
    assert pending == prepared.key.reveal()
    assert len(pending) == KEY_LENGTH
    validate_server_key(prepared.key)
    assert portal.calls == []  # nothing was sent
    # a second attempt of the same run reuses the pending key
    again = regime.prepare(rotation, Secret(portal.stored_key))
    assert again.key == prepared.key
    assert regime.prepare(rotation, prepared.key).already_applied
