"""TLS fails closed; plain http only when allowed (FAULTS rows 23, 24)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from portal_automation.errors import InsecurePortalUrl, PortalAuthFailed, PortalTlsError
from portal_automation.portal import PortalClient
from portal_automation.sensitive import Secret
from portal_local.emulator import PortalEmulator

from .support import (
    ADMIN,
    CANARY_PASSWORD,
    LOCAL,
    LOCAL_HTTP,
    Canary,
    fast_settings,
    portal_settings,
    running,
)

pytestmark = pytest.mark.client

PASSWORD = Secret(CANARY_PASSWORD)


@pytest.fixture(scope="module", params=["wrong-host", "expired", "self-signed"])
def bad_tls(request: pytest.FixtureRequest) -> Iterator[PortalEmulator]:
    with running(portal_settings("11.3", tls_variant=request.param)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def other_ca() -> Iterator[PortalEmulator]:
    """Another valid emulator: its CA did not sign the session emulator's certificate."""
    with running(portal_settings("11.3")) as emulator:
        yield emulator


EXPECTED_REASON = {
    "wrong-host": ("mismatch",),
    "expired": ("expired",),
    "self-signed": ("self-signed", "self signed", "local issuer"),
}


def _variant(emu: PortalEmulator) -> str:
    return emu.portal().settings.tls_variant


def test_bad_certificate_fails_closed_with_a_clear_message(
    bad_tls: PortalEmulator, canary: Canary
) -> None:
    client = PortalClient(bad_tls.url(), settings=fast_settings(bad_tls, retries=2), policy=LOCAL)
    mark = len(bad_tls.request_log)
    attempts = 0
    original = client._http._session.request

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal attempts
        attempts += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    client._http._session.request = counted  # type: ignore[method-assign,assignment]
    with canary.raises(PortalTlsError) as info:
        client.generate_token(ADMIN, PASSWORD)
    message = info.value.message
    assert "TLS verification failed" in message
    assert "never disabled" in message
    assert any(reason in message for reason in EXPECTED_REASON[_variant(bad_tls)]), message
    assert attempts == 1  # never retried
    assert not info.value.transient
    # The handshake failed: no request reached the portal, no password left the client.
    assert bad_tls.request_log[mark:] == []
    client.close()


def test_health_does_not_hide_a_tls_failure(bad_tls: PortalEmulator, canary: Canary) -> None:
    client = PortalClient(bad_tls.url(), settings=fast_settings(bad_tls), policy=LOCAL)
    with canary.raises(PortalTlsError):
        client.health()
    client.close()


def test_ca_bundle_works(emu: PortalEmulator) -> None:
    assert emu.ca_bundle
    client = PortalClient(emu.url(), settings=fast_settings(emu), policy=LOCAL)
    token = client.generate_token(ADMIN, PASSWORD)
    assert client.info(token).version
    assert client.health().ready
    client.close()


def test_private_ca_not_in_the_default_trust_store_fails(
    emu: PortalEmulator, canary: Canary
) -> None:
    client = PortalClient(emu.url(), settings=fast_settings(None), policy=LOCAL)
    with canary.raises(PortalTlsError, match="local issuer|certificate verify failed"):
        client.generate_token(ADMIN, PASSWORD)
    client.close()


def test_bundle_of_another_ca_fails(
    emu: PortalEmulator, other_ca: PortalEmulator, canary: Canary
) -> None:
    client = PortalClient(emu.url(), settings=fast_settings(other_ca), policy=LOCAL)
    with canary.raises(PortalTlsError):
        client.generate_token(ADMIN, PASSWORD)
    client.close()


def test_verification_is_on(emu: PortalEmulator) -> None:
    client = PortalClient(emu.url(), settings=fast_settings(emu), policy=LOCAL)
    assert client._http._session.verify == emu.ca_bundle
    client.close()
    default = PortalClient(emu.url(), settings=fast_settings(None), policy=LOCAL)
    assert default._http._session.verify is True
    default.close()


# --- row 24: plain http ------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain() -> Iterator[PortalEmulator]:
    with running(portal_settings("11.3", tls=False, http_allowed=True)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def plain_strict() -> Iterator[PortalEmulator]:
    """A portal reached over http that itself requires SSL (answers 403 "SSL Required")."""
    with running(portal_settings("11.3", tls=False, http_allowed=False)) as emulator:
        yield emulator


def test_http_url_is_refused_by_default(plain: PortalEmulator, canary: Canary) -> None:
    mark = len(plain.request_log)
    assert plain.url().startswith("http://")
    with canary.raises(InsecurePortalUrl, match="plain http"):
        PortalClient(plain.url(), policy=LOCAL)
    assert plain.request_log[mark:] == []


def test_http_allowed_for_local_testing(plain: PortalEmulator) -> None:
    client = PortalClient(plain.url(), policy=LOCAL_HTTP, settings=fast_settings(None))
    token = client.generate_token(ADMIN, PASSWORD)
    assert token.ssl is False
    assert client.info(token).version
    assert client.read_shared_key(token).reveal() == plain.portal().stored_shared_key
    assert client.health().ready
    client.close()


def test_http_to_an_ssl_only_portal_is_refused_by_the_portal(
    plain_strict: PortalEmulator, canary: Canary
) -> None:
    client = PortalClient(plain_strict.url(), policy=LOCAL_HTTP, settings=fast_settings(None))
    with canary.raises(PortalAuthFailed, match="SSL Required") as info:
        client.generate_token(ADMIN, PASSWORD)
    assert info.value.code == 403
    client.close()


def test_wrong_host_by_name_fails_closed(canary: Canary) -> None:
    with running(portal_settings("11.3", tls_variant="wrong-host")) as emulator:
        url = emulator.url().replace("127.0.0.1", "localhost")
        client = PortalClient(url, settings=fast_settings(emulator, retries=0), policy=LOCAL)
        with canary.raises(PortalTlsError, match="mismatch"):
            client.generate_token(ADMIN, PASSWORD)
        client.close()


# --- row 39: this host and the link-local network ------------------------------------


def test_a_portal_on_this_host_is_refused_by_default(emu: PortalEmulator, canary: Canary) -> None:
    mark = len(emu.request_log)
    with canary.raises(InsecurePortalUrl, match="loopback"):
        PortalClient(emu.url(), settings=fast_settings(emu))
    assert emu.request_log[mark:] == []


def test_a_name_that_resolves_to_this_host_is_cut_before_any_byte(
    emu: PortalEmulator, canary: Canary
) -> None:
    """The URL names no loopback address, but the connection reaches one: the check of
    the connected peer refuses it before the TLS handshake, so no password is sent."""
    decimal = str(int(ipaddress.IPv4Address("127.0.0.1")))  # resolves to 127.0.0.1
    url = emu.url().replace("127.0.0.1", decimal)
    client = PortalClient(url, settings=fast_settings(emu, retries=0))
    mark = len(emu.request_log)

    with canary.raises(InsecurePortalUrl, match="loopback"):
        client.generate_token(ADMIN, PASSWORD)

    assert emu.request_log[mark:] == []
    client.close()
