"""AuditLog: one chain from many sessions, durable appends, resume, rotation, guards."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog, AuditUnavailable
from pgbridge.audit.settings import AuditSettings, generate_signing_key
from pgbridge.audit.verify import verify
from tests.audit.conftest import Clock, fill


def read_records(directory: Path) -> list[dict]:
    files = records.log_files(directory)
    return [json.loads(line) for path in files for line in path.read_bytes().splitlines()]


async def test_refs_chain_and_verify(
    audit_log: AuditLog, settings: AuditSettings, public_key: Ed25519PublicKey
):
    first = await audit_log.append("connection_opened", {"session_id": "s1", "peer": "127.0.0.1:5000"})
    second = await audit_log.append("statement", {"session_id": "s1", "sql": "SELECT 1"})
    assert (first.seq, second.seq) == (1, 2)
    written = read_records(settings.directory)
    assert written[1]["prev"] == first.hash
    second_line = records.log_files(settings.directory)[0].read_bytes().splitlines()[1]
    assert records.record_hash(second_line) == second.hash
    assert written[0]["ts"].endswith("Z") and len(written[0]["ts"].split(".")[1]) == 7  # microseconds + Z
    report = verify([settings.directory], public_key)
    assert report.ok and report.records == 2 and report.last_hash == second.hash


async def test_concurrent_sessions_share_one_gapless_chain(
    audit_log: AuditLog, settings: AuditSettings, public_key: Ed25519PublicKey
):
    async def session(number: int) -> list[int]:
        refs = [await audit_log.append("statement", {"session_id": f"s{number}", "n": i}) for i in range(20)]
        return [ref.seq for ref in refs]

    results = await asyncio.gather(*(session(n) for n in range(25)))
    seqs = sorted(seq for result in results for seq in result)
    assert seqs == list(range(1, 501))
    for result in results:  # each session's own records stay in its order
        assert result == sorted(result)
    assert verify([settings.directory], public_key).ok


async def test_secret_field_names_are_refused(audit_log: AuditLog):
    with pytest.raises(ValueError, match="password"):
        await audit_log.append("auth_failed", {"session_id": "s", "password": "hunter2"})
    with pytest.raises(ValueError, match="(?i)token"):
        await audit_log.append("auth_failed", {"session_id": "s", "claims": [{"Token": "eyJ..."}]})
    ref = await audit_log.append("auth_failed", {"session_id": "s", "token_id": "jti-1"})
    assert ref.seq == 1  # the refused ones took no place in the chain


async def test_unrecordable_value_fails_only_its_own_append(audit_log: AuditLog):
    bad = audit_log.append("statement", {"value": object()})
    good = audit_log.append("statement", {"value": 1})
    outcome = await asyncio.gather(bad, good, return_exceptions=True)
    assert isinstance(outcome[0], TypeError)
    assert not isinstance(outcome[1], BaseException) and outcome[1].seq == 1


async def test_reopen_continues_the_chain_and_marks_clean_shutdown(
    settings: AuditSettings, public_key: Ed25519PublicKey
):
    log = await AuditLog.open(settings)
    await fill(log, 3)
    await log.close()
    log = await AuditLog.open(settings)
    ref = await log.append("statement", {"sql": "after restart"})
    await log.close()
    kinds = [record["type"] for record in read_records(settings.directory)]
    assert kinds == ["statement"] * 3 + ["log_closed", "statement", "log_closed"]
    assert ref.seq == 5
    assert verify([settings.directory], public_key).ok


async def test_two_writers_on_one_directory_are_refused(audit_log: AuditLog, settings: AuditSettings):
    with pytest.raises(AuditUnavailable, match="another process"):
        await AuditLog.open(settings)


async def test_a_different_key_cannot_continue_the_log(
    make_settings: Callable[..., AuditSettings], tmp_path: Path
):
    log = await AuditLog.open(make_settings())
    await fill(log, 1)
    await log.close()
    other = tmp_path / "other.pem"
    generate_signing_key(other)
    with pytest.raises(AuditUnavailable, match="signed by another key"):
        await AuditLog.open(make_settings(signing_key_file=other))


async def test_rotation_by_size_chains_across_files(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    settings = make_settings(rotate_bytes=4096, fsync="always")
    log = await AuditLog.open(settings)
    await fill(log, 60)
    await log.close()
    files = records.log_files(settings.directory)
    assert len(files) >= 5
    assert all(path.stat().st_size < 4096 + 1024 for path in files)
    first_of_second = json.loads(files[1].read_bytes().splitlines()[0])
    last_of_first = files[0].read_bytes().splitlines()[-1]
    assert first_of_second["prev"] == records.record_hash(last_of_first)
    report = verify([settings.directory], public_key)
    assert report.ok and report.records == 61 and report.files == len(files)


async def test_rotation_by_day(make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey):
    clock = Clock()
    settings = make_settings()
    log = await AuditLog.open(settings, clock=clock)
    await fill(log, 2)
    clock.advance(days=1)
    await fill(log, 2)
    await log.close()
    names = [path.name for path in records.log_files(settings.directory)]
    assert names == ["audit-000000000001-20250301.jsonl", "audit-000000000003-20250302.jsonl"]
    assert verify([settings.directory], public_key).ok


async def test_disabled_log_writes_nothing(make_settings: Callable[..., AuditSettings]):
    settings = make_settings(enabled=False)
    log = await AuditLog.open(settings)
    ref = await log.append("statement", {"sql": "SELECT 1"})
    recording = log.recording("st")
    await log.close()
    assert ref.seq == 0 and not recording.enabled and not settings.directory.exists()


async def test_append_does_not_block_the_event_loop(
    make_settings: Callable[..., AuditSettings],
):
    # while fsyncs run on the writer thread, a ticker on the loop keeps ticking
    log = await AuditLog.open(make_settings(fsync="always"))
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await fill(log, 30)
    done.set()
    await task
    await log.close()
    assert ticks >= 30
