"""The default user type: the known list below 11.4, the portal's own from 11.4, never a
retired type (PORTAL_API.md 6c, FAULTS row 55)."""

from __future__ import annotations

import pytest
from portal_automation.domain.security_config import validate_desired
from portal_automation.domain.user_types import LEGACY, default_problem, id_problem
from portal_automation.domain.version import PortalVersion
from portal_automation.errors import InvalidSecurityConfig

V11_3, V11_4, V12_1 = (PortalVersion.parse(v) for v in ("11.3", "11.4", "12.1"))
PORTAL_LIST = ["viewerUT", "creatorUT", "professionalUT", "GISProfessionalBasicUT"]


@pytest.mark.parametrize("value", ["creatorUT", "professionalPlusUT", "viewerUT"])
def test_anything_shaped_like_a_user_type_passes_before_the_version_is_known(value: str) -> None:
    assert id_problem(value) is None
    assert validate_desired({"defaultUserTypeIdForUser": value}) == {
        "defaultUserTypeIdForUser": value
    }


@pytest.mark.parametrize("value", ["admin", "creator ut", "UT", "x" * 70 + "UT", "creatorUT\n"])
def test_what_is_no_user_type_id_is_refused_before_any_portal(value: str) -> None:
    assert id_problem(value) is not None
    with pytest.raises(InvalidSecurityConfig):
        validate_desired({"defaultUserTypeIdForUser": value})


def test_below_11_4_the_known_list_stays() -> None:
    assert all(default_problem(t, V11_3) is None for t in LEGACY)
    problem = default_problem("viewerUT", V11_3)
    assert problem is not None
    assert "creatorUT" in problem


@pytest.mark.parametrize("version", [V11_4, V12_1])
def test_from_11_4_the_portals_list_decides(version: PortalVersion) -> None:
    assert default_problem("professionalUT", version, PORTAL_LIST) is None
    unknown = default_problem("GISProfessionalStdUT", version, PORTAL_LIST)
    assert unknown is not None
    assert "does not list" in unknown
    assert "professionalUT" in unknown


def test_a_retired_type_is_refused_even_when_the_portal_lists_it() -> None:
    problem = default_problem("GISProfessionalBasicUT", V11_4, PORTAL_LIST)

    assert problem is not None
    assert "retired" in problem
    valid = problem.split("the portal's user types: ")[1]
    assert "GISProfessionalBasicUT" not in valid
    assert "creatorUT" in valid
