"""The secured local Kafka's material, made once under NEWSFLOW_HOME/secrets/kafka (0700):
a CA, one certificate per broker (SAN 127.0.0.1 and localhost), and generated passwords of the
SCRAM users (pipeline, admin, and the brokers' own), every key and password file 0600."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.kafka_security import ADMIN_USER, CA_FILE, PIPELINE_USER, password_file, secrets_dir

# The brokers authenticate to each other (SCRAM) and to the controllers (PLAIN) as this user.
BROKER_USER = "newsflow-broker"
USERS = (PIPELINE_USER, ADMIN_USER, BROKER_USER)
CA_KEY = "ca.key"
VALID_DAYS = 825


def _write_private(path: Path, data: bytes) -> None:
    """Created 0600 from the start: never readable by others, not even for a moment."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def _directory(settings: Settings) -> Path:
    path = secrets_dir(settings)
    path.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    path.chmod(0o700)
    return path


def password(settings: Settings, user: str) -> str:
    path = password_file(settings, user)
    if not path.exists():
        _write_private(path, (secrets.token_urlsafe(24) + "\n").encode())
    return path.read_text().strip()


def broker_files(settings: Settings, node: int) -> tuple[Path, Path]:
    """(certificate chain, key) of broker `node`, made on first use."""
    folder = _directory(settings)
    cert, key = folder / f"broker-{node}.crt", folder / f"broker-{node}.key"
    if not (cert.exists() and key.exists()):
        ca_cert, ca_key = _ca(folder)
        _issue(ca_cert, ca_key, f"newsflow-broker-{node}", cert, key)
    return cert, key


def ensure(settings: Settings) -> Path:
    """Everything the secured stack needs, made once; the CA file's path."""
    folder = _directory(settings)
    _ca(folder)
    for user in USERS:
        password(settings, user)
    for node in range(1, settings.kafka_brokers + 1):
        broker_files(settings, node)
    return folder / CA_FILE


def _ca(folder: Path) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / CA_FILE, folder / CA_KEY
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newsflow local Kafka CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _pkcs8(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _pkcs8(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    # Kafka's PEM key store reads unencrypted PKCS#8 keys.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(ca_cert: Any, ca_key: Any, common_name: str, cert_path: Path, key_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, _pkcs8(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    cert_path.write_bytes(chain)
