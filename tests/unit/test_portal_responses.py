"""Every answer shape the portal gives, mapped to a result or a named error (rows 2-4)."""

from __future__ import annotations

import json

import pytest
import requests
from portal_automation.errors import (
    InsecurePortalUrl,
    InvalidCredentialsSecret,
    PortalAuthFailed,
    PortalBadResponse,
    PortalRequestRejected,
    PortalUnavailable,
)
from portal_automation.portal.responses import parse_json_response
from portal_automation.portal.url import UrlPolicy, comparable_url, normalise_portal_url
from portal_automation.sensitive import Secret


def _response(
    status: int, body: bytes | str, content_type: str = "application/json"
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else body
    response.headers["Content-Type"] = content_type
    response.encoding = "utf-8"
    return response


def _json(status: int, data: object) -> requests.Response:
    return _response(status, json.dumps(data))


HTML = "<html><body><h1>503 Service Unavailable</h1></body></html>"


def test_success_body_is_returned() -> None:
    assert parse_json_response(_json(200, {"status": "success", "a": 1}), "op") == {
        "status": "success",
        "a": 1,
    }
    assert parse_json_response(_json(200, {"version": "11.3.0"}), "op") == {"version": "11.3.0"}


@pytest.mark.parametrize("code", [498, 499, 403])
def test_auth_error_codes_with_http_200(code: int) -> None:
    with pytest.raises(PortalAuthFailed) as info:
        parse_json_response(
            _json(200, {"error": {"code": code, "message": "Invalid token."}}), "op"
        )
    assert info.value.code == code
    assert f"portal error {code}" in info.value.message


@pytest.mark.parametrize("code", [400, 500, None])
def test_other_error_codes_with_http_200(code: int | None) -> None:
    body = {"error": {"code": code, "message": "Bad key", "details": ["length is wrong"]}}
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_json(200, body), "update token config")
    assert info.value.code == code
    assert "Bad key" in info.value.message
    assert "length is wrong" in info.value.message


def test_error_that_is_not_an_object() -> None:
    with pytest.raises(PortalRequestRejected, match="boom"):
        parse_json_response(_json(200, {"error": "boom"}), "op")


@pytest.mark.parametrize("state", ["failed", "error", "FAILED", "partial"])
def test_status_other_than_success(state: str) -> None:
    body = {"status": state, "messages": ["could not update"], "code": 500}
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_json(200, body), "update security config")
    assert "could not update" in info.value.message


def test_status_error_with_auth_code() -> None:
    with pytest.raises(PortalAuthFailed) as info:
        parse_json_response(_json(200, {"status": "error", "messages": ["x"], "code": 499}), "op")
    assert info.value.code == 499


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_and_proxy_errors_with_html(status: int) -> None:
    with pytest.raises(PortalUnavailable, match=f"HTTP {status}"):
        parse_json_response(_response(status, HTML, "text/html"), "op")


def test_404_names_the_url_problem() -> None:
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_response(404, HTML, "text/html"), "op")
    assert info.value.code == 404
    assert "context" in info.value.message


@pytest.mark.parametrize("status", [301, 302, 400, 401, 405])
def test_other_statuses_are_rejections(status: int) -> None:
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_response(status, ""), "op")
    assert info.value.code == status


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (HTML, "text/html;charset=UTF-8"),
        ("", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
    ],
)
def test_200_without_json_is_a_bad_response(body: str | bytes, content_type: str) -> None:
    with pytest.raises(PortalBadResponse) as info:
        parse_json_response(_response(200, body, content_type), "read token config")
    assert "expected JSON" in info.value.message


@pytest.mark.parametrize("data", [[1, 2], "text", 3, None])
def test_200_with_json_that_is_not_an_object(data: object) -> None:
    with pytest.raises(PortalBadResponse, match="JSON object"):
        parse_json_response(_json(200, data), "op")


def test_long_details_are_clipped() -> None:
    body = {"error": {"code": 500, "message": "x" * 5000}}
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_json(200, body), "op")
    assert len(info.value.message) < 500


def test_echoed_secret_is_masked() -> None:
    key = Secret("CANARY-echoed-key-55aa")
    body = {"error": {"code": 400, "message": f"Key {key.reveal()} has the wrong length"}}
    with pytest.raises(PortalRequestRejected) as info:
        parse_json_response(_json(200, body), "update token config")
    assert "CANARY" not in str(info.value)


# --- portal URLs (row 24) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://gis.example.com/portal/", "https://gis.example.com/portal"),
        (" https://host:7443/arcgis ", "https://host:7443/arcgis"),
        ("https://gis.example.com", "https://gis.example.com"),
    ],
)
def test_normalise_portal_url(url: str, expected: str) -> None:
    assert normalise_portal_url(url) == expected


def test_http_refused_unless_allowed() -> None:
    with pytest.raises(InsecurePortalUrl, match="plain http"):
        normalise_portal_url("http://gis.example.com/portal")
    assert normalise_portal_url(
        "http://localhost:7080/arcgis", UrlPolicy(allow_http=True, allow_local=True)
    ) == ("http://localhost:7080/arcgis")


@pytest.mark.parametrize(
    "url",
    ["", "portal", "ftp://h/x", "https://u:p@h/x", "https://h/x?token=abc", "https://h/x#frag"],
)
def test_bad_portal_urls(url: str) -> None:
    with pytest.raises(InvalidCredentialsSecret) as info:
        normalise_portal_url(url)
    assert info.value.field == "url"


FORBIDDEN = [
    "https://127.0.0.1:7443/arcgis",
    "https://127.5.5.5/arcgis",
    "https://localhost:7443/arcgis",
    "https://portal.localhost/arcgis",
    "https://LOCALHOST./arcgis",
    "https://[::1]:7443/arcgis",
    "https://169.254.169.254/latest",
    "https://169.254.170.2/v2",
    "https://[fe80::1]/arcgis",
    "https://[fd00:ec2::254]/latest",
    "https://[::ffff:127.0.0.1]/arcgis",
    "https://[::ffff:169.254.169.254]/arcgis",
    "https://0.0.0.0/arcgis",
]
ALLOWED = [
    "https://10.0.0.5/arcgis",
    "https://192.168.1.10:7443/arcgis",
    "https://172.16.4.4/portal",
    "https://gis.example.com/portal",
    "https://[2001:db8::1]/arcgis",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_portal_urls_on_this_host_or_link_local_are_refused(url: str) -> None:
    """FAULTS row 39: the admin password would go to whatever listens there."""
    with pytest.raises(InsecurePortalUrl):
        normalise_portal_url(url)
    assert normalise_portal_url(url, UrlPolicy(allow_local=True)).startswith("https://")


@pytest.mark.parametrize("url", ALLOWED)
def test_private_network_portals_are_fine(url: str) -> None:
    assert normalise_portal_url(url) == url


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://m1.example.com:7443/arcgis", "HTTPS://M1.Example.COM:7443/arcgis/"),
        ("https://m1.example.com/arcgis", "https://m1.example.com:443/arcgis"),
        ("https://m1.example.com./arcgis", "https://m1.example.com/arcgis"),
    ],
    ids=["case and slash", "default port", "trailing dot"],
)
def test_two_spellings_of_one_address_compare_equal(one: str, other: str) -> None:
    assert comparable_url(one) == comparable_url(other) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:pw@m1.example.com:7443/arcgis",
        "https://m1.example.com:7443/arcgis?x=1",
        "https://m1.example.com:7443/arcgis#x",
        "https://m1.example.com:notaport/arcgis",
        "ftp://m1.example.com/arcgis",
        "m1.example.com:7443",
    ],
)
def test_what_no_portal_may_be_reached_at_compares_with_nothing(url: str) -> None:
    assert comparable_url(url) is None


def test_a_different_port_or_path_is_another_address() -> None:
    base = comparable_url("https://m1.example.com:7443/arcgis")
    assert comparable_url("https://m1.example.com:8443/arcgis") != base
    assert comparable_url("https://m1.example.com:7443/portal") != base
