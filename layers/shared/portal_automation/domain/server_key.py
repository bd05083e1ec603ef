"""ArcGIS Server token shared keys: generation and validation (SERVER_API.md 5).

Esri documents no rule for a site's key: ArcGIS Server Manager asks for "an alphanumeric
value", and the Admin API's examples are passphrases. So the key is drawn from the OS
CSPRNG over ``[A-Za-z0-9]`` only, 43 characters: log2(62) x 43 = 256.03 bits, the fewest
that reach 256. Which other characters and lengths a site accepts is *unverified*; a
site that refuses the key answers the update with an error and keeps its old key (the
workflow then reports it and leaves nothing pending). A key is validated before
anything is sent.
"""

from __future__ import annotations

import math
import secrets
import string
from typing import Final

from ..errors import InvalidSharedKey
from ..sensitive import Secret
from .shared_key import check_text_entropy

ALPHABET: Final = string.ascii_letters + string.digits
KEY_BITS: Final = 256
KEY_LENGTH: Final = math.ceil(KEY_BITS / math.log2(len(ALPHABET)))  # 43
MAX_KEY_LENGTH: Final = 128


def generate_server_key() -> Secret:
    """``KEY_LENGTH`` characters drawn by ``secrets`` over ``ALPHABET``."""
    return Secret("".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH)))


def validate_server_key(key: Secret) -> None:
    """Raise ``InvalidSharedKey`` (naming the reason, never the value) unless the key is
    alphanumeric, long enough for 256 bits, and not typed by hand."""
    value = key.reveal()
    if not KEY_LENGTH <= len(value) <= MAX_KEY_LENGTH:
        raise InvalidSharedKey(
            f"server key has {len(value)} characters; {KEY_LENGTH} to {MAX_KEY_LENGTH} "
            "are required (256 bits over [A-Za-z0-9])"
        )
    if any(character not in ALPHABET for character in value):
        raise InvalidSharedKey("server key may hold only the letters A-Z, a-z and digits 0-9")
    check_text_entropy(value)
