"""The token shared key: how a portal generates it and which supplied keys it accepts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

KEY_BYTES = 32
BASE64_KEY_CHARS = 44


def generate_shared_key() -> str:
    """A new key as an 11.4+ portal makes it: 32 random bytes, base64 (44 characters)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def supplied_key_problem(key: object) -> str | None:
    """Why an 11.3-and-earlier portal rejects ``key``, or None when it accepts it.

    Accepted: a string of exactly 32 bytes, or a 44-character base64 string that decodes
    to 32 bytes.
    """
    if not isinstance(key, str) or not key:
        return "The shared key must be a non-empty string."
    if len(key.encode("utf-8")) == KEY_BYTES:
        return None
    if len(key) == BASE64_KEY_CHARS:
        try:
            decoded = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) == KEY_BYTES:
            return None
    return (
        "The shared key must be 32 bytes long or a base64 encoded string of 44 characters "
        "that decodes to 32 bytes."
    )


def fingerprint(key: str) -> str:
    """A short, one-way fingerprint to tell keys apart without showing them."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
