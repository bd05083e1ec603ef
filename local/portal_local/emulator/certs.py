"""TLS material made at start: a private CA and a server certificate, in four variants.

valid        CA-signed, SAN IP 127.0.0.1 + DNS localhost, valid now
wrong-host   CA-signed, but for another host name only
expired      CA-signed, for 127.0.0.1 + localhost, validity entirely in the past
self-signed  no CA: the server certificate signs itself and is not a CA (no bundle)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

WRONG_HOST_NAME = "portal.wrong-host.invalid"
VARIANTS = ("valid", "wrong-host", "expired", "self-signed")


@dataclass(frozen=True)
class TlsFiles:
    cert_file: Path  # the server certificate (leaf only), PEM
    key_file: Path  # its private key, PEM
    ca_file: Path | None  # the CA that signed it, PEM; None when self-signed


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Portal Emulator (local only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _make_ca(now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Portal Emulator Local CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_server_cert(
    variant: str,
    now: dt.datetime,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    if variant == "wrong-host":
        names: list[x509.GeneralName] = [x509.DNSName(WRONG_HOST_NAME)]
        subject = _name(WRONG_HOST_NAME)
    else:
        names = [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
        subject = _name("localhost")
    if variant == "expired":
        not_before, not_after = now - dt.timedelta(days=60), now - dt.timedelta(days=1)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=30)
    issuer_name = issuer[0].subject if issuer else subject
    signing_key = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(signing_key, hashes.SHA256()), key


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_tls_files(variant: str, directory: Path) -> TlsFiles:
    """Generate the material of ``variant`` and write it as PEM files into ``directory``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown TLS variant {variant!r}; one of {VARIANTS}")
    now = dt.datetime.now(dt.UTC)
    ca = None if variant == "self-signed" else _make_ca(now)
    cert, key = _make_server_cert(variant, now, ca)
    cert_file, key_file = directory / "server-cert.pem", directory / "server-key.pem"
    cert_file.write_bytes(_pem(cert))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    ca_file = None
    if ca is not None:
        ca_file = directory / "ca-bundle.pem"
        ca_file.write_bytes(_pem(ca[0]))
    return TlsFiles(cert_file, key_file, ca_file)
