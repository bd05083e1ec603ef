"""Secret values and the redactor that keeps them out of text.

Every password, token and shared key the package handles is wrapped in ``Secret``.
Wrapping registers the value with a process-wide redactor, and every error message and
log line passes through ``redact()`` before it leaves the process. The wrapper makes
the common accident (an f-string, a ``repr`` in a log) harmless; the redactor catches
what slips past it (a portal error that echoes a submitted value).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

MASK: Final = "****"
# Values shorter than this are not registered: masking them would shred ordinary words.
_MIN_LENGTH: Final = 6
_MAX_REMEMBERED: Final = 512


class _Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: OrderedDict[str, None] = OrderedDict()

    def register(self, value: str) -> None:
        if len(value) < _MIN_LENGTH:
            return
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > _MAX_REMEMBERED:
                self._values.popitem(last=False)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text


_REDACTOR: Final = _Redactor()


def register_secret(value: str) -> None:
    """Remember a value that must never appear in a message or a log line."""
    _REDACTOR.register(value)


def redact(text: str) -> str:
    """Replace every registered secret value in ``text`` with a mask."""
    return _REDACTOR.redact(text)


class Secret:
    """A string that does not show itself: ``str``/``repr``/``format`` give a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The value itself; call it only where the value is sent to its destination."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret values are not pickled")
