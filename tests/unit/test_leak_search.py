"""The leak search the workflow tests and benchmarks run: values, encodings, fragments."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from portal_automation.sensitive import FRAGMENT
from portal_local.leaks import find_leaks

SECRET = 'CANARY+pw/with "quotes" & <tags>-0123456789'


@pytest.mark.parametrize(
    "text",
    [
        f"plain {SECRET} here",
        f"url {quote(SECRET, safe='')}",
        f"form {quote_plus(SECRET)}",
        f"json {json.dumps({'m': SECRET})}",
        f"html {html.escape(SECRET)}",
        f"b64 {base64.b64encode(SECRET.encode()).decode()}",
        f"cut ...{SECRET[10 : 10 + FRAGMENT]}...",
        f"clipped {quote(SECRET, safe='')[:FRAGMENT]}",
    ],
)
def test_a_value_in_any_form_or_a_fragment_of_it_is_found(text: str) -> None:
    assert find_leaks({"place": text, "clean": "nothing here"}, {SECRET}) == ["place"]


def test_a_shorter_run_is_not_a_leak() -> None:
    assert find_leaks({"place": f"x{SECRET[5 : 5 + FRAGMENT - 1]}x"}, {SECRET}) == []


def test_a_short_value_is_found_whole() -> None:
    assert find_leaks({"a": "pw is p4ss!", "b": "p4s"}, {"p4ss"}) == ["a"]
