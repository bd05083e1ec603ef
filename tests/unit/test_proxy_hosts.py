"""allowedProxyHosts on 12.0+: Esri's default hosts kept unless exact (PORTAL_API.md 6a,
FAULTS row 53)."""

from __future__ import annotations

import pytest
from portal_automation.domain.proxy_hosts import ESRI_DEFAULT_HOSTS, plan_hosts, split_hosts
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import InvalidSecurityConfig

V11_5, V12_0, V12_2 = (PortalVersion.parse(v) for v in ("11.5", "12.0", "12.2"))
MINE = "maps.example.com,(.*).example.org"


def test_below_12_0_the_list_is_what_was_asked() -> None:
    for mode in ("keep-esri-defaults", "exact"):
        plan = plan_hosts(MINE, V11_5, mode)  # type: ignore[arg-type]
        assert (plan.value, plan.kept, plan.dropped, plan.notes) == (MINE, (), (), [])
    assert plan_hosts("", V11_5, "keep-esri-defaults").value == ""


@pytest.mark.parametrize("version", [V12_0, V12_2])
def test_from_12_0_esris_hosts_are_kept_after_the_desired_ones(version: PortalVersion) -> None:
    plan = plan_hosts(MINE, version, "keep-esri-defaults")

    assert split_hosts(plan.value) == [*split_hosts(MINE), *ESRI_DEFAULT_HOSTS]
    assert plan.kept == ESRI_DEFAULT_HOSTS
    (note,) = plan.notes
    assert f"portal {version}" in note
    assert all(host in note for host in ESRI_DEFAULT_HOSTS)
    assert "proxyHostsMode" in note


def test_hosts_already_asked_for_are_not_repeated_whatever_their_case() -> None:
    plan = plan_hosts("GISUPDATES.esri.com, (.*).ArcGIS.com", V12_0, "keep-esri-defaults")

    hosts = split_hosts(plan.value)
    assert hosts[:2] == ["GISUPDATES.esri.com", "(.*).ArcGIS.com"]
    assert len(hosts) == len(ESRI_DEFAULT_HOSTS)
    assert "gisupdates.esri.com" not in plan.kept


def test_a_list_holding_every_esri_host_says_nothing() -> None:
    plan = plan_hosts(",".join(ESRI_DEFAULT_HOSTS), V12_0, "keep-esri-defaults")
    assert (plan.kept, plan.notes) == ((), [])


def test_exact_posts_the_list_as_asked_and_warns_of_each_esri_host_left_out() -> None:
    plan = plan_hosts("maps.example.com,gisupdates.esri.com", V12_0, "exact")

    assert plan.value == "maps.example.com,gisupdates.esri.com"
    assert "gisupdates.esri.com" not in plan.dropped
    assert len(plan.dropped) == len(ESRI_DEFAULT_HOSTS) - 1
    (warning,) = plan.notes
    assert all(host in warning for host in plan.dropped)
    assert "basemaps" in warning


def test_an_empty_list_on_12_0_is_refused_unless_exact() -> None:
    with pytest.raises(InvalidSecurityConfig) as info:
        plan_hosts(" , ", V12_0, "keep-esri-defaults")
    assert "proxyHostsMode" in info.value.message
    assert plan_hosts("", V12_0, "exact").value == ""
