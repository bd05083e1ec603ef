"""ArcGIS Server keys (SERVER_API.md 5): CSPRNG over [A-Za-z0-9], 43+ characters (256
bits), validated before anything is sent, never shown in an error."""

from __future__ import annotations

import math
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portal_automation.domain import server_key
from portal_automation.domain.server_key import (
    ALPHABET,
    KEY_LENGTH,
    MAX_KEY_LENGTH,
    generate_server_key,
    validate_server_key,
)
from portal_automation.errors import InvalidSharedKey
from portal_automation.sensitive import Secret

SEEDS = st.integers(min_value=0, max_value=2**64 - 1)


def test_43_characters_hold_256_bits_and_42_do_not() -> None:
    assert KEY_LENGTH == 43
    assert KEY_LENGTH * math.log2(len(ALPHABET)) >= 256
    assert (KEY_LENGTH - 1) * math.log2(len(ALPHABET)) < 256
    assert set(ALPHABET) == set(string.ascii_letters + string.digits)


def test_generated_keys_are_alphanumeric_distinct_and_valid() -> None:
    keys = {generate_server_key().reveal() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert len(key) == KEY_LENGTH
        assert key.isascii()
        assert key.isalnum()
        validate_server_key(Secret(key))


def test_generation_uses_the_os_csprng(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []

    def choice(alphabet: str) -> str:
        drawn.append(alphabet)
        return "a"

    monkeypatch.setattr(server_key.secrets, "choice", choice)
    assert generate_server_key().reveal() == "a" * KEY_LENGTH
    assert drawn == [ALPHABET] * KEY_LENGTH


@settings(max_examples=1500, deadline=None, database=None)
@given(seed=SEEDS, length=st.integers(KEY_LENGTH, MAX_KEY_LENGTH))
def test_random_alphanumeric_keys_are_never_rejected(seed: int, length: int) -> None:
    rng = random.Random(seed)
    validate_server_key(Secret("".join(rng.choice(ALPHABET) for _ in range(length))))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("aB3" * 14, "42 characters"),  # one short of 256 bits
        ("x" * (MAX_KEY_LENGTH + 1), "129 characters"),
        ("Ab1-" * 11, "only the letters"),
        ("Ab1+" * 11, "only the letters"),
        ("Ab1 " * 11, "only the letters"),
        ("Ab1é" * 11, "only the letters"),
        ("a" * 43, "entropy"),
        ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "entropy"),
    ],
)
def test_a_bad_key_is_refused_by_reason_never_by_value(value: str, reason: str) -> None:
    with pytest.raises(InvalidSharedKey) as caught:
        validate_server_key(Secret(value))
    assert reason in str(caught.value)
    assert value not in str(caught.value)
