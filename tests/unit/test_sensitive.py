"""Secret wrapper and redactor (FAULTS row 25)."""

from __future__ import annotations

import pickle

import pytest
from portal_automation import errors
from portal_automation.sensitive import MASK, Secret, redact, register_secret


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


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc def") == "abc def"


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
    assert errors.PortalNotReady.transient
    assert errors.SecretStoreUnavailable.transient
    assert not errors.PortalAuthFailed.transient
    assert not errors.PortalTlsError.transient
    assert not errors.InvalidSharedKey.transient
