"""One portal, one change at a time, whatever secret names it (FAULTS row 47, the
portal's half): Preflight locks the portal itself, by what the portal says it is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_automation.errors import PortalBusy
from portal_automation.workflow.failure import record_failure
from portal_automation.workflow.finalize import finalize
from portal_automation.workflow.portal_lock import identity, lock_key
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.state import PortalState

from tests.fakes.services import FakeWorld

from .conftest import item, state


def second_secret(world: FakeWorld, url: str, name: str = "renamed") -> str:
    """Another credentials secret for the portal at ``url``."""
    portal = world.portals.by_url.get(url) or next(iter(world.portals.by_url.values()))
    return world.secrets.create(
        f"portal-admin/{name}",
        {"url": url, "username": portal.username, "password": portal.password},
    )


def preflighted(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {"item": item(arn, **entry)}
    parts["preflight"] = preflight(PortalState.model_validate(parts), world.services).model_dump(
        by_alias=True, exclude_none=True
    )
    return parts


@pytest.mark.parametrize(
    "other_url",
    [
        "https://gis.example.com/portal",  # a renamed secret kept beside the old one
        "https://gis.example.com:7443/arcgis",  # the :7443 URL beside the Web Adaptor's
    ],
    ids=["same url", "other url"],
)
def test_a_second_secret_of_the_same_portal_is_refused_before_any_change(
    world: FakeWorld, other_url: str
) -> None:
    portal, first = world.portal()
    world.portals.by_url[other_url] = portal
    second = second_secret(world, other_url)
    preflighted(world, first)

    with pytest.raises(PortalBusy) as busy:
        preflight(state(item(second)), world.services)

    assert f"run-1 for {first}" in busy.value.message  # the other secret's run
    assert portal.updates == 0
    assert world.ledger.holder(second) == "run-1"  # its own lock: RecordFailure's to release


def test_the_lock_key_is_a_digest_of_the_machines_the_portal_lists(world: FakeWorld) -> None:
    portal, arn = world.portal()

    parts = preflighted(world, arn)

    (key,) = parts["preflight"]["locks"]
    assert key == lock_key(identity([m.name for m in portal.machines], portal.url))
    assert key.startswith("portal#")
    assert "example.com" not in key
    assert world.ledger.holder(key) == f"run-1 for {arn}"


def test_two_portals_of_one_run_do_not_lock_each_other(world: FakeWorld) -> None:
    _, first = world.portal("one")
    _, second = world.portal("two")

    one, two = preflighted(world, first), preflighted(world, second)

    assert one["preflight"]["locks"] != two["preflight"]["locks"]


def test_a_portal_whose_machines_may_not_be_listed_is_locked_by_its_url(
    world: FakeWorld,
) -> None:
    portal, first = world.portal("restricted", secret_extra={"checkMachines": False})
    portal.default_administrator = False
    spelled = "HTTPS://Restricted.Example.com:443/portal/"
    world.portals.by_url["https://Restricted.Example.com:443/portal"] = portal
    second = world.secrets.create(
        "portal-admin/spelled",
        {
            "url": spelled,
            "username": "portaladmin",
            "password": portal.password,
            "checkMachines": False,
        },
    )
    preflighted(world, first)

    with pytest.raises(PortalBusy):
        preflight(state(item(second)), world.services)


def test_finalize_releases_the_portal_lock_with_the_secrets(world: FakeWorld) -> None:
    _, arn = world.portal()
    parts = preflighted(world, arn, action="apply-security-config", security_config={})

    finalize(PortalState.model_validate(parts), world.services)

    assert world.ledger.locks == {}


def test_record_failure_releases_the_portal_lock_and_only_this_branchs(
    world: FakeWorld,
) -> None:
    portal, first = world.portal()
    second = second_secret(world, portal.url)
    parts = preflighted(world, first)
    error = {"Error": "PortalBusy", "Cause": json.dumps({"errorMessage": "busy"})}
    refused = state(item(second), error=error)

    record_failure(refused, world.services)  # the second secret's branch: no portal lock

    (key,) = parts["preflight"]["locks"]
    assert world.ledger.holder(key) == f"run-1 for {first}"
    failed = PortalState.model_validate({**parts, "error": error})
    record_failure(failed, world.services)
    assert world.ledger.locks == {}


def test_a_dry_run_takes_no_portal_lock(world: FakeWorld) -> None:
    _, arn = world.portal()

    parts = preflighted(world, arn, dry_run=True)

    assert parts["preflight"]["locks"] == []
    assert world.ledger.locks == {}
