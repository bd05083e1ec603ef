"""Portal versions compared as int tuples; 10.7 supported, earlier ones refused (FAULTS row 10)."""

from __future__ import annotations

import pytest
from portal_automation.domain.kinds import PORTAL
from portal_automation.domain.version import (
    NEWEST_KNOWN,
    OLDEST_SUPPORTED,
    V10_7,
    V11_4,
    PortalVersion,
    fleet_rotation_note,
)
from portal_automation.errors import UnsupportedPortalVersion


def v(text: str) -> PortalVersion:
    return PortalVersion.parse(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("11.3.0", "11.3"),
        ("11.3", "11.3.0.0"),
        ("10.7", "10.7.0"),
        (" 11.4 ", "11.4"),
        ("11", "11.0"),
    ],
)
def test_equal_versions(a: str, b: str) -> None:
    assert v(a) == v(b)
    assert hash(v(a)) == hash(v(b))
    assert not v(a) < v(b)
    assert not v(a) > v(b)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("10.9", "10.10"),
        ("10.9.1", "10.10"),
        ("10.7", "10.7.1"),
        ("10.8.1", "10.9"),
        ("11.3", "11.4"),
        ("11.3.0.51575", "11.3.1"),
        ("9.99", "10.0"),
        ("11.2.9", "11.10"),
    ],
)
def test_ordering_is_numeric(lower: str, higher: str) -> None:
    assert v(lower) < v(higher)
    assert v(higher) > v(lower)
    assert v(lower) <= v(higher)
    assert v(lower) != v(higher)


def test_sorting() -> None:
    texts = ["11.4", "10.10", "10.9.1", "10.7.1", "11.0", "10.9"]
    assert [str(x) for x in sorted(map(v, texts))] == [
        "10.7.1",
        "10.9",
        "10.9.1",
        "10.10",
        "11.0",
        "11.4",
    ]


def test_str_drops_trailing_zero_patch() -> None:
    assert str(v("11.3.0")) == "11.3"
    assert str(v("10.9.1")) == "10.9.1"


def test_not_equal_to_other_types() -> None:
    assert v("11.3") != "11.3"
    with pytest.raises(TypeError):
        _ = v("11.3") < "11.4"  # type: ignore[operator]


@pytest.mark.parametrize("text", ["", "eleven", "11.x", "11.3-beta", "11..3", "1.2.3.4.5", "v11.3"])
def test_unparseable_versions_are_refused(text: str) -> None:
    with pytest.raises(UnsupportedPortalVersion, match="unrecognised portal version"):
        v(text)


@pytest.mark.parametrize("text", ["10.7", "10.7.0", "10.7.0.0"])
def test_10_7_is_supported(text: str) -> None:
    """PORTAL_API.md 7b: 10.7 is supported (it repopulates its licenses after a key
    change: tests/steps/test_post_change.py)."""
    version = v(text)
    assert version == V10_7
    PORTAL.require_supported(version)


@pytest.mark.parametrize("text", ["10.6", "10.6.1", "10.5", "9.9"])
def test_versions_before_10_7_are_refused_naming_the_oldest(text: str) -> None:
    with pytest.raises(UnsupportedPortalVersion) as info:
        PORTAL.require_supported(v(text))
    assert "10.7.1" in info.value.message


@pytest.mark.parametrize("text", ["10.6.1", "10.6", "10.5.1", "9.3"])
def test_older_than_oldest_supported_is_refused(text: str) -> None:
    with pytest.raises(UnsupportedPortalVersion, match="older than the oldest supported"):
        PORTAL.require_supported(v(text))


@pytest.mark.parametrize(
    "text", ["10.7.1", "10.8", "10.8.1", "10.9.1", "11.0", "11.3", "11.4", "12.0"]
)
def test_supported_versions_pass(text: str) -> None:
    PORTAL.require_supported(v(text))


def test_oldest_supported_is_10_7_1() -> None:
    assert v("10.7.1") == OLDEST_SUPPORTED


@pytest.mark.parametrize(
    ("text", "generates"),
    [
        ("10.7.1", False),
        ("11.3", False),
        ("11.3.9", False),
        ("11.4", True),
        ("11.4.0", True),
        ("11.5", True),
        ("12.0", True),
    ],
)
def test_generates_shared_key_from_11_4(text: str, generates: bool) -> None:
    assert v(text).generates_shared_key is generates
    assert (v(text) >= V11_4) is generates


@pytest.mark.parametrize(
    ("text", "from_11_4", "from_12_0"),
    [
        ("11.3", False, False),
        ("11.4", True, False),
        ("11.5", True, False),
        ("12.0", True, True),
        ("12.1", True, True),
        ("12.2", True, True),  # past the newest known: the newest rules
        ("13.0.1", True, True),
    ],
)
def test_the_gates_hold_for_versions_past_todays(
    text: str, from_11_4: bool, from_12_0: bool
) -> None:
    version = v(text)
    assert (version.lists_user_types, version.takes_bearer_header) == (from_11_4, from_11_4)
    assert version.issues_api_keys is from_11_4
    assert version.restricts_proxy_by_default is from_12_0


@pytest.mark.parametrize(("text", "newer"), [("12.1", False), ("12.1.0.0", False), ("12.2", True)])
def test_a_portal_newer_than_the_newest_known_says_so(text: str, newer: bool) -> None:
    version = v(text)
    assert version.newer_than_known is newer
    notes = version.notes()
    assert bool(notes) is newer
    if newer:
        assert f"portal {version}" in notes[0]
        assert f"{NEWEST_KNOWN}'s rules" in notes[0]


def test_the_rotation_note_names_what_each_version_invalidates() -> None:
    old, new = v("11.3").rotation_invalidates(), v("12.0").rotation_invalidates("would invalidate")
    assert "portal 11.3: tokens/update invalidated every token issued before it" in old
    assert "API keys" not in old
    assert "portal 12.0: tokens/update would invalidate" in new
    assert "API keys" in new
    fleet = fleet_rotation_note(["12.0", "11.3", "12.0.0"])
    assert "versions 11.3, 12.0)" in fleet
    assert "API keys" in fleet
    assert "API keys" not in fleet_rotation_note(["11.3"])
