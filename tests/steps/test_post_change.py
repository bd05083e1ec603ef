"""The steps run once a change is proven (workflow/post_change): chosen per version and
action at Preflight, run by Verify, reported under their name. Today: the federated
servers' validation after a key change (PORTAL_API.md 7d) and 10.7's licenses
(PORTAL_API.md 7b, FAULTS row 34)."""

from __future__ import annotations

from typing import Any

import pytest
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import LicensesNotPopulated
from portal_automation.portal import AdminSession
from portal_automation.workflow import post_change
from portal_automation.workflow.change import apply_change
from portal_automation.workflow.models import Action
from portal_automation.workflow.post_change import Outcome, steps_for
from portal_automation.workflow.preflight import preflight
from portal_automation.workflow.services import Services
from portal_automation.workflow.state import PortalState
from portal_automation.workflow.verify import verify

from tests.fakes.services import FakeWorld

from .conftest import item

ROTATE = "rotate-shared-key"
CONFIG = "apply-security-config"


@pytest.mark.parametrize(
    ("version", "action", "expected"),
    [
        ("10.7", ROTATE, ["federatedServers", "licensesPopulated"]),
        ("10.7.0.0", ROTATE, ["federatedServers", "licensesPopulated"]),
        ("10.7", CONFIG, []),  # the key is unchanged: the licenses stay populated
        ("10.7.1", ROTATE, ["federatedServers"]),
        ("10.8", ROTATE, ["federatedServers"]),
        ("12.1", ROTATE, ["federatedServers"]),
        ("13.0", ROTATE, ["federatedServers"]),
        ("12.0", CONFIG, []),
    ],
)
def test_the_steps_are_chosen_by_version_and_action(
    version: str, action: Action, expected: list[str]
) -> None:
    assert steps_for(PortalVersion.parse(version), action) == expected


def changed(world: FakeWorld, arn: str, **entry: Any) -> dict[str, Any]:
    parts: dict[str, Any] = {"item": item(arn, **entry)}
    pre = preflight(PortalState.model_validate(parts), world.services)
    parts["preflight"] = pre.model_dump(by_alias=True, exclude_none=True)
    change = apply_change(PortalState.model_validate(parts), world.services)
    parts["change"] = change.model_dump(by_alias=True, exclude_none=True)
    return parts


def test_10_7_licenses_are_populated_after_the_key_change(world: FakeWorld) -> None:
    """FAULTS row 34: isLicensePopulated false after the change: populateLicense, checked."""
    portal, arn = world.portal(version="10.7")
    parts = changed(world, arn)
    portal.restart()
    assert portal.licenses_populated is False

    result = verify(PortalState.model_validate(parts), world.services)

    assert result.outcome == "verified"
    assert result.checks["licensesPopulated"] == "populated"
    assert (portal.count("populate_license"), portal.licenses_populated) == (1, True)


def test_verify_run_again_does_not_populate_twice(world: FakeWorld) -> None:
    """FAULTS row 11: a re-run Verify (a retried task) finds the licenses populated."""
    portal, arn = world.portal(version="10.7")
    parts = changed(world, arn)
    portal.restart()
    verify(PortalState.model_validate(parts), world.services)

    again = verify(PortalState.model_validate(parts), world.services)

    assert (again.outcome, again.checks["licensesPopulated"]) == ("verified", "already")
    assert portal.count("populate_license") == 1


def test_10_7_licenses_that_stay_unpopulated_fail_the_run(world: FakeWorld) -> None:
    portal, arn = world.portal(version="10.7")
    parts = changed(world, arn)
    portal.restart()
    portal.populate_license_works = False

    with pytest.raises(LicensesNotPopulated):
        verify(PortalState.model_validate(parts), world.services)

    assert portal.count("populate_license") == 1


def test_a_step_preflight_did_not_record_is_not_run(world: FakeWorld) -> None:
    """Verify runs what Preflight chose, not what the version would choose now."""
    portal, arn = world.portal(version="10.7")
    parts = changed(world, arn)
    parts["preflight"]["postChange"] = []
    portal.restart()

    result = verify(PortalState.model_validate(parts), world.services)

    assert result.outcome == "verified"
    assert "licensesPopulated" not in result.checks
    assert portal.count("populate_license") == 0


class _Recorded:
    """A step as a new module would add it: registered, chosen, run, reported."""

    name = "somethingDone"

    def __init__(self) -> None:
        self.runs = 0

    def applies(self, version: PortalVersion, action: Action) -> bool:
        return action == CONFIG

    def run(self, state: PortalState, session: AdminSession, services: Services) -> Outcome:
        self.runs += 1
        return Outcome("done")


def test_a_registered_step_runs_after_a_verified_config_change(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = _Recorded()
    monkeypatch.setattr(post_change, "_STEPS", (*post_change._STEPS, step))
    portal, arn = world.portal()
    parts = changed(world, arn, action=CONFIG, security_config={"disableServicesDirectory": True})
    assert parts["preflight"]["postChange"] == ["somethingDone"]
    portal.restart()
    parts["poll"] = {
        "ready": True,
        "polls": 1,
        "elapsedSeconds": 1.0,
        "wentDown": True,
        "origin": parts["change"]["changedAt"],
    }

    result = verify(PortalState.model_validate(parts), world.services)

    assert (result.outcome, result.checks["somethingDone"], step.runs) == ("verified", "done", 1)
