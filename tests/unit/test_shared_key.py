"""Shared keys: generation and validation before anything reaches a portal (FAULTS row 8)."""

from __future__ import annotations

import base64
import secrets
import string

import pytest
from portal_automation.domain.shared_key import generate_shared_key, validate_shared_key
from portal_automation.errors import InvalidSharedKey
from portal_automation.sensitive import MASK, Secret

B64_ALPHABET = string.ascii_letters + string.digits + "+/"


def _accepts(value: str) -> bool:
    try:
        validate_shared_key(Secret(value))
    except InvalidSharedKey:
        return False
    return True


def _rejection(value: str) -> InvalidSharedKey:
    with pytest.raises(InvalidSharedKey) as info:
        validate_shared_key(Secret(value))
    return info.value


# --- generation --------------------------------------------------------------------


def test_generated_key_is_44_char_base64_of_32_bytes() -> None:
    key = generate_shared_key()
    assert isinstance(key, Secret)
    value = key.reveal()
    assert len(value) == 44
    assert len(base64.b64decode(value, validate=True)) == 32


def test_generated_keys_are_all_different_and_all_valid() -> None:
    values = [generate_shared_key().reveal() for _ in range(500)]
    assert len(set(values)) == len(values)
    for value in values:
        validate_shared_key(Secret(value))


def test_generated_key_does_not_show_itself() -> None:
    key = generate_shared_key()
    assert key.reveal() not in f"{key} {key!r} {key:>50}"


# --- acceptance --------------------------------------------------------------------


def test_accepts_many_random_44_char_keys() -> None:
    for _ in range(2000):
        value = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        assert _accepts(value), "a random 32-byte key was rejected"


@pytest.mark.parametrize(
    "alphabet",
    [
        pytest.param(B64_ALPHABET, id="base64-alphabet"),
        pytest.param(string.ascii_letters + string.digits, id="alphanumeric"),
        pytest.param(string.ascii_letters + string.digits + string.punctuation, id="printable"),
        pytest.param(string.ascii_letters + string.digits + "-_", id="urlsafe"),
    ],
)
def test_accepts_many_random_32_char_keys(alphabet: str) -> None:
    for _ in range(2000):
        value = "".join(secrets.choice(alphabet) for _ in range(32))
        assert _accepts(value), "a random 32-character key was rejected"


def test_accepts_token_urlsafe_24() -> None:
    for _ in range(500):
        assert _accepts(secrets.token_urlsafe(24))


# --- wrong length / encoding -------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 16, 31, 33, 43, 45, 64, 88])
def test_rejects_wrong_length(length: int) -> None:
    value = "".join(secrets.choice(B64_ALPHABET) for _ in range(length))
    error = _rejection(value)
    # A one-character key is a registered secret like any: each of its occurrences in
    # the message is masked (when it is a letter of "length", the word is too).
    message = error.message.replace("****", value) if length == 1 else error.message
    assert "length" in message or "base64" in message


def test_rejects_32_characters_that_are_more_than_32_bytes() -> None:
    # 32 characters, but "é" is two bytes in UTF-8: the portal counts bytes.
    value = "é" + "".join(secrets.choice(B64_ALPHABET) for _ in range(31))
    assert len(value) == 32
    error = _rejection(value)
    assert "33 bytes" in error.message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("!" * 2 + base64.b64encode(secrets.token_bytes(31)).decode()[:42], id="bang"),
        pytest.param(
            base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode("ascii"), id="urlsafe-alphabet"
        ),
        pytest.param("=" + base64.b64encode(secrets.token_bytes(32)).decode()[1:], id="pad-first"),
        pytest.param(" " * 44, id="spaces"),
    ],
)
def test_rejects_44_chars_that_are_not_base64(value: str) -> None:
    assert len(value) == 44
    error = _rejection(value)
    assert "not valid base64" in error.message


@pytest.mark.parametrize(
    ("raw_length", "value"),
    [
        # 44 base64 characters without padding decode to 33 bytes; with "==" to 31.
        pytest.param(33, base64.b64encode(secrets.token_bytes(33)).decode("ascii"), id="33"),
        pytest.param(31, base64.b64encode(secrets.token_bytes(31)).decode("ascii"), id="31"),
    ],
)
def test_rejects_44_char_base64_that_is_not_32_bytes(raw_length: int, value: str) -> None:
    assert len(value) == 44
    error = _rejection(value)
    assert f"decodes to {raw_length} bytes" in error.message


# --- weak keys ---------------------------------------------------------------------

WEAK_TEXT_KEYS = [
    pytest.param("a" * 32, id="one-char"),
    pytest.param("ab" * 16, id="two-char-pattern"),
    pytest.param("abcd" * 8, id="four-char-pattern"),
    pytest.param("Password1" * 3 + "Passw", id="repeated-word"),
    pytest.param("0123456789" * 3 + "01", id="digits-repeated"),
    pytest.param("0123456789abcdef" * 2, id="hex-sequence"),
    pytest.param("abcdefghijklmnopqrstuvwxyzABCDEF", id="alphabet-sequence"),
    pytest.param("abcdefghijklmnopqrstuvwxyz012345", id="alphabet-digits"),
    pytest.param("qwertyuiopasdfghjklzxcvbnm123456", id="keyboard-walk"),
]


@pytest.mark.parametrize("value", WEAK_TEXT_KEYS)
def test_rejects_low_entropy_32_char_keys(value: str) -> None:
    assert len(value.encode()) == 32
    error = _rejection(value)
    assert "entropy" in error.message


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(bytes(32), id="zero-bytes"),
        pytest.param(b"\xff" * 32, id="ff-bytes"),
        pytest.param(bytes([1, 2, 3, 4]) * 8, id="four-byte-pattern"),
        pytest.param(b"0123456789abcdef" * 2, id="hex-text-bytes"),
    ],
)
def test_rejects_low_entropy_44_char_keys(raw: bytes) -> None:
    value = base64.b64encode(raw).decode("ascii")
    assert len(value) == 44
    error = _rejection(value)
    assert "entropy" in error.message


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(bytes(range(32)), id="bytes-0-to-31"),
        pytest.param(bytes(range(100, 132)), id="bytes-100-to-131"),
        pytest.param(b"abcdefghijklmnopqrstuvwxyzABCDEF", id="alphabet-sequence-text"),
    ],
)
def test_rejects_sequential_bytes_in_44_char_keys(raw: bytes) -> None:
    """A sequence is as weak in base64 as it is in plain text (row 8: weak keys rejected).

    The same 32 characters that the 32-character check refuses as "sequential" must not
    be accepted once base64-encoded, nor must a run of consecutive byte values.
    """
    value = base64.b64encode(raw).decode("ascii")
    assert len(value) == 44
    error = _rejection(value)
    assert "entropy" in error.message


# --- messages never carry the key --------------------------------------------------

BAD_KEYS = [
    "a" * 32,
    "CANARY-key-" + "x" * 10,
    "0123456789abcdef" * 2,
    "!" * 44,
    base64.b64encode(secrets.token_bytes(33)).decode("ascii"),
    base64.b64encode(bytes(32)).decode("ascii"),
    "CANARY-key-7f3a9c-" + "é" * 14,
]


# Ids by position: some values are random, and pytest-xdist workers must collect the same.
@pytest.mark.parametrize("value", BAD_KEYS, ids=[f"bad-key-{i}" for i in range(len(BAD_KEYS))])
def test_rejection_message_never_contains_the_key(value: str) -> None:
    error = _rejection(value)
    for text in (str(error), repr(error), error.message, *map(str, error.args)):
        assert value not in text
        assert "CANARY" not in text
        # Not even masked: the message is built without the value (a mask would mean
        # the value was put in and only the redactor saved it).
        assert MASK not in text
