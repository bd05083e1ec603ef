"""The credentials secret (FAULTS rows 22, 24, 25): named errors, never a value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from portal_automation.domain.credentials import PortalCredentials
from portal_automation.errors import (
    InsecurePortalUrl,
    InvalidCredentialsSecret,
    PortalAutomationError,
)
from portal_automation.portal.url import UrlPolicy
from portal_automation.sensitive import MASK, Secret

CANARY = "CANARY-pw-7f3a9c"
KEY_CANARY = "CANARYkey" + "Q" * 34 + "="  # 44 characters, never shown

VALID: dict[str, Any] = {
    "url": "https://gis.example.com/portal",
    "username": "portaladmin",
    "password": CANARY,
}


def _text(data: object) -> str:
    return data if isinstance(data, str) else json.dumps(data)


def _no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert KEY_CANARY not in text
        assert "CANARY" not in text


def _rejected(
    data: object,
    *,
    allow_http: bool = False,
    error: type[PortalAutomationError] = InvalidCredentialsSecret,
) -> PortalAutomationError:
    with pytest.raises(error) as info:
        PortalCredentials.from_secret_string(
            _text(data), UrlPolicy(allow_http=allow_http, allow_local=True)
        )
    exc = info.value
    _no_canary(str(exc), repr(exc), exc.message, *map(str, exc.args))
    return exc


def test_parses_a_valid_secret() -> None:
    creds = PortalCredentials.from_secret_string(json.dumps(VALID))
    assert creds.url == "https://gis.example.com/portal"
    assert creds.username == "portaladmin"
    assert creds.password == Secret(CANARY)
    assert creds.password.reveal() == CANARY
    assert creds.referer is None
    assert creds.shared_key is None
    assert dict(creds.extra) == {}


def test_repr_and_str_never_show_the_password_or_key() -> None:
    data = {**VALID, "sharedKey": KEY_CANARY, "referer": "https://ops.example.com"}
    creds = PortalCredentials.from_secret_string(json.dumps(data))
    _no_canary(repr(creds), str(creds), f"{creds}", repr(creds.password), str(creds.shared_key))
    assert "gis.example.com" in repr(creds)


def test_url_is_normalised() -> None:
    creds = PortalCredentials.from_secret_string(
        json.dumps({**VALID, "url": "  https://gis.example.com/portal/  "})
    )
    assert creds.url == "https://gis.example.com/portal"


@pytest.mark.parametrize(
    "text",
    ["", "not json", "{", f'{{"password": "{CANARY}"', f"password={CANARY}", "\x00"],
)
def test_not_json(text: str) -> None:
    exc = _rejected(text)
    assert "not valid JSON" in exc.message


@pytest.mark.parametrize("data", [[VALID], "just a string", 42, None, True])
def test_not_an_object(data: object) -> None:
    exc = _rejected(json.dumps(data))
    assert "must be a JSON object" in exc.message


@pytest.mark.parametrize("field", ["url", "username", "password"])
def test_each_missing_required_field_is_named(field: str) -> None:
    data = {k: v for k, v in VALID.items() if k != field}
    exc = _rejected(data)
    assert isinstance(exc, InvalidCredentialsSecret)
    assert exc.field == field
    assert f"missing field {field!r}" in exc.message


@pytest.mark.parametrize("field", ["url", "username", "password", "referer", "sharedKey"])
@pytest.mark.parametrize("value", ["", "   ", None, 7, ["x"], {"v": CANARY}, False])
def test_empty_or_wrong_typed_fields_are_named(field: str, value: Any) -> None:
    exc = _rejected({**VALID, field: value})
    assert isinstance(exc, InvalidCredentialsSecret)
    assert exc.field == field
    assert f"field {field!r} must be a non-empty string" in exc.message


@pytest.mark.parametrize(
    "url",
    [
        "http://gis.example.com/portal",
        "HTTP://gis.example.com/portal",
        "http://localhost:7080/arcgis",
    ],
)
def test_http_url_refused_unless_allowed(url: str) -> None:
    exc = _rejected({**VALID, "url": url}, error=InsecurePortalUrl)
    assert "http" in exc.message
    creds = PortalCredentials.from_secret_string(
        json.dumps({**VALID, "url": url}), UrlPolicy(allow_http=True, allow_local=True)
    )
    assert creds.url.lower().startswith("http://")


@pytest.mark.parametrize(
    "url",
    [
        f"https://admin:{CANARY}@gis.example.com/portal",
        "https://admin@gis.example.com/portal",
        f"https://:{CANARY}@gis.example.com/portal",
    ],
)
def test_url_with_user_info_is_refused_without_echoing_it(url: str) -> None:
    exc = _rejected({**VALID, "url": url})
    assert isinstance(exc, InvalidCredentialsSecret)
    assert exc.field == "url"
    assert "user information" in exc.message
    assert "admin" not in exc.message


@pytest.mark.parametrize(
    "url",
    [
        "gis.example.com/portal",
        "ftp://gis.example.com/portal",
        "https:///portal",
        "https://gis.example.com/portal?token=abc",
        "https://gis.example.com/portal#x",
    ],
)
def test_malformed_url_is_named(url: str) -> None:
    exc = _rejected({**VALID, "url": url})
    assert isinstance(exc, InvalidCredentialsSecret)
    assert exc.field == "url"
    assert "abc" not in exc.message


def test_to_secret_string_round_trips_and_keeps_unknown_fields() -> None:
    data = {
        **VALID,
        "referer": "https://ops.example.com",
        "sharedKey": KEY_CANARY,
        "notes": "rotated by automation",
        "tags": {"env": "prod", "n": [1, 2]},
    }
    creds = PortalCredentials.from_secret_string(json.dumps(data))
    assert dict(creds.extra) == {
        "notes": "rotated by automation",
        "tags": {"env": "prod", "n": [1, 2]},
    }
    text = creds.to_secret_string()
    assert json.loads(text) == data
    again = PortalCredentials.from_secret_string(text)
    assert again == creds


def test_with_shared_key_replaces_only_the_key() -> None:
    creds = PortalCredentials.from_secret_string(json.dumps({**VALID, "extra1": 1}))
    new_key = Secret(KEY_CANARY)
    updated = creds.with_shared_key(new_key)
    assert updated.shared_key == new_key
    assert creds.shared_key is None
    out = json.loads(updated.to_secret_string())
    assert out == {**VALID, "extra1": 1, "sharedKey": KEY_CANARY}
    _no_canary(repr(updated))


def test_password_is_registered_for_redaction() -> None:
    PortalCredentials.from_secret_string(json.dumps(VALID))
    exc = InvalidCredentialsSecret(f"echoed by something: {CANARY}")
    assert CANARY not in str(exc)
    assert MASK in str(exc)


def test_password_is_registered_even_when_the_secret_is_rejected() -> None:
    password = "CANARY-rejected-pw-91bd"
    _rejected({"username": "u", "password": password})  # url missing
    assert password not in str(InvalidCredentialsSecret(f"later: {password}"))


# --- "machines": the adminURLs the operator pins (FAULTS row 43) ------------------------

PINS = ["https://m1.corp.example.com:7443/arcgis", "https://m2.corp.example.com:7443/arcgis/"]


def test_pinned_machines_are_validated_like_the_url_and_kept_as_written() -> None:
    creds = PortalCredentials.from_secret_string(_text({**VALID, "machines": PINS}))

    assert creds.pinned_machines == (PINS[0], PINS[1].rstrip("/"))
    assert json.loads(creds.to_secret_string())["machines"] == PINS


@pytest.mark.parametrize(
    ("pins", "reason"),
    [
        ("https://m1.corp.example.com:7443/arcgis", "must be a list"),
        ([], "must be a list"),
        ([1], "must be a list"),
        (["https://m1.example.com:7443/arcgis"] * 9, "must be a list"),
        (["m1.corp.example.com"], "absolute https URL"),
        (["https://admin:pw@m1.corp.example.com:7443/arcgis"], "user information"),
        (["https://m1.corp.example.com:7443/arcgis?a=1"], "query or fragment"),
        (["https://m1.example.com:7443/arcgis", "HTTPS://M1.example.com:7443/arcgis/"], "twice"),
        (["https://m1.example.com/arcgis", "https://m1.example.com:443/arcgis"], "twice"),
    ],
    ids=[
        "a string",
        "empty",
        "a number",
        "nine",
        "no scheme",
        "userinfo",
        "query",
        "same machine spelled twice",
        "default port",
    ],
)
def test_malformed_pins_are_named(pins: object, reason: str) -> None:
    error = _rejected({**VALID, "machines": pins})
    assert error.field == "machines"
    assert reason in error.message


@pytest.mark.parametrize(
    "pin", ["http://m1.corp.example.com:7443/arcgis", "https://127.0.0.1:7443/arcgis"]
)
def test_a_pin_on_plain_http_or_this_host_is_refused_as_the_url_is(pin: str) -> None:
    with pytest.raises(InsecurePortalUrl, match="machines"):
        PortalCredentials.from_secret_string(_text({**VALID, "machines": [pin]}))
    allowed = UrlPolicy(allow_http=True, allow_local=True)
    creds = PortalCredentials.from_secret_string(_text({**VALID, "machines": [pin]}), allowed)
    assert creds.pinned_machines == (pin,)


def test_pins_and_the_opt_out_contradict_each_other() -> None:
    error = _rejected({**VALID, "machines": PINS, "checkMachines": False})
    assert error.field == "machines"
