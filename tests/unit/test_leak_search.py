"""The leak search the workflow tests and benchmarks run: values, encodings, fragments."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from portal_automation.sensitive import (
    FRAGMENT,
    MASK,
    SHORT_FRAGMENT,
    Secret,
    patterns,
    redact,
    runs,
)
from portal_local.leaks import Seen, executions, find_leaks

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
        f"hex {SECRET.encode().hex()}",
        f"HEX {SECRET.encode().hex().upper()}",
        f"cut hex {SECRET.encode().hex()[4 : 4 + 2 * SHORT_FRAGMENT]}",
        f"fragment ...{SECRET[10 : 10 + SHORT_FRAGMENT]}...",
    ],
)
def test_a_value_in_any_form_or_a_fragment_of_it_is_found(text: str) -> None:
    assert find_leaks({"place": text, "clean": "nothing here"}, {SECRET}) == ["place"]


def test_a_shorter_run_is_not_a_leak() -> None:
    assert find_leaks({"place": f"x{SECRET[5 : 5 + SHORT_FRAGMENT - 1]}x"}, {SECRET}) == []
    hexed = SECRET.encode().hex()[4 : 4 + 2 * SHORT_FRAGMENT - 1]
    assert find_leaks({"place": f"x{hexed}x"}, {SECRET}) == []


def test_the_search_is_as_strict_as_the_redactor() -> None:
    """Every piece of a value the redactor masks, the search finds: both read
    ``sensitive.patterns``."""
    Secret(SECRET)
    for form, length in patterns(SECRET):
        for piece in [form] if len(form) < length else runs(form, length):
            assert redact(f"[{piece}]") == f"[{MASK}]", (form, length)
            assert find_leaks({"p": f"[{piece}]"}, {SECRET}) == ["p"], (form, length)


def test_a_short_value_is_found_whole() -> None:
    assert find_leaks({"a": "pw is p4ss!", "b": "p4s"}, {"p4ss"}) == ["a"]


class _Executions:
    """Step Functions' listing calls over a parent and its map run's children."""

    def __init__(self) -> None:
        self.status = {"parent": "RUNNING", "child-1": "RUNNING", "child-2": "SUCCEEDED"}
        self.children = ["child-1"]

    def get_paginator(self, operation: str) -> _Executions:
        self.operation = operation
        return self

    def paginate(self, **kwargs: str) -> list[dict[str, object]]:
        if self.operation == "list_map_runs":
            return [{"mapRuns": [{"mapRunArn": "run"}]}]
        if "mapRunArn" in kwargs:
            return [{"executions": [{"executionArn": c} for c in self.children]}]
        return [{"executions": [{"executionArn": "parent", "status": self.status["parent"]}]}]


def test_the_search_reads_again_what_had_not_ended_and_skips_what_it_read_in_full() -> None:
    sfn, seen = _Executions(), Seen()
    assert executions(sfn, "sm", seen) == ["parent", "child-1"]
    seen.ended.add("child-1")  # read after it ended; the parent was still running
    sfn.children.append("child-2")  # a child started since
    assert executions(sfn, "sm", seen) == ["parent", "child-2"]
    sfn.status["parent"] = "SUCCEEDED"
    seen.ended.update({"child-2"})
    assert executions(sfn, "sm", seen) == ["parent"]  # its last events not read yet
    seen.ended.add("parent")
    assert executions(sfn, "sm", seen) == []
    assert seen.closed == {"parent"}
