"""TLS variants: only the valid certificate verifies against the CA bundle."""

from __future__ import annotations

import http.client
import ipaddress
import ssl
from pathlib import Path

import pytest
import requests
from cryptography import x509
from portal_local.emulator import PortalEmulator, PortalSettings

from .helpers import StartEmulator, fast

pytestmark = pytest.mark.emulator


def health(emu: PortalEmulator, verify: str | bool) -> int:
    session = requests.Session()
    session.trust_env = False
    url = f"{emu.url()}/portaladmin/healthCheck"
    return session.get(url, params={"f": "json"}, verify=verify, timeout=5).status_code


def test_valid_certificate_verifies_with_the_ca_bundle(emu: PortalEmulator) -> None:
    assert emu.url().startswith("https://127.0.0.1:")
    assert emu.ca_bundle is not None
    assert health(emu, emu.ca_bundle) == 200
    # the stdlib agrees, with hostname checking on
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    connection = http.client.HTTPSConnection("127.0.0.1", emu.port, context=context, timeout=5)
    try:
        connection.request("GET", "/arcgis/portaladmin/healthCheck?f=json")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_valid_certificate_names_ip_and_localhost(emu: PortalEmulator) -> None:
    assert emu.server_cert is not None
    assert emu.ca_bundle is not None
    cert = x509.load_pem_x509_certificate(Path(emu.server_cert).read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.IPv4Address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    ca = x509.load_pem_x509_certificate(Path(emu.ca_bundle).read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_untrusted_without_the_ca_bundle(emu: PortalEmulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        health(emu, True)


@pytest.mark.parametrize(
    ("variant", "reason"),
    [("wrong-host", "mismatch"), ("expired", "expired")],
)
def test_bad_certificates_fail_with_the_ca_bundle(
    start_emulator: StartEmulator, variant: str, reason: str
) -> None:
    emu = start_emulator(fast(tls_variant=variant))
    assert emu.ca_bundle is not None
    with pytest.raises(requests.exceptions.SSLError, match=reason):
        health(emu, emu.ca_bundle)


def test_self_signed_has_no_ca_and_fails_default_verification(
    start_emulator: StartEmulator,
) -> None:
    emu = start_emulator(fast(tls_variant="self-signed"))
    assert emu.ca_bundle is None
    assert emu.server_cert is not None
    cert = x509.load_pem_x509_certificate(Path(emu.server_cert).read_bytes())
    assert cert.issuer == cert.subject
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(requests.exceptions.SSLError, match="self-signed"):
        health(emu, True)


def test_plain_http_when_tls_is_off(start_emulator: StartEmulator) -> None:
    emu = start_emulator(fast(tls=False))
    assert emu.url().startswith("http://127.0.0.1:")
    assert emu.ca_bundle is None
    assert emu.server_cert is None
    assert health(emu, True) == 200


def test_portals_of_one_server_share_tls() -> None:
    with pytest.raises(ValueError, match="tls"):
        PortalEmulator([PortalSettings(), PortalSettings(context="b", tls_variant="expired")])


def test_tls_files_are_removed_on_stop(start_emulator: StartEmulator) -> None:
    emu = start_emulator()
    bundle = emu.ca_bundle
    assert bundle is not None
    assert Path(bundle).exists()
    emu.stop()
    assert not Path(bundle).exists()


def test_a_client_rejecting_the_handshake_does_not_hurt_the_server(emu: PortalEmulator) -> None:
    for _ in range(3):
        with pytest.raises(requests.exceptions.SSLError):
            health(emu, True)
    assert health(emu, emu.ca_bundle or True) == 200
