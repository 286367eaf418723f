"""Deferred records (completion records, recordings): off the statement's path, durable with the
next record somebody waits for, or within deferred_flush_ms; verify names statements whose
completion never became durable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify
from tests.audit.test_log import read_records


def _types(settings: AuditSettings) -> list[str]:
    return [r["type"] for r in read_records(settings.directory)] if settings.directory.exists() else []


async def test_a_deferred_record_returns_at_once_and_rides_the_next_durable_one(
    make_settings: Callable[..., AuditSettings],
):
    settings = make_settings(fsync_batch_ms=0, deferred_flush_ms=5000)
    log = await AuditLog.open(settings)
    try:
        await log.append("statement", {"session_id": "s1", "statement_id": "a"})
        started = time.monotonic()
        await log.append_deferred("statement_completed", {"session_id": "s1", "statement_id": "a"})
        assert time.monotonic() - started < 0.5
        await asyncio.sleep(0.2)
        assert _types(settings) == ["statement"]  # held back: nothing forced it out yet
        # The session's next write-ahead record is acknowledged only once the completion before
        # it is on disk too: the queue is one chain in order.
        await log.append("statement", {"session_id": "s1", "statement_id": "b"})
        assert _types(settings) == ["statement", "statement_completed", "statement"]
    finally:
        await log.close()


async def test_a_deferred_record_is_written_within_the_bound_without_anything_after_it(
    make_settings: Callable[..., AuditSettings],
):
    settings = make_settings(fsync_batch_ms=0, deferred_flush_ms=150)
    log = await AuditLog.open(settings)
    try:
        await log.append("statement", {"session_id": "s1", "statement_id": "a"})
        await log.append_deferred("statement_completed", {"session_id": "s1", "statement_id": "a"})
        deadline = time.monotonic() + 5
        while "statement_completed" not in _types(settings) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert _types(settings) == ["statement", "statement_completed"]
    finally:
        await log.close()


async def test_close_writes_what_was_deferred(make_settings: Callable[..., AuditSettings]):
    settings = make_settings(fsync_batch_ms=0, deferred_flush_ms=10_000)
    log = await AuditLog.open(settings)
    await log.append("statement", {"session_id": "s1", "statement_id": "a"})
    await log.append_deferred("statement_completed", {"session_id": "s1", "statement_id": "a"})
    await log.close()
    assert _types(settings) == ["statement", "statement_completed", "log_closed"]


async def test_with_fsync_always_a_deferred_record_is_durable_when_it_returns(
    make_settings: Callable[..., AuditSettings],
):
    settings = make_settings(fsync="always", deferred_flush_ms=10_000)
    log = await AuditLog.open(settings)
    try:
        await log.append_deferred("statement_completed", {"session_id": "s1", "statement_id": "a"})
        assert _types(settings) == ["statement_completed"]
    finally:
        await log.close()


async def test_verify_reports_statements_without_a_completion(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    settings = make_settings()
    log = await AuditLog.open(settings)
    await log.append("statement", {"session_id": "s1", "statement_id": "done1"})
    await log.append("statement_completed", {"session_id": "s1", "statement_id": "done1"})
    await log.append("statement", {"session_id": "s2", "statement_id": "open1"})
    await log.close()
    report = verify([settings.directory], public_key)
    assert report.ok and report.unfinished == ("open1",)


async def test_a_grouped_record_pays_no_fsync_and_is_durable_before_the_next_acknowledged_one(
    make_settings: Callable[..., AuditSettings],
):
    # A catalog query's record (the gateway answers it; no backend is asked): queued in chain
    # order before the answer, on disk with the next record somebody waits for.
    settings = make_settings(fsync_batch_ms=0, deferred_flush_ms=5000)
    log = await AuditLog.open(settings)
    try:
        started = time.monotonic()
        await log.append_grouped("statement", {"session_id": "s1", "statement_id": "catalog"})
        await log.append_deferred("statement_completed", {"session_id": "s1", "statement_id": "catalog"})
        assert time.monotonic() - started < 0.5
        await asyncio.sleep(0.2)
        assert _types(settings) == []  # nothing forced them out yet
        await log.append("statement", {"session_id": "s2", "statement_id": "data"})
        assert _types(settings) == ["statement", "statement_completed", "statement"]
    finally:
        await log.close()


async def test_with_fsync_always_a_grouped_record_is_durable_when_it_returns(
    make_settings: Callable[..., AuditSettings],
):
    settings = make_settings(fsync="always", deferred_flush_ms=10_000)
    log = await AuditLog.open(settings)
    try:
        await log.append_grouped("statement", {"session_id": "s1", "statement_id": "catalog"})
        assert _types(settings) == ["statement"]
    finally:
        await log.close()
