"""Secret wrapper and redactor (FAULTS row 25)."""

from __future__ import annotations

import base64
import html
import json
import pickle
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest
from portal_automation import errors, sensitive
from portal_automation.sensitive import (
    FRAGMENT,
    MASK,
    SHORT_FRAGMENT,
    Secret,
    clip,
    encoded_forms,
    redact,
    register_exact,
    register_found,
    register_secret,
)


def test_secret_masks_str_repr_and_format() -> None:
    secret = Secret("CANARY-secret-0001")
    assert str(secret) == MASK
    assert repr(secret) == f"Secret({MASK})"
    assert f"{secret}" == MASK
    assert f"{secret:>40}" == MASK
    assert f"{secret}|{secret!r}|{secret!s}" == f"{MASK}|Secret({MASK})|{MASK}"
    assert "%s %r" % (secret, secret) == f"{MASK} Secret({MASK})"  # noqa: UP031
    assert "CANARY" not in repr([secret, {"k": secret}])
    assert secret.reveal() == "CANARY-secret-0001"


def test_secret_equality_hash_bool() -> None:
    assert Secret("CANARY-eq-value") == Secret("CANARY-eq-value")
    assert Secret("CANARY-eq-value") != Secret("CANARY-eq-other")
    assert Secret("CANARY-eq-value") != "CANARY-eq-value"
    assert len({Secret("CANARY-eq-value"), Secret("CANARY-eq-value")}) == 1
    assert not Secret("")
    assert Secret("x")


def test_secret_wraps_only_str() -> None:
    with pytest.raises(TypeError):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_secret_is_not_picklable() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("CANARY-pickle-value"))


def test_redact_masks_registered_values_inside_longer_text() -> None:
    Secret("CANARY-inner-7f3a")
    text = "prefix CANARY-inner-7f3a suffix and again:CANARY-inner-7f3a!"
    assert redact(text) == f"prefix {MASK} suffix and again:{MASK}!"


def test_redact_prefers_the_longest_value() -> None:
    register_secret("CANARY-long")
    register_secret("CANARY-long-and-longer")
    assert redact("x CANARY-long-and-longer y") == f"x {MASK} y"
    assert "CANARY" not in redact("CANARY-long-and-longer CANARY-long")


def test_a_short_password_is_masked_too() -> None:
    """FAULTS row 42: whatever its length."""
    Secret("p4ss")
    assert redact("login p4ss refused") == f"login {MASK} refused"


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda v: quote(v, safe=""), id="url-encoded"),
        pytest.param(quote_plus, id="form-encoded"),
        pytest.param(lambda v: json.dumps(v)[1:-1], id="json-escaped"),
        pytest.param(html.escape, id="html-escaped"),
        pytest.param(lambda v: base64.b64encode(v.encode()).decode(), id="base64"),
        pytest.param(lambda v: v.encode().hex(), id="hex"),
        pytest.param(lambda v: v.encode().hex().upper(), id="HEX"),
    ],
)
def test_encoded_echoes_are_masked(encode: Callable[[str], str]) -> None:
    value = 'CANARY+pw/<&> "quoted" 9'
    Secret(value)
    echoed = encode(value)
    assert echoed != value

    assert redact(f"portal said: {echoed}.") == f"portal said: {MASK}."
    assert redact(f"cut: {echoed[:20]}") == f"cut: {MASK}"


def test_every_form_is_registered() -> None:
    value = 'CANARY+pw/<&> "x" 9'
    Secret(value)
    for form in encoded_forms(value):
        assert redact(f"[{form}]") == f"[{MASK}]"


def test_fragments_of_a_secret_are_masked() -> None:
    """FAULTS row 52: of a secret of FRAGMENT characters or more, any run of
    SHORT_FRAGMENT (8 to 15 characters echoed are masked)."""
    value = "CANARY-0123456789abcdefghijklmnopqrstuvwxyz"
    Secret(value)
    for length in range(SHORT_FRAGMENT, FRAGMENT + 1):
        cut = value[7 : 7 + length]
        assert redact(f"echo {cut} end") == f"echo {MASK} end", length
    shorter = value[7 : 7 + SHORT_FRAGMENT - 1]
    assert redact(f"echo {shorter} end") == f"echo {shorter} end"
    assert redact(f"{value[:20]}...") == f"{MASK}..."


def test_fragments_of_a_hex_echo_are_masked_by_the_bytes_they_show() -> None:
    """FAULTS row 52: a hex echo cut to 8 bytes of the secret (16 hex digits) is masked,
    7 bytes are not (hex digits alone would match any digest)."""
    value = "CANARY-hex-0123456789abcdefghij"
    Secret(value)
    hexed = value.encode().hex()
    assert redact(f"dump {hexed[6 : 6 + 2 * SHORT_FRAGMENT]} end") == f"dump {MASK} end"
    assert redact(f"dump {hexed[6 : 6 + 2 * SHORT_FRAGMENT].upper()} end") == f"dump {MASK} end"
    seven = hexed[6 : 6 + 2 * SHORT_FRAGMENT - 2]
    assert redact(f"dump {seven} end") == f"dump {seven} end"


def test_a_secret_shorter_than_a_fragment_is_masked_whole_not_by_its_runs() -> None:
    value = "CANARY-short1"  # 13 characters: its 8-character runs are not secrets
    Secret(value)
    assert redact(f"pw {value}!") == f"pw {MASK}!"
    assert redact(f"pw {value[: SHORT_FRAGMENT + 2]}!") == f"pw {value[: SHORT_FRAGMENT + 2]}!"


def test_clip_redacts_before_it_cuts() -> None:
    """FAULTS row 42: a password straddling the cut must not leak its first part."""
    password = "CANARY-" + "s3cr3t-pa55w0rd-straddling-the-cut-xx"
    Secret(password)
    text = "x" * 280 + password + " and more"

    clipped = clip(text, 300)

    assert password[:16] not in clipped
    assert not any(password[i : i + 8] in clipped for i in range(len(password) - 8))
    assert len(clipped) <= 303


def test_values_found_in_a_configuration_must_be_long_enough() -> None:
    register_found("true")
    register_found("BUILTIN")
    register_found("ldap-bind-CANARY-pw")
    assert redact("isPasswordEncrypted true BUILTIN") == "isPasswordEncrypted true BUILTIN"
    assert redact("bind ldap-bind-CANARY-pw failed") == f"bind {MASK} failed"


def test_a_whole_document_is_masked_but_not_its_parts() -> None:
    document = '{"url": "https://gis.example.com/portal", "username": "portaladmin"}'
    register_exact(document)
    assert redact(f"bad: {document}") == f"bad: {MASK}"
    assert redact("portal gis.example.com/portal") == "portal gis.example.com/portal"


def test_forgotten_values_leave_no_fragments_behind() -> None:
    redactor = sensitive._Redactor()
    redactor.register("CANARY-first-value-0123456789")
    for n in range(sensitive._MAX_REMEMBERED):
        redactor.register(f"filler-value-number-{n:06d}")
    assert redactor.redact("CANARY-first-value-0123456789") == "CANARY-first-value-0123456789"
    assert redactor.redact("filler-value-number-000511") == MASK


def test_unregistered_text_is_left_alone() -> None:
    assert redact("nothing secret here: portal 11.3") == "nothing secret here: portal 11.3"


@pytest.mark.parametrize(
    "error_type",
    [
        errors.PortalUnavailable,
        errors.PortalBadResponse,
        errors.PortalTlsError,
        errors.InvalidSharedKey,
        errors.InvalidSecurityConfig,
        errors.SecretAccessDenied,
        errors.UnsupportedPortalVersion,
    ],
)
def test_error_message_with_a_registered_secret_is_masked(
    error_type: type[errors.PortalAutomationError],
) -> None:
    Secret("CANARY-err-4c2d")
    exc = error_type("portal echoed: CANARY-err-4c2d (details)")
    for text in (str(exc), repr(exc), exc.message, *map(str, exc.args)):
        assert "CANARY-err-4c2d" not in text
    assert MASK in str(exc)


@pytest.mark.parametrize("error_type", [errors.PortalAuthFailed, errors.PortalRequestRejected])
def test_errors_with_codes_are_masked_too(error_type: type[errors.PortalAuthFailed]) -> None:
    Secret("CANARY-coded-88aa")
    exc = error_type("token CANARY-coded-88aa refused", code=498)
    assert "CANARY-coded-88aa" not in str(exc)
    assert exc.code == 498


def test_credentials_error_keeps_field() -> None:
    Secret("CANARY-field-1234")
    exc = errors.InvalidCredentialsSecret("bad CANARY-field-1234", field="password")
    assert exc.field == "password"
    assert "CANARY" not in str(exc)


def test_transient_flags() -> None:
    assert errors.PortalUnavailable.transient
    assert errors.SecretStoreUnavailable.transient
    assert not errors.PortalAuthFailed.transient
    assert not errors.PortalTlsError.transient
    assert not errors.InvalidSharedKey.transient
