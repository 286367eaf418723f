"""Everything the demo needs in its data folder, made on first run and reused after.

- warehouse.duckdb: the `shop` dataset (pgbridge.demo.warehouse)
- token-signing key pair (Ed25519): `pgbridge token` signs with it, the gateway verifies
- server.crt / server.key: a self-signed certificate for 127.0.0.1 and localhost
- audit signing key, masking hash key
- pgbridge.toml: the configuration `pgbridge serve --config` would read
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from pgbridge.demo import warehouse

CONFIG_NAME = "pgbridge.toml"
TOKEN_KEY = "token-signing.key"
TOKEN_PUBLIC_KEY = "token-signing.pub"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_token_keys(data_dir: Path) -> None:
    private, public = data_dir / TOKEN_KEY, data_dir / TOKEN_PUBLIC_KEY
    if private.exists() and public.exists():
        return
    key = ed25519.Ed25519PrivateKey.generate()
    _write_private(
        private,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def ensure_certificate(data_dir: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> None:
    cert_path, key_path = data_dir / "server.crt", data_dir / "server.key"
    if cert_path.exists() and key_path.exists():
        return
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pgbridge demo")])
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ensure_secret(path: Path, size: int = 32) -> None:
    if not path.exists():
        _write_private(path, secrets.token_bytes(size))


def ensure_demo(data_dir: Path, host: str, port: int, admin_port: int = 0) -> Path:
    """Create what is missing under data_dir; return the config file's path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)  # clear personal data, keys and approvals: the owner's only
    if not (data_dir / "warehouse.duckdb").exists():
        warehouse.build(data_dir / "warehouse.duckdb")
        (data_dir / "warehouse.duckdb").chmod(0o600)
    ensure_token_keys(data_dir)
    ensure_certificate(data_dir)
    ensure_secret(data_dir / "masking-hash.key")
    _ensure_audit_key(data_dir)
    config = data_dir / CONFIG_NAME
    config.write_text(demo_config(host, port, admin_port), encoding="utf-8")
    return config


def _ensure_audit_key(data_dir: Path) -> None:
    path = data_dir / "audit-signing-key.pem"
    if path.exists():
        return
    try:
        from pgbridge.audit.settings import generate_signing_key
    except ImportError:
        return
    generate_signing_key(path)


def demo_config(host: str, port: int, admin_port: int = 0) -> str:
    from pgbridge.demo.config_text import render

    return render(host, port, admin_port)
