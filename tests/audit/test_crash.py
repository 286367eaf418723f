"""kill -9 at any moment leaves a log that verifies up to its last complete record."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.log import AuditLog, AuditUnavailable
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify

ROOT = Path(__file__).resolve().parents[2]


def run_and_kill(settings: AuditSettings, wait_for: int) -> list[int]:
    """Start the writer process, SIGKILL it once it acknowledged `wait_for` records."""
    options = {name: str(value) if isinstance(value, Path) else value
               for name, value in dataclasses.asdict(settings).items()}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.crash_writer", json.dumps(options)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    acknowledged: list[int] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    try:
        while len(acknowledged) < wait_for and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line))
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        stderr = process.stderr.read().decode() if process.stderr else ""
        process.stdout.close()
        if process.stderr:
            process.stderr.close()
    assert len(acknowledged) >= wait_for, stderr
    return acknowledged


@pytest.mark.slow  # SIGKILL under load, then recovery
@pytest.mark.parametrize("fsync", ["always", "batch"])
async def test_sigkill_under_load_leaves_a_verifiable_log(
    make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey, fsync: str
):
    settings = make_settings(fsync=fsync, rotate_bytes=16 * 1024)
    for round_number, wait_for in enumerate((150, 400, 250)):
        acknowledged = run_and_kill(settings, wait_for)
        report = verify([settings.directory], public_key)
        # a SIGKILL cannot tear a write(2) in half, so the whole log verifies; nothing promised is lost
        assert report.ok, (round_number, report)
        assert report.last_seq is not None and report.last_seq >= max(acknowledged)
        # the next start notices the unclean end, says so in the chain, and carries on
        log = await AuditLog.open(settings)
        await log.append("statement", {"sql": "after the crash"})
        await log.close()
        assert verify([settings.directory], public_key).ok
    kinds = [json.loads(line)["type"] for path in records.log_files(settings.directory)
             for line in path.read_bytes().splitlines()]
    assert kinds.count("log_recovered") == 3


async def test_torn_last_line_is_cut_and_recorded(
    settings: AuditSettings, public_key: Ed25519PublicKey
):
    log = await AuditLog.open(settings)
    for index in range(5):
        await log.append("statement", {"n": index})
    await log.close()
    path = records.log_files(settings.directory)[-1]
    whole = path.read_bytes()
    fragment = b'{"data":{"n":99},"prev":"ab'  # what a power cut mid-write leaves
    torn = whole + fragment
    path.write_bytes(torn)
    report = verify([settings.directory], public_key)
    assert not report.ok and report.records == 6 and "cut mid-record" in (report.first_problem or "")
    log = await AuditLog.open(settings)
    await log.close()
    lines = path.read_bytes().splitlines()
    recovered = json.loads(lines[6])
    assert recovered["type"] == "log_recovered"
    expected = {"clean_shutdown": False, "file": path.name, "last_seq": 6, "torn_bytes": len(fragment)}
    assert recovered["data"] == expected
    assert verify([settings.directory], public_key).ok


async def test_damaged_last_record_refuses_to_continue(settings: AuditSettings):
    log = await AuditLog.open(settings)
    await log.append("statement", {"n": 1})
    await log.close()
    path = records.log_files(settings.directory)[-1]
    path.write_bytes(path.read_bytes().replace(b'"log_closed"', b'"log_closez"'))
    with pytest.raises(AuditUnavailable, match="does not verify"):
        await AuditLog.open(settings)
