"""FAULTS row 50: a portal's text cannot steer an operator's terminal. It is made
printable where it enters the package (the portal's answers), and again where the CLI
prints."""

from __future__ import annotations

import io
import json

import pytest
import requests
from portal_automation.cli.follow import print_summary
from portal_automation.cli.output import write_text
from portal_automation.cli.status import render_table
from portal_automation.errors import PortalRequestRejected
from portal_automation.fleet_status import PortalStatus
from portal_automation.portal.responses import parse_json_response
from portal_automation.printable import printable

FORGED = "Denied.\x1b[2K\r  - gis-prod: verified\n\x1b]0;owned\x07\x9b31m\u202e"
STEERING = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + [
    "\u061c",
    "\u200e",
    "\u200f",
    "\u2028",
    "\u2029",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]


def steering(text: str) -> list[str]:
    return [c for c in STEERING if c in text]


@pytest.mark.parametrize("char", STEERING, ids=lambda c: f"U+{ord(c):04X}")
def test_every_steering_character_is_escaped(char: str) -> None:
    shown = printable(f"a{char}b")
    assert steering(shown) == []
    assert shown.startswith("a\\")
    assert shown.endswith("b")


def test_escapes_show_what_was_sent_and_printable_text_is_kept() -> None:
    assert printable("line\r\nnext\ttab") == "line\\r\\nnext\\ttab"
    assert printable("\x1b[31m \x9b \u202e") == "\\x1b[31m \\x9b \\u202e"
    assert printable("Ünïcode, emoji 🙂 and / slashes") == "Ünïcode, emoji 🙂 and / slashes"


def _response(body: object, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = content_type
    return response


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 500, "message": FORGED, "details": [FORGED]}},
        {"status": "error", "messages": [FORGED], "code": 500},
        {"status": f"failed{FORGED}"},
    ],
    ids=["error", "status messages", "status"],
)
def test_portal_error_text_enters_messages_printable(body: object) -> None:
    with pytest.raises(PortalRequestRejected) as raised:
        parse_json_response(_response(body), "update token config")
    assert steering(raised.value.message) == []
    assert "\\x1b" in raised.value.message


def test_a_content_type_enters_messages_printable() -> None:
    response = _response("x", content_type=f"text/html{FORGED}")
    response._content = b"<html>"
    with pytest.raises(Exception) as raised:  # noqa: PT011 - PortalBadResponse
        parse_json_response(response, "op")
    assert steering(str(raised.value)) == []


def test_the_summary_printed_by_follow_draws_no_line_of_the_portals() -> None:
    summary = {
        "outcome": "failed",
        "subject": "1 portal failed",
        "portals": [
            {
                "label": "gis-test",
                "status": "failed",
                "version": "11.3",
                "error": {"name": "PortalRequestRejected", "message": FORGED, "notes": [FORGED]},
                "changes": [{"name": "allowedProxyHosts", "current": FORGED, "desired": "x"}],
            }
        ],
    }
    out = io.StringIO()

    print_summary(summary, out)

    printed = out.getvalue()
    assert steering(printed.replace("\n", "")) == []
    assert not [line for line in printed.splitlines() if line.lstrip().startswith("- gis-prod")]
    assert len(printed.splitlines()) == 5  # outcome, portal, change, error, note


def test_the_status_table_shows_every_cell_printable() -> None:
    status = PortalStatus(
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:portal-admin/a-AbCdEf",
        name="portal-admin/a",
        version=f"11.3{FORGED}",
        last_run={"status": "failed", "error": FORGED, "at": 0.0, "action": "rotate-shared-key"},
        drift={"changes": [FORGED]},
    )

    table = render_table([status], now=1.0)

    assert steering(table.replace("\n", "")) == []
    assert len(table.splitlines()) == 2


def test_the_text_output_shows_every_cell_printable_one_record_a_line() -> None:
    """``--output text``: tab-separated records, so a tab or newline of a portal's text
    would split one."""
    out = io.StringIO()

    write_text([("portal-admin/a", FORGED, None), (f"b\tc{FORGED}", "d", 1)], out)

    lines = out.getvalue().splitlines()
    assert [steering(line.replace("\t", "")) for line in lines] == [[], []]
    assert [len(line.split("\t")) for line in lines] == [3, 3]
