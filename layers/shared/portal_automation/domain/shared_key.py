"""Portal token shared keys: generation and validation.

Portal 11.3 and earlier take the key from the caller: a 32-byte string, or 44 base64
characters that decode to 32 bytes. The portal checks the length itself, but only after
the request has reached it; this module refuses a bad key before any request is made,
and also refuses keys that have the right length but too little entropy.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import Final

from ..errors import InvalidSharedKey
from ..sensitive import Secret

KEY_BYTES: Final = 32
BASE64_LENGTH: Final = 44
# A 32-character key drawn at random from 64 symbols has ~25 distinct characters and
# ~4.6 bits of Shannon entropy per character; these floors reject keys typed by hand
# (repeats, keyboard walks, sequences) while never rejecting a random one in practice.
_MIN_DISTINCT_CHARS: Final = 16
_MIN_BITS_PER_CHAR: Final = 3.5
_MIN_DISTINCT_BYTES: Final = 20
_MAX_SEQUENTIAL_FRACTION: Final = 0.3


def generate_shared_key() -> Secret:
    """32 bytes from the OS CSPRNG, base64-encoded: 44 characters."""
    return Secret(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii"))


def validate_shared_key(key: Secret) -> None:
    """Raise ``InvalidSharedKey`` (naming the reason, never the value) unless acceptable."""
    value = key.reveal()
    if len(value) == BASE64_LENGTH:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSharedKey("shared key of 44 characters is not valid base64") from None
        if len(raw) != KEY_BYTES:
            raise InvalidSharedKey(f"shared key decodes to {len(raw)} bytes; 32 are required")
        if len(set(raw)) < _MIN_DISTINCT_BYTES:
            raise InvalidSharedKey("shared key has too little entropy (repeated bytes)")
        if _sequential_fraction(raw) > _MAX_SEQUENTIAL_FRACTION:
            raise InvalidSharedKey("shared key has too little entropy (sequential bytes)")
        return
    encoded = value.encode("utf-8")
    if len(encoded) != KEY_BYTES:
        raise InvalidSharedKey(
            f"shared key has the wrong length ({len(encoded)} bytes): it must be a "
            "32-byte string or 44 base64 characters"
        )
    check_text_entropy(value)


def check_text_entropy(value: str) -> None:
    """Refuse a key typed by hand: few distinct characters, low entropy, sequences."""
    counts = Counter(value)
    if len(counts) < _MIN_DISTINCT_CHARS:
        raise InvalidSharedKey("shared key has too little entropy (too few distinct characters)")
    bits = -sum((n / len(value)) * math.log2(n / len(value)) for n in counts.values())
    if bits < _MIN_BITS_PER_CHAR:
        raise InvalidSharedKey("shared key has too little entropy")
    if _sequential_fraction([ord(c) for c in value]) > _MAX_SEQUENTIAL_FRACTION:
        raise InvalidSharedKey("shared key has too little entropy (sequential characters)")


def _sequential_fraction(values: Sequence[int]) -> float:
    """Share of neighbours that differ by exactly one (runs like abcd, 0123, 0x00 0x01)."""
    steps = sum(1 for a, b in itertools.pairwise(values) if abs(a - b) == 1)
    return steps / (len(values) - 1)
