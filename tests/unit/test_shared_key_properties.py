"""Property tests of shared key validation: no false rejection of a random key (row 8).

Hypothesis draws a seed; the key is drawn uniformly from that seed, so every example is
a genuinely random key (hypothesis's own string strategies favour degenerate strings,
which are weak on purpose) and a failing seed is reproducible.
"""

from __future__ import annotations

import base64
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portal_automation.domain.shared_key import validate_shared_key
from portal_automation.errors import InvalidSharedKey
from portal_automation.sensitive import Secret

SEEDS = st.integers(min_value=0, max_value=2**64 - 1)
ALPHABETS = st.sampled_from(
    [
        string.ascii_letters + string.digits + "+/",
        string.ascii_letters + string.digits,
        string.ascii_letters + string.digits + string.punctuation,
        string.ascii_letters + string.digits + "-_",
    ]
)


@settings(max_examples=1500, deadline=None, database=None)
@given(seed=SEEDS)
def test_random_44_char_keys_are_never_rejected(seed: int) -> None:
    raw = random.Random(seed).randbytes(32)
    validate_shared_key(Secret(base64.b64encode(raw).decode("ascii")))


@settings(max_examples=1500, deadline=None, database=None)
@given(seed=SEEDS, alphabet=ALPHABETS)
def test_random_32_char_keys_are_never_rejected(seed: int, alphabet: str) -> None:
    rng = random.Random(seed)
    validate_shared_key(Secret("".join(rng.choice(alphabet) for _ in range(32))))


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.text(alphabet=string.printable + "éß€漢😀", min_size=0, max_size=80))
def test_anything_not_32_bytes_or_44_chars_is_rejected(value: str) -> None:
    if len(value.encode("utf-8")) == 32 or len(value) == 44:
        return
    with pytest.raises(InvalidSharedKey) as info:
        validate_shared_key(Secret(value))
    if len(value) >= 6:
        assert value not in str(info.value)


@settings(max_examples=300, deadline=None, database=None)
@given(raw=st.binary(min_size=0, max_size=40))
def test_44_char_base64_is_accepted_only_when_it_decodes_to_32_bytes(raw: bytes) -> None:
    value = base64.b64encode(raw).decode("ascii")
    if len(value) != 44:
        return
    if len(raw) != 32:
        with pytest.raises(InvalidSharedKey, match="decodes to"):
            validate_shared_key(Secret(value))
