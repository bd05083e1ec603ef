"""Portal versions compared as int tuples; 10.7 supported, earlier ones refused (FAULTS row 10)."""

from __future__ import annotations

import pytest
from portal_automation.domain.version import (
    OLDEST_SUPPORTED,
    V10_7,
    V11_4,
    PortalVersion,
    require_supported,
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
    require_supported(version)


@pytest.mark.parametrize("text", ["10.6", "10.6.1", "10.5", "9.9"])
def test_versions_before_10_7_are_refused_naming_the_oldest(text: str) -> None:
    with pytest.raises(UnsupportedPortalVersion) as info:
        require_supported(v(text))
    assert "10.7.1" in info.value.message


@pytest.mark.parametrize("text", ["10.6.1", "10.6", "10.5.1", "9.3"])
def test_older_than_oldest_supported_is_refused(text: str) -> None:
    with pytest.raises(UnsupportedPortalVersion, match="older than the oldest supported"):
        require_supported(v(text))


@pytest.mark.parametrize(
    "text", ["10.7.1", "10.8", "10.8.1", "10.9.1", "11.0", "11.3", "11.4", "12.0"]
)
def test_supported_versions_pass(text: str) -> None:
    require_supported(v(text))


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
