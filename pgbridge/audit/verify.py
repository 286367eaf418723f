"""Verification: walk the chain across files and name the first record that breaks it.

Checks, in order, for every line: it is complete (ends in a newline), canonical JSON with a
valid Ed25519 signature, its `seq` follows the one before, its `prev` is the hash of the line
before, its file's name agrees with its first record, and any recorded results it references
match their SHA-256. A chain that starts after seq 1 is accepted only if a `retention` record
in it names exactly where it resumes. Verification stops at the first problem: after a break,
nothing later can be trusted to mean anything.

Removal of the newest records or files cannot be seen from the log alone; the report gives the
last seq and hash so an operator can compare them with an anchor kept elsewhere, and keeps the
hashes of the seqs it is asked to `watch` (those anchors name: pgbridge.audit.anchor_check).

A statement whose write-ahead record has no completion record after it is reported as
unfinished, not as a break: it is running, or the gateway crashed before its completion record
(written off the statement's path, pgbridge.audit.log) was durable. It ran; how it ended is
not recorded.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pgbridge.audit import records
from pgbridge.audit.reader import Line, RecordingError, expand, lines, read_blob


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    records: int  # records verified before the first problem (all of them when ok)
    first_problem: str | None
    location: str | None  # file:line of the first problem
    files: int = 0
    last_seq: int | None = None
    last_hash: str | None = None
    clean_end: bool = False  # the last record is log_closed (a clean shutdown)
    unfinished: tuple[str, ...] = ()  # statement ids with a write-ahead record and no completion
    gateway: str | None = None  # the gateway the newest records name
    first_seq: int | None = None
    hashes: dict[int, str] = field(default_factory=dict)  # hash of each watched seq found


class _Problem(Exception):
    pass


@dataclass
class _Walk:
    public_key: Ed25519PublicKey
    count: int = 0
    seq: int = 0
    hash: str = records.GENESIS
    start: tuple[int, str] | None = None
    start_line: str | None = None
    resumes: set[tuple[Any, Any]] = field(default_factory=set)
    last_type: str | None = None
    open_statements: dict[str, None] = field(default_factory=dict)  # in write-ahead order
    watch: Collection[int] = ()
    seen: dict[int, str] = field(default_factory=dict)
    gateway: str | None = None

    def check(self, line: Line) -> None:
        if not line.raw.endswith(b"\n"):
            raise _Problem("incomplete record: the file was cut mid-record (truncated, or a torn write)")
        raw = line.raw[:-1]
        try:
            record = records.open_record(raw, self.public_key)
        except records.RecordError as exc:
            raise _Problem(f"record altered: {exc}") from None
        self._check_order(line, record)
        self._check_recording(line, record)
        if record["type"] == "retention":
            self._note_resume(record["data"])
        self._note_statement(record)
        self.count, self.seq, self.hash = self.count + 1, record["seq"], records.record_hash(raw)
        self.last_type = record["type"]
        if self.seq in self.watch:
            self.seen[self.seq] = self.hash
        named = record["data"].get("gateway") if isinstance(record["data"], dict) else None
        self.gateway = named if isinstance(named, str) else self.gateway

    def _check_order(self, line: Line, record: dict[str, Any]) -> None:
        seq, prev = record["seq"], record["prev"]
        if line.number == 1:
            named = records.parse_log_name(line.path.name)
            if named and named[0] != seq:
                raise _Problem(f"file name says the file begins at seq {named[0]}, its first record is {seq}")
        if self.start is None:
            self.start, self.start_line = (seq, prev), line.location
            return
        if seq < self.seq + 1:
            raise _Problem(f"seq {seq} follows seq {self.seq}: records reordered, duplicated or inserted")
        if seq > self.seq + 1:
            raise _Problem(f"records {self.seq + 1}..{seq - 1} are missing: removed before this record")
        if prev != self.hash:
            raise _Problem(
                "chain broken: prev is not the hash of the record before "
                "(a record was inserted, replaced or removed here)"
            )

    def _check_recording(self, line: Line, record: dict[str, Any]) -> None:
        ref = record["data"].get("recording") if isinstance(record["data"], dict) else None
        if isinstance(ref, dict) and ref.get("recorded"):
            try:
                read_blob(line.path.parent, ref)
            except RecordingError as exc:
                raise _Problem(f"recorded results altered or missing: {exc}") from None

    def _note_statement(self, record: dict[str, Any]) -> None:
        data = record["data"]
        statement_id = data.get("statement_id") if isinstance(data, dict) else None
        if not isinstance(statement_id, str):
            return
        if record["type"] == "statement":
            self.open_statements[statement_id] = None
        elif record["type"] == "statement_completed":
            self.open_statements.pop(statement_id, None)

    def _note_resume(self, data: Any) -> None:
        at = data.get("resumes_at") if isinstance(data, dict) else None
        if isinstance(at, dict):
            self.resumes.add((at.get("seq"), at.get("prev")))

    def start_problem(self) -> str | None:
        if self.start is None or self.start == (1, records.GENESIS) or self.start in self.resumes:
            return None
        return (
            f"the log begins at seq {self.start[0]}: earlier records were removed "
            "and no retention record accounts for the removal"
        )


def verify(paths: Sequence[Path], public_key: Ed25519PublicKey, watch: Collection[int] = ()) -> VerifyReport:
    """Check order, hashes, signatures and recordings across the given files or directories."""
    files = expand(paths)
    walk = _Walk(public_key, watch=watch)
    for line in lines(files):
        try:
            walk.check(line)
        except _Problem as found:
            return _report(walk, files, str(found), line.location)
    problem = walk.start_problem()
    if problem is None and not files:
        problem = "no audit log files found"
    return _report(walk, files, problem, walk.start_line if problem else None)


def _report(walk: _Walk, files: list[Path], problem: str | None, location: str | None) -> VerifyReport:
    return VerifyReport(
        ok=problem is None,
        records=walk.count,
        first_problem=problem,
        location=location,
        files=len(files),
        last_seq=walk.seq if walk.count else None,
        last_hash=walk.hash if walk.count else None,
        clean_end=walk.last_type == "log_closed",
        unfinished=tuple(walk.open_statements),
        gateway=walk.gateway,
        first_seq=walk.start[0] if walk.start else None,
        hashes=walk.seen,
    )
