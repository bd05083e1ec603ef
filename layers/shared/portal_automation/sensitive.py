"""Secret values and the redactor that keeps them out of text.

Every password, token and shared key the package handles is wrapped in ``Secret``.
Wrapping registers the value with a process-wide redactor, and every error message and
log line passes through ``redact()`` before it leaves the process. The wrapper makes
the common accident (an f-string, a ``repr`` in a log) harmless; the redactor catches
what slips past it (a portal error that echoes a submitted value).

What the redactor masks, for every registered value (FAULTS rows 25, 42 and 52):

- the value itself, whatever its length, and the forms it takes when a portal or a
  library echoes it: URL-encoded (``quote``/``quote_plus``), JSON-escaped,
  HTML-escaped, base64, hex (either case);
- any run of ``FRAGMENT`` characters or more of the value or of one of those forms
  (a portal error that cut the value, a message cut by a length limit), and for a value
  of ``FRAGMENT`` characters or more, any run of ``SHORT_FRAGMENT`` characters (of its
  hex forms: twice as many, the same number of bytes);

so a caller that clips text must redact first (``clip``), never the other way round.
``patterns`` says it once, for the redactor and for the tests' leak search alike.
Values found in a configuration (``register_found``: the LDAP bind password, the
federation trust key) are registered only when they are long enough to be a secret,
so that "true" or "BUILTIN" under a sensitive-sounding name does not shred messages.
"""

from __future__ import annotations

import base64
import html
import json
import threading
from collections import Counter, OrderedDict
from typing import Final
from urllib.parse import quote, quote_plus

MASK: Final = "****"
# A run this long of a secret counts as the secret (the leak search uses the same)...
FRAGMENT: Final = 16
# ... and a run this long of a secret at least FRAGMENT characters long.
SHORT_FRAGMENT: Final = 8
# Values found in configurations shorter than this are not registered.
_MIN_FOUND_LENGTH: Final = 8
_MAX_REMEMBERED: Final = 512


def encoded_forms(value: str) -> set[str]:
    """The value and the forms an echo of it takes in URLs, JSON, HTML, base64 and hex."""
    return _text_forms(value) | _hex_forms(value)


def _text_forms(value: str) -> set[str]:
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        base64.b64encode(value.encode("utf-8")).decode("ascii"),
    }
    return {form for form in forms if form}


def _hex_forms(value: str) -> set[str]:
    hexed = value.encode("utf-8").hex()
    return {hexed, hexed.upper()} if hexed else set()


def patterns(value: str) -> set[tuple[str, int]]:
    """What counts as ``value`` in a text: each of its forms, with the length of a run of
    that form that counts as the value too (a form shorter than its run counts whole)."""
    run = SHORT_FRAGMENT if len(value) >= FRAGMENT else FRAGMENT
    return {(form, run) for form in _text_forms(value)} | {
        (form, 2 * run) for form in _hex_forms(value)
    }


def runs(form: str, length: int) -> list[str]:
    """Every run of ``length`` characters of ``form`` (none when it is shorter)."""
    return [form[i : i + length] for i in range(len(form) - length + 1)]


class _Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # value -> (its patterns: (form, run length); only (value, 0) when its fragments
        # do not count), oldest first
        self._values: OrderedDict[str, frozenset[tuple[str, int]]] = OrderedDict()
        self._windows: Counter[str] = Counter()  # the runs that count, of every length
        self._lengths: Counter[int] = Counter()  # how many registered runs have each length
        self._sorted: list[str] | None = []  # every form, longest first (None: stale)

    def register(self, value: str, *, fragments: bool = True) -> None:
        if not value:
            return
        with self._lock:
            known = self._values.get(value)
            if known is not None and (_fragments(known) or not fragments):
                self._values.move_to_end(value)
                return
            if known is not None:
                self._forget(value)
            found = frozenset(patterns(value)) if fragments else frozenset({(value, 0)})
            self._values[value] = found
            for run in _runs_of(found):
                self._windows[run] += 1
                self._lengths[len(run)] += 1
            self._sorted = None
            while len(self._values) > _MAX_REMEMBERED:
                self._forget(next(iter(self._values)))

    def _forget(self, value: str) -> None:
        for run in _runs_of(self._values.pop(value)):
            self._windows[run] -= 1
            if self._windows[run] <= 0:
                del self._windows[run]
            self._lengths[len(run)] -= 1
            if self._lengths[len(run)] <= 0:
                del self._lengths[len(run)]
        self._sorted = None

    def snapshot(self) -> OrderedDict[str, frozenset[tuple[str, int]]]:
        """What is registered (for test isolation: ``restore`` puts it back)."""
        with self._lock:
            return self._values.copy()

    def restore(self, values: OrderedDict[str, frozenset[tuple[str, int]]]) -> None:
        with self._lock:
            self._values = values.copy()
            every = [run for found in values.values() for run in _runs_of(found)]
            self._windows = Counter(every)
            self._lengths = Counter(len(run) for run in every)
            self._sorted = None

    def redact(self, text: str) -> str:
        with self._lock:
            if self._sorted is None:
                every = {form for found in self._values.values() for form, _ in found}
                self._sorted = sorted(every, key=len, reverse=True)
            for form in self._sorted:
                if form in text:
                    text = text.replace(form, MASK)
            if self._windows:
                text = _mask_runs(text, self._windows, sorted(self._lengths))
        return text


def _fragments(found: frozenset[tuple[str, int]]) -> bool:
    return any(length for _, length in found)


def _runs_of(found: frozenset[tuple[str, int]]) -> list[str]:
    return [run for form, length in found if length for run in runs(form, length)]


def _mask_runs(text: str, windows: Counter[str], lengths: list[int]) -> str:
    """Mask every stretch of ``text`` covered by runs (of any of ``lengths``) found in
    ``windows``."""
    covered = [False] * len(text)
    hit = False
    for length in lengths:
        for start in range(len(text) - length + 1):
            if windows[text[start : start + length]] > 0:
                hit = True
                for i in range(start, start + length):
                    covered[i] = True
    if not hit:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if covered[i]:
            while i < len(text) and covered[i]:
                i += 1
            out.append(MASK)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_REDACTOR: Final = _Redactor()


def register_secret(value: str) -> None:
    """Remember a value that must never appear in a message or a log line, in any
    encoding, nor any run of it that ``patterns`` counts."""
    _REDACTOR.register(value)


def register_exact(value: str) -> None:
    """Remember a whole document that must never appear verbatim (a credentials secret's
    JSON: its parts, the URL and user name among them, are not secret by themselves)."""
    _REDACTOR.register(value, fragments=False)


def register_found(value: str) -> None:
    """Remember a value found under a sensitive name in a configuration, if it could be a
    secret at all (long enough); short words there are settings, not secrets."""
    if len(value) >= _MIN_FOUND_LENGTH:
        _REDACTOR.register(value)


def redact(text: str) -> str:
    """Replace every registered secret value, encoding or fragment in ``text`` with a mask."""
    return _REDACTOR.redact(text)


def clip(text: str, limit: int) -> str:
    """Redact, then cut to ``limit`` characters (cutting first could split a secret into
    pieces the redactor no longer recognises)."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "..."


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
