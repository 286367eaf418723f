"""The chain writer: blocking file work, run only on the audit writer thread.

It owns the chain head (last sequence number and hash) and the open files. A group of
records is written with one write and made durable with one fsync; recorded results go to the
`.results` file first and are fsynced before the records that reference them, unless they are
small enough to travel inside their record (records.INLINE_RESULTS_MAX). If any write or
fsync fails, both files are cut back to where the group began and the head is restored, so a
refused statement leaves no half record and the chain continues cleanly once the disk recovers.

Resuming after a crash: a partial last line (a torn write) is cut off and a `log_recovered`
record says so; a complete last record must verify with our own key, or we refuse to continue a
chain we cannot vouch for.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pgbridge.audit import records
from pgbridge.audit.records import GENESIS
from pgbridge.audit.retention import expired_prefix, first_record_after, retention_fields
from pgbridge.audit.settings import AuditSettings, public_pem
from pgbridge.ops.metrics import AUDIT_FSYNC_SECONDS

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ChainError(Exception):
    """The existing log cannot be continued safely (foreign key, damaged head, locked)."""


@dataclass(frozen=True, slots=True)
class AuditRef:
    """Where a record sits in the chain: its sequence number and its hash."""

    seq: int
    hash: str


@dataclass(slots=True)
class Job:
    event_type: str
    fields: Mapping[str, Any]
    blob: bytes | None = None  # recorded results that the record's "recording" field refers to


@dataclass(slots=True)
class _Open:
    path: Path
    fd: int
    size: int
    results_fd: int
    results_size: int
    day: dt.date


@dataclass(slots=True)
class _Head:
    seq: int = 0
    hash: str = GENESIS
    last_type: str | None = None
    recovered: dict[str, Any] = field(default_factory=dict)


class ChainWriter:
    def __init__(self, settings: AuditSettings, key: Ed25519PrivateKey, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.directory = settings.directory
        self.key = key
        self.clock = clock
        self.head = _Head()
        self.current: _Open | None = None
        self._lock_fd: int | None = None
        # the last record known to be on disk: what an anchor may vouch for (read by other threads)
        self.durable = AuditRef(0, GENESIS)

    # ---- opening and resuming ------------------------------------------------------------

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock()
        self._publish_public_key()
        self._resume()
        if self.head.seq and (self.head.recovered or self.head.last_type != "log_closed"):
            self.write_group([Job("log_recovered", self._recovery_fields())], raise_errors=True)
        self.apply_retention()

    def _lock(self) -> None:
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ChainError(f"another process is writing the audit log in {self.directory}") from None
        self._lock_fd = fd

    def _publish_public_key(self) -> None:
        pem = public_pem(self.key.public_key())
        path = self.directory / records.PUBLIC_KEY_NAME
        if not path.exists():
            path.write_bytes(pem)
        elif path.read_bytes() != pem:
            raise ChainError(
                f"the audit signing key does not match {path}: this log was signed by another key; "
                "use the original key or start a new audit directory"
            )

    def _resume(self) -> None:
        for path in reversed(records.log_files(self.directory)):
            torn = _cut_torn_tail(path)
            if torn:
                self.head.recovered = {"file": path.name, "torn_bytes": torn}
            last = _last_line(path)
            if last is None:  # a file created just before a crash, holding nothing
                path.unlink()
                records.results_path(path).unlink(missing_ok=True)
                continue
            self._adopt_head(path, last)
            return

    def _adopt_head(self, path: Path, line: bytes) -> None:
        try:
            record = records.open_record(line, self.key.public_key())
        except records.RecordError as exc:
            raise ChainError(
                f"the last record of {path} does not verify ({exc}); run `pgbridge audit verify` "
                "before the gateway may continue this log"
            ) from None
        self.head.seq, self.head.hash = record["seq"], records.record_hash(line)
        self.head.last_type = record["type"]
        self.durable = AuditRef(self.head.seq, self.head.hash)
        self.current = self._open_files(path)

    def _recovery_fields(self) -> dict[str, Any]:
        return {
            "clean_shutdown": self.head.last_type == "log_closed" and not self.head.recovered,
            "last_seq": self.head.seq,
            "torn_bytes": self.head.recovered.get("torn_bytes", 0),
            "file": self.head.recovered.get("file", self.current.path.name if self.current else None),
        }

    def _open_files(self, path: Path) -> _Open:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        rfd = os.open(records.results_path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        parsed = records.parse_log_name(path.name)
        assert parsed is not None
        return _Open(path, fd, os.fstat(fd).st_size, rfd, os.fstat(rfd).st_size, parsed[1])

    # ---- writing -------------------------------------------------------------------------

    def write_group(self, jobs: list[Job], raise_errors: bool = False) -> list[AuditRef | BaseException]:
        """Write and fsync a group; every job gets its ref or the reason it was not written."""
        try:
            self._rotate_if_due()
            return self._write(jobs)
        except OSError as exc:
            if raise_errors:
                raise
            return [exc for _ in jobs]

    def _write(self, jobs: list[Job]) -> list[AuditRef | BaseException]:
        current = self._ensure_open()
        outcome: list[AuditRef | BaseException] = []
        lines: list[bytes] = []
        blobs: list[bytes] = []
        head = (self.head.seq, self.head.hash)
        last_type = self.head.last_type
        offset = current.results_size
        for job in jobs:
            try:
                located, to_file = self._locate(job, current, offset)
                data = records.encode_data(self._stamp(located))
            except (TypeError, ValueError) as exc:
                outcome.append(exc)
                continue
            if to_file is not None:
                blobs.append(to_file)
                offset += len(to_file)
            ts = records.utc_timestamp(self.clock())
            sealed = records.seal(self.key, self.head.seq + 1, self.head.hash, ts, job.event_type, data)
            self.head.seq, self.head.hash = self.head.seq + 1, sealed.hash
            lines.append(sealed.line)
            last_type = job.event_type
            outcome.append(AuditRef(self.head.seq, sealed.hash))
        try:
            self._commit(current, blobs, lines)
        except OSError:
            self.head.seq, self.head.hash = head
            raise
        self.head.last_type = last_type
        self.durable = AuditRef(self.head.seq, self.head.hash)
        return outcome

    def _stamp(self, fields: Mapping[str, Any]) -> Mapping[str, Any]:
        """Every record names its gateway, so merged logs of several gateways stay attributable."""
        gateway = self.settings.gateway_id
        return fields if gateway is None else {**fields, "gateway": gateway}

    def _locate(self, job: Job, current: _Open, offset: int) -> tuple[Mapping[str, Any], bytes | None]:
        """The record's fields with where its recording is stored, and the bytes that go to
        the `.results` file (None: nothing). A small recording goes into the record itself
        (records.inline_recording): signed with it, and no second file to write and fsync."""
        if job.blob is None:
            return job.fields, None
        ref = dict(job.fields.get("recording") or {})
        if len(job.blob) <= records.INLINE_RESULTS_MAX:
            ref.update(records.inline_recording(job.blob))
            return {**job.fields, "recording": ref}, None
        name = records.results_path(current.path).name
        ref.update(stored="file", file=name, offset=offset, length=len(job.blob))
        return {**job.fields, "recording": ref}, job.blob

    def _commit(self, current: _Open, blobs: list[bytes], lines: list[bytes]) -> None:
        start = (current.size, current.results_size)
        try:
            if blobs:
                _write_all(current.results_fd, b"".join(blobs))
                _timed_fsync(current.results_fd)
            if lines:
                _write_all(current.fd, b"".join(lines))
                _timed_fsync(current.fd)
        except OSError:
            self._roll_back(current, *start)
            raise
        current.size += sum(map(len, lines))
        current.results_size += sum(map(len, blobs))

    def _roll_back(self, current: _Open, size: int, results_size: int) -> None:
        """Cut off whatever part of the failed group reached the files (best effort)."""
        for fd, length in ((current.fd, size), (current.results_fd, results_size)):
            try:
                os.ftruncate(fd, length)
                os.fsync(fd)
            except OSError:
                pass  # the next group re-truncates from the same offsets before writing

    def _ensure_open(self) -> _Open:
        if self.current is None:
            self.current = self._new_file()
            return self.current
        # a failed group may have left bytes past the last good offset; cut them before appending
        if os.fstat(self.current.fd).st_size != self.current.size:
            self._roll_back(self.current, self.current.size, self.current.results_size)
            if os.fstat(self.current.fd).st_size != self.current.size:
                raise OSError(errno.EIO, "could not cut a failed write off the audit log")
        return self.current

    # ---- rotation and retention ----------------------------------------------------------

    def _rotate_if_due(self) -> None:
        current = self.current
        if current is None:
            return
        too_big = current.size >= self.settings.rotate_bytes
        new_day = self.settings.rotate_daily and self.clock().date() != current.day
        if too_big or new_day:
            self._close_files()
            self.current = self._new_file()
            self.apply_retention()

    def _new_file(self) -> _Open:
        path = self.directory / records.log_file_name(self.head.seq + 1, self.clock().date())
        opened = self._open_files(path)
        _fsync_dir(self.directory)
        return opened

    def apply_retention(self) -> None:
        days = self.settings.retention_days
        if days is None:
            return
        # a rotation that is due runs its own retention pass first; computing ours before it
        # would describe files that pass has already removed
        self._rotate_if_due()
        cutoff = self.clock() - dt.timedelta(days=days)
        keep = self.current.path if self.current else None
        files = records.log_files(self.directory)
        expired = expired_prefix(files, cutoff, keep)
        if not expired:
            return
        first = first_record_after(files, expired)
        # when the oldest remaining file is still empty, this retention record will begin it
        seq, prev = (first["seq"], first["prev"]) if first else (self.head.seq + 1, self.head.hash)
        fields = retention_fields(expired, days, seq, prev)
        # write-ahead again: the record naming the removal is durable before anything is removed
        self.write_group([Job("retention", fields)], raise_errors=True)
        for path in expired:
            path.unlink()
            records.results_path(path).unlink(missing_ok=True)
        _fsync_dir(self.directory)

    def _close_files(self) -> None:
        if self.current is not None:
            for fd in (self.current.fd, self.current.results_fd):
                os.fsync(fd)
                os.close(fd)
            self.current = None

    def close(self) -> None:
        try:
            self._close_files()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _timed_fsync(fd: int) -> None:
    with AUDIT_FSYNC_SECONDS.time():
        os.fsync(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cut_torn_tail(path: Path) -> int:
    """Remove bytes after the last newline (a write cut short by a crash); return how many."""
    size = path.stat().st_size
    end = _end_of_last_line(path, size)
    if end == size:
        return 0
    with open(path, "r+b") as handle:
        handle.truncate(end)
        os.fsync(handle.fileno())
    return size - end


def _end_of_last_line(path: Path, size: int) -> int:
    with open(path, "rb") as handle:
        position = size
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            chunk = handle.read(step)
            found = chunk.rfind(b"\n")
            if found >= 0:
                return position - step + found + 1
            position -= step
    return 0


def _last_line(path: Path) -> bytes | None:
    size = path.stat().st_size
    if size == 0:
        return None
    end = _end_of_last_line(path, size - 1)  # start of the last line
    with open(path, "rb") as handle:
        handle.seek(end)
        return handle.read(size - end).rstrip(b"\n")
