"""When the log cannot be written, appends fail with AuditUnavailable and no record is lost.

The disk-full case uses a real 1 MiB tmpfs (we run as root here); where `mount` is not allowed
it falls back to injecting ENOSPC into the writer's os.write, and the test says which it used.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import writer as writer_module
from pgbridge.audit.log import DISK_FULL, AuditLog, AuditUnavailable
from pgbridge.audit.settings import AuditSettings
from pgbridge.audit.verify import verify
from pgbridge.wire.errors import SqlState


@dataclasses.dataclass
class SmallDisk:
    path: Path
    real: bool  # a real tmpfs, or injected ENOSPC
    filler: Path

    def fill(self, leave: int) -> None:
        """Take all space but about `leave` bytes."""
        stats = os.statvfs(self.path)
        free = stats.f_bavail * stats.f_frsize
        with open(self.filler, "ab") as out:
            out.write(b"\0" * max(0, free - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture()
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True
    ).returncode == 0
    disk = SmallDisk(mount_point, mounted, mount_point / "filler")
    if not mounted:
        _inject_enospc(monkeypatch, disk)
    try:
        yield disk
    finally:
        if mounted:
            subprocess.run(["umount", str(mount_point)], check=True)


def _inject_enospc(monkeypatch: pytest.MonkeyPatch, disk: SmallDisk) -> None:
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        if disk.filler.exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(writer_module.os, "write", write)
    monkeypatch.setattr(disk, "fill", lambda leave: disk.filler.write_bytes(b"x"))


async def test_disk_full_refuses_and_loses_nothing(
    small_disk: SmallDisk, make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey,
    caplog: pytest.LogCaptureFixture,
):
    settings = make_settings(directory=small_disk.path / "audit")
    log = await AuditLog.open(settings)
    acknowledged = [await log.append("statement", {"n": index}) for index in range(10)]
    small_disk.fill(leave=8 * 1024)
    refused: AuditUnavailable | None = None
    with caplog.at_level(logging.CRITICAL, logger="pgbridge.audit"):
        for index in range(10, 10_000):
            try:
                acknowledged.append(await log.append("statement", {"n": index, "pad": "x" * 200}))
            except AuditUnavailable as exc:
                refused = exc
                break
    assert refused is not None, f"never ran out of space (real tmpfs: {small_disk.real})"
    assert refused.sqlstate == DISK_FULL
    assert "audit log cannot be written" in refused.message and "statement was not run" in refused.message
    assert any("AUDIT LOG CANNOT BE WRITTEN" in record.getMessage() for record in caplog.records)
    # everything acknowledged is there, nothing half-written follows it
    report = verify([settings.directory], public_key)
    assert report.ok and report.last_seq == acknowledged[-1].seq == len(acknowledged)
    with pytest.raises(AuditUnavailable):  # still full: still refused
        await log.append("statement", {"n": "again", "pad": "x" * 2000})
    small_disk.free()
    after = await log.append("statement", {"n": "after space was freed"})
    assert after.seq == len(acknowledged) + 1
    await log.close()
    assert verify([settings.directory], public_key).ok


async def test_a_grouped_record_on_a_failing_log_waits_and_is_refused(
    small_disk: SmallDisk, make_settings: Callable[..., AuditSettings], public_key: Ed25519PublicKey
):
    # A catalog query's record skips its own fsync only while the log is healthy: once a write
    # failed, it waits for its write like a write-ahead record, and the answer is refused.
    settings = make_settings(directory=small_disk.path / "audit", deferred_flush_ms=10_000)
    log = await AuditLog.open(settings)
    await log.append("statement", {"n": 0})
    small_disk.fill(leave=8 * 1024)
    with pytest.raises(AuditUnavailable):
        for index in range(1, 10_000):
            await log.append("statement", {"n": index, "pad": "x" * 200})
    assert log.last_error is not None
    with pytest.raises(AuditUnavailable) as refused:
        await log.append_grouped("statement", {"n": "catalog", "pad": "x" * 2000})
    assert "the statement was not run" in refused.value.message
    small_disk.free()
    await log.append_grouped("statement", {"n": "catalog after space was freed"})  # waited: durable
    assert log.last_error is None
    await log.close()
    report = verify([settings.directory], public_key)
    assert report.ok


async def test_fsync_failure_is_an_io_error_and_rolls_back(
    settings: AuditSettings, public_key: Ed25519PublicKey, monkeypatch: pytest.MonkeyPatch
):
    # EIO from fsync cannot be produced on demand by a real disk here: injected, once
    log = await AuditLog.open(settings)
    await log.append("statement", {"n": 1})
    real_fsync = os.fsync
    failures = iter([True])

    def fsync(fd: int) -> None:
        if next(failures, False):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(writer_module.os, "fsync", fsync)
    with pytest.raises(AuditUnavailable) as refused:
        await log.append("statement", {"n": 2})
    assert refused.value.sqlstate == SqlState.IO_ERROR
    ref = await log.append("statement", {"n": 3})
    await log.close()
    assert ref.seq == 2  # the refused record was cut off and its seq reused
    report = verify([settings.directory], public_key)
    assert report.ok and report.records == 3


async def test_unwritable_directory_fails_open(make_settings: Callable[..., AuditSettings], tmp_path: Path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(AuditUnavailable, match="cannot open"):
        await AuditLog.open(make_settings(directory=blocker / "audit"))


@pytest.mark.parametrize(
    ("event_type", "consequence"),
    [
        ("statement", "the statement was not run"),
        ("statement_completed", "the statement ran, but its completion and results could not be recorded"),
        ("connection_opened", "the connection is refused"),
        ("cancel", "the event could not be recorded"),
    ],
)
def test_the_refusal_says_what_happened_to_the_statement(event_type: str, consequence: str):
    from pgbridge.audit.log import from_os_error

    error = from_os_error(OSError(errno.ENOSPC, "No space left on device"), event_type)
    assert error.sqlstate == DISK_FULL
    assert error.message == f"the audit log cannot be written (No space left on device); {consequence}"
    assert from_os_error(OSError(errno.EIO, "Input/output error"), event_type).sqlstate == SqlState.IO_ERROR
