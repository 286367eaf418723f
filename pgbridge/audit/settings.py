"""The [audit] settings and the signing key the gateway holds.

The private key signs every record; the public key is all that verification needs, so it is
written beside the private key and copied beside the log. Paths in the TOML are relative to
the data directory the caller passes in, so a demo folder moves as a whole.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pgbridge.config_base import ConfigError, Section

FsyncPolicy = Literal["always", "batch"]


@dataclass(frozen=True)
class AuditSettings:
    enabled: bool
    directory: Path
    signing_key_file: Path
    fsync: FsyncPolicy
    fsync_batch_ms: int
    rotate_bytes: int
    rotate_daily: bool
    retention_days: int | None
    record_results: bool
    record_max_rows: int
    record_max_bytes: int
    deferred_flush_ms: int = 100  # completion records and recordings wait at most this long (batch)
    # Several gateways: each record names the gateway that wrote it (None: records carry none).
    gateway_id: str | None = None
    anchors: AnchorSettings | None = None


@dataclass(frozen=True)
class AnchorSettings:
    """`[audit.anchors]`: signed checkpoints of the chain head, kept where this host cannot rewrite them."""

    url: str  # postgresql://... (an INSERT-only role on the anchors table) or gs://BUCKET/PREFIX
    interval_s: float = 10.0  # a checkpoint at least this often while records are written
    # statements are refused once no checkpoint has reached the sink for this long (0: never refuse)
    max_unanchored_s: float = 60.0


def audit_settings_from(section: Section, base_dir: Path) -> AuditSettings:
    """Read the [audit] table; every error names its key (ConfigError)."""
    settings = AuditSettings(
        enabled=section.get("enabled", bool, True),
        directory=_path(section, "directory", "audit", base_dir),
        signing_key_file=_path(section, "signing_key_file", "audit-signing-key.pem", base_dir),
        fsync=cast(FsyncPolicy, section.choice("fsync", ("always", "batch"), "batch")),
        # 0 = natural group commit (records that queue during an fsync share the next one);
        # a window only pays where fsync is slow: measured here it cost latency and throughput
        fsync_batch_ms=_at_least(section, "fsync_batch_ms", 0, 0),
        # completion records and recordings are durable with the next write-ahead record, or
        # after this long: what a crash may lose of them (audit/log.py)
        deferred_flush_ms=_at_least(section, "deferred_flush_ms", 100, 0),
        rotate_bytes=_at_least(section, "rotate_bytes", 64 * 1024 * 1024, 4096),
        rotate_daily=section.get("rotate_daily", bool, True),
        retention_days=_retention(section),
        record_results=section.get("record_results", bool, True),
        record_max_rows=_at_least(section, "record_max_rows", 1000, 0),
        record_max_bytes=_at_least(section, "record_max_bytes", 1024 * 1024, 0),
        gateway_id=_gateway_id(section),
        anchors=_anchors(section.sub("anchors")) if "anchors" in section.table else None,
    )
    if settings.fsync_batch_ms > 1000:
        raise ConfigError(section.key("fsync_batch_ms"), "must be at most 1000 (it delays every statement)")
    if settings.deferred_flush_ms > 10_000:
        raise ConfigError(
            section.key("deferred_flush_ms"), "must be at most 10000 (a crash loses what it holds back)"
        )
    section.check_unknown()
    return settings


def _gateway_id(section: Section) -> str:
    """The gateway's name in its records and anchors: unique per gateway, stable across restarts."""
    value = section.get("gateway_id", str, "") or socket.gethostname()
    if not value.isprintable() or len(value) > 128:
        raise ConfigError(section.key("gateway_id"), "must be printable text of at most 128 characters")
    return value


def _anchors(section: Section) -> AnchorSettings:
    url = section.require("url", str)
    if not url.startswith(("postgresql://", "postgres://", "gs://")) or url.rstrip("/") == "gs:/":
        raise ConfigError(section.key("url"), "must be a postgresql:// URL (the anchors table) or gs://BUCKET/PREFIX")
    settings = AnchorSettings(
        url=url,
        interval_s=section.get("interval_s", float, 10.0),
        max_unanchored_s=section.get("max_unanchored_s", float, 60.0),
    )
    if not 0.1 <= settings.interval_s <= 3600:
        raise ConfigError(section.key("interval_s"), "must be between 0.1 and 3600 seconds")
    if settings.max_unanchored_s and settings.max_unanchored_s < 2 * settings.interval_s:
        raise ConfigError(
            section.key("max_unanchored_s"), "must be 0 (never refuse) or at least twice interval_s"
        )
    section.check_unknown()
    return settings


def _path(section: Section, name: str, default: str, base_dir: Path) -> Path:
    value = section.get(name, str, default)
    if not value:
        raise ConfigError(section.key(name), "must not be empty")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def _at_least(section: Section, name: str, default: int, minimum: int) -> int:
    value = section.get(name, int, default)
    if value < minimum:
        raise ConfigError(section.key(name), f"must be at least {minimum}, got {value}")
    return value


def _retention(section: Section) -> int | None:
    days = section.optional("retention_days", int)
    if days is not None and days < 1:
        raise ConfigError(section.key("retention_days"), f"must be at least 1 day, got {days}")
    return days


def public_key_path(private_key_file: Path) -> Path:
    return private_key_file.with_suffix(".pub")


def generate_signing_key(path: Path) -> None:
    """Write a new Ed25519 private key (PEM, mode 0600) and its public key beside it (.pub)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key that signed an existing chain.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_key_path(path).write_bytes(public_pem(key.public_key()))


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The gateway's private key; a readable-by-others file is refused (fail closed)."""
    mode = path.stat().st_mode
    if mode & 0o077:
        raise PermissionError(f"{path} is open to group or others (mode {oct(mode & 0o777)}); chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key
