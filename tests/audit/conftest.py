"""Fixtures for the audit tests: a real key pair, settings in a temp dir, a settable clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings, generate_signing_key, load_public_key


class Clock:
    """A wall clock the test moves by hand (days for rotation and retention)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture()
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "audit-signing-key.pem"
    generate_signing_key(path)
    return path


@pytest.fixture()
def public_key(key_file: Path) -> Ed25519PublicKey:
    return load_public_key(key_file.with_suffix(".pub"))


@pytest.fixture()
def make_settings(tmp_path: Path, key_file: Path) -> Callable[..., AuditSettings]:
    def make(**overrides: Any) -> AuditSettings:
        base = AuditSettings(
            enabled=True,
            directory=tmp_path / "audit",
            signing_key_file=key_file,
            fsync="batch",
            fsync_batch_ms=1,
            rotate_bytes=1024 * 1024,
            rotate_daily=True,
            retention_days=None,
            record_results=True,
            record_max_rows=100,
            record_max_bytes=64 * 1024,
        )
        return dataclasses.replace(base, **overrides)

    return make


@pytest.fixture()
def settings(make_settings: Callable[..., AuditSettings]) -> AuditSettings:
    return make_settings()


@pytest.fixture()
async def audit_log(settings: AuditSettings) -> AsyncIterator[AuditLog]:
    log = await AuditLog.open(settings)
    yield log
    await log.close()


async def fill(log: AuditLog, count: int, session_id: str = "s1") -> None:
    for index in range(count):
        fields = {"session_id": session_id, "sql": f"SELECT {index}", "decision": "allow"}
        await log.append("statement", fields)
