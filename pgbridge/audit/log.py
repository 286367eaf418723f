"""The audit log as the gateway sees it: `await append(...)` returns once the record is durable.

Every session's records go through one queue to one writer thread, which is what serialises
them into a single chain and keeps fsync off the event loop. With fsync="always" each record
gets its own write and fsync; with fsync="batch" the thread gathers whatever arrives within
`fsync_batch_ms` of the first waiting record (group commit), writes them at once and shares one
fsync, and only then wakes every waiter. A record that cannot be written fails its `append` with
AuditUnavailable, so the caller refuses the statement; the failure is logged at CRITICAL.

Records nobody needs to wait for (a statement's completion and its recorded results) go in
with `append_deferred`, which queues them and returns at once. With fsync="batch" the writer
holds a group of such records until a record somebody waits for joins it (the next write-ahead
record of any session: one fsync then covers both) or `deferred_flush_ms` after the first of
them, whichever comes first. The queue is one chain in order, so a deferred record is durable
before any record queued after it is acknowledged: before its session's next write-ahead record
and before `close`. With fsync="always" `append_deferred` waits like `append`.

Statements the gateway answers itself from what it holds (catalog queries: no backend is
asked) queue their `statement` record with `append_grouped` before answering, durable the same
way as a deferred record, so psql's describe or a driver's reflection (8-11 catalog queries)
pays no fsync per query. Each is on disk before any record queued after it is acknowledged, so before
that session (or any other) sends a data statement to the backend.

What a crash (kill -9, power loss) can then lose: deferred and grouped records younger than
`deferred_flush_ms` that no later acknowledged record carried to disk, that is, at most each
session's last statement's completion record and recording, and the catalog queries answered
in that last interval (both of their records). A data statement's write-ahead record is durable
(the statement did not run without it), so `pgbridge audit verify` reports that statement as
unfinished: it ran, and how it ended was not recorded. A deferred record that cannot be written
(disk full) is logged at CRITICAL like any other; the next write-ahead record then fails too
and refuses its statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pgbridge.audit import records
from pgbridge.audit.recording import ResultRecording
from pgbridge.audit.settings import AuditSettings, load_signing_key
from pgbridge.audit.writer import AuditRef, ChainError, ChainWriter, Clock, Job, utc_now
from pgbridge.ops.metrics import AUDIT_RECORDS, AUDIT_WRITE_SECONDS
from pgbridge.ops.observe import observe
from pgbridge.wire.errors import PgError, SqlState

if TYPE_CHECKING:
    from pgbridge.audit.anchoring import Anchorer

__all__ = ["AuditLog", "AuditRef", "AuditUnavailable"]

logger = logging.getLogger("pgbridge.audit")

DISK_FULL = "53100"  # not in SqlState yet
MAX_GROUP = 512
MAX_PENDING_RECORDINGS = 256


# What a failed record means for the client, by event type: only the write-ahead record stops a
# statement before it runs; a completion record fails after the rows went out, so saying "not
# run" there would be false.
_CONSEQUENCE = {
    "statement": "the statement was not run",
    "statement_completed": "the statement ran, but its completion and results could not be recorded",
    "connection_opened": "the connection is refused",
    "auth_succeeded": "the connection is refused",
    "auth_failed": "the connection is refused",
}
_DEFAULT_CONSEQUENCE = "the event could not be recorded"


class AuditUnavailable(PgError):
    """An audit record could not be written; what the caller was doing must not go on."""


def unavailable(
    reason: str, sqlstate: str = SqlState.IO_ERROR, event_type: str = "statement"
) -> AuditUnavailable:
    consequence = _CONSEQUENCE.get(event_type, _DEFAULT_CONSEQUENCE)
    return AuditUnavailable(
        sqlstate,
        f"the audit log cannot be written ({reason}); {consequence}",
        hint="an operator must fix the audit directory (space, permissions, disk); "
        "pgbridge refuses statements it cannot record",
    )


def from_os_error(exc: OSError, event_type: str = "statement") -> AuditUnavailable:
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    reason = exc.strerror or str(exc)
    return unavailable(reason, DISK_FULL if full else SqlState.IO_ERROR, event_type)


@dataclass(slots=True)
class _Item:
    job: Job | None  # None: a barrier (`flush`), which writes nothing
    # a deferred record's loop observes it once durable (pgbridge.ops.observe); nobody waits for it
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[AuditRef] | None  # None for a deferred record
    queued: float = 0.0  # time.monotonic() when it was queued


class AuditLog:
    def __init__(self, settings: AuditSettings, writer: ChainWriter | None) -> None:
        self.settings = settings
        self._writer = writer
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending: dict[str, bytes] = {}
        self._closed = False
        self.last_error: str | None = None  # the last group's write error; None once one succeeds
        self._anchorer: Anchorer | None = None

    @classmethod
    async def open(cls, settings: AuditSettings, clock: Clock = utc_now) -> AuditLog:
        """Resume the chain (recovering a torn tail) and start the writer thread."""
        if not settings.enabled:
            return cls(settings, None)
        try:
            writer = await asyncio.to_thread(_open_writer, settings, clock)
        except (OSError, ValueError, ChainError) as exc:
            logger.critical("audit log in %s cannot be opened: %s", settings.directory, exc)
            raise unavailable(f"cannot open {settings.directory}: {exc}") from exc
        log = cls(settings, writer)
        log._thread = threading.Thread(target=log._run, name="pgbridge-audit-writer", daemon=True)
        log._thread.start()
        if settings.anchors is not None:
            await log._start_anchoring()
        return log

    async def _start_anchoring(self) -> None:
        """No anchor, no gateway: a log whose tail could be cut unseen is refused at start."""
        from pgbridge.audit.anchoring import start_anchoring

        writer, anchors = self._writer, self.settings.anchors
        assert writer is not None and anchors is not None
        gateway = self.settings.gateway_id or "gateway"
        try:
            self._anchorer = await start_anchoring(anchors, gateway, writer.key, lambda: writer.durable)
        except OSError as exc:
            logger.critical("audit anchors cannot be written: %s", exc)
            await self.close()
            raise unavailable(f"its anchor store refuses the first checkpoint: {exc}") from exc

    def anchor_problem(self) -> str | None:
        """Why the last checkpoint did not reach the anchor sink (readiness), or None."""
        return self._anchorer.last_error if self._anchorer is not None else None

    @property
    def head(self) -> AuditRef:
        """The last durable record (seq 0 before the first)."""
        return self._writer.durable if self._writer is not None else AuditRef(0, records.GENESIS)

    @property
    def enabled(self) -> bool:
        return self._writer is not None

    async def append(self, event_type: str, fields: Mapping[str, Any]) -> AuditRef:
        """Write one record; returns once it is durable. Raises AuditUnavailable, or ValueError."""
        records.check_field_names(fields)
        if self._writer is None:
            return AuditRef(0, "")
        if self._closed:
            raise unavailable("the audit log is closed", SqlState.IO_ERROR, event_type)
        self._check_anchored(event_type)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRef] = loop.create_future()
        self._queue.put(_Item(Job(event_type, fields, self._blob_for(fields)), loop, future))
        ref = await future
        observe(event_type, fields)  # metrics and the operator's log line, once it is durable
        return ref

    def _check_anchored(self, event_type: str) -> None:
        stale = self._anchorer.unanchored_for() if self._anchorer is not None else None
        if stale is not None and event_type != "log_closed":
            raise AuditUnavailable(
                SqlState.IO_ERROR,
                "the audit log cannot be anchored (no checkpoint has reached its anchor store "
                f"for {stale:.0f} s); "
                f"{_CONSEQUENCE.get(event_type, _DEFAULT_CONSEQUENCE)}",
                hint="an operator must make the [audit.anchors] database reachable again; pgbridge refuses "
                "statements whose records could be cut off unseen",
            )

    async def append_deferred(self, event_type: str, fields: Mapping[str, Any]) -> None:
        """Queue one record without waiting for it to be durable (see the module docstring:
        it is durable before any record queued after it is acknowledged, or within
        deferred_flush_ms). With fsync="always" it waits like `append`."""
        if self.settings.fsync != "batch":
            await self.append(event_type, fields)
            return
        records.check_field_names(fields)
        if self._writer is None:
            return
        if self._closed:
            raise unavailable("the audit log is closed", SqlState.IO_ERROR, event_type)
        job = Job(event_type, fields, self._blob_for(fields))
        self._queue.put(_Item(job, asyncio.get_running_loop(), None, time.monotonic()))

    async def append_grouped(self, event_type: str, fields: Mapping[str, Any]) -> None:
        """The record of a statement the gateway answers itself, from what it already holds
        (a catalog query asks the backend nothing): queued in chain order before the answer is
        made, durable by group commit like a deferred record (module docstring), so it pays no
        fsync of its own. A log whose last write failed, or fsync="always", makes it wait like
        `append` and fail the same way: the answer is then refused, as before."""
        if self.settings.fsync != "batch" or self.last_error is not None:
            await self.append(event_type, fields)
            return
        if self._writer is not None:
            self._check_anchored(event_type)
        await self.append_deferred(event_type, fields)

    async def flush(self) -> None:
        """Return once every record queued before this call is durable (deferred ones too)."""
        if self._writer is None or self._closed:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRef] = loop.create_future()
        self._queue.put(_Item(None, loop, future))
        await future

    def _blob_for(self, fields: Mapping[str, Any]) -> bytes | None:
        ref = fields.get("recording")
        if not isinstance(ref, Mapping) or not ref.get("recorded"):
            return None
        blob = self._pending.pop(str(ref.get("sha256")), None)
        if blob is None:
            raise ValueError("this event's recording was not finished on this audit log, or was used twice")
        return blob

    def recording(self, statement_id: str) -> ResultRecording:
        s = self.settings
        enabled = self.enabled and s.record_results
        return ResultRecording(statement_id, enabled, s.record_max_rows, s.record_max_bytes, self._keep_blob)

    def _keep_blob(self, digest: str, blob: bytes) -> None:
        if len(self._pending) >= MAX_PENDING_RECORDINGS:
            dropped = next(iter(self._pending))
            del self._pending[dropped]
            logger.warning("audit: a finished recording was never logged; dropped %s", dropped)
        self._pending[digest] = blob

    async def close(self) -> None:
        """Write `log_closed` (marks a clean shutdown), stop the writer thread, then anchor the end."""
        if self._writer is None or self._closed:
            return
        try:
            await self.append("log_closed", {})
        finally:
            self._closed = True
            self._queue.put(None)
            if self._thread is not None:
                await asyncio.to_thread(self._thread.join)
            if self._anchorer is not None:
                await self._anchorer.close()

    # ---- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        assert self._writer is not None
        try:
            while (group := self._next_group()) is not None:
                self._write(group)
        finally:
            self._writer.close()

    def _next_group(self) -> list[_Item] | None:
        first = self._queue.get()
        if first is None:
            return None
        group = [first]
        if self.settings.fsync == "batch":
            self._gather(group)
            self._hold_deferred(group)
        return group

    def _hold_deferred(self, group: list[_Item]) -> None:
        """A group of deferred records only waits, up to deferred_flush_ms after the first of
        them, for a record somebody waits for: one fsync then serves both."""
        if any(item.future is not None for item in group):
            return
        deadline = group[0].queued + self.settings.deferred_flush_ms / 1000
        if self._take_until(group, deadline, until_awaited=True):
            self._gather(group)  # and whatever else is queued already

    def _gather(self, group: list[_Item]) -> None:
        self._take_until(group, time.monotonic() + self.settings.fsync_batch_ms / 1000)

    def _take_until(self, group: list[_Item], deadline: float, until_awaited: bool = False) -> bool:
        """Add queued records to the group until the deadline, a full group or the stop; with
        until_awaited, also stop after a record somebody waits for. True if that is why it stopped."""
        while len(group) < MAX_GROUP:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if item is None:
                self._queue.put(None)  # stop after this group
                return False
            group.append(item)
            if until_awaited and item.future is not None:
                return True
        return False

    def _write(self, group: list[_Item]) -> None:
        assert self._writer is not None
        jobs = [item.job for item in group if item.job is not None]
        started = time.monotonic()
        try:
            written = iter(self._writer.write_group(jobs) if jobs else [])
            head = AuditRef(self._writer.head.seq, self._writer.head.hash)
            outcomes = [next(written) if item.job is not None else head for item in group]
        except Exception as exc:  # a bug must fail the statements, never leave them waiting
            logger.exception("audit writer failed")
            outcomes = [exc for _ in group]
        AUDIT_WRITE_SECONDS.observe(time.monotonic() - started)
        # a flush (no job) writes no record of its own: only records are counted
        pairs = zip(group, outcomes, strict=True)
        errors = [out for item, out in pairs if item.job is not None and isinstance(out, OSError)]
        self.last_error = str(errors[0]) if errors else None
        AUDIT_RECORDS.labels("failed").inc(len(errors))
        AUDIT_RECORDS.labels("written").inc(len(jobs) - len(errors))
        if errors:
            logger.critical(
                "AUDIT LOG CANNOT BE WRITTEN in %s: %s; %d record(s) refused",
                self.settings.directory,
                errors[0],
                len(errors),
            )
        _wake(group, outcomes)


def _wake(group: list[_Item], outcomes: list[Any]) -> None:
    """Settle the waiting records and observe the durable deferred ones, in write order: one
    wake-up per event loop, not one per record."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Item, Any]]] = {}
    for item, outcome in zip(group, outcomes, strict=True):
        event_type = item.job.event_type if item.job is not None else "flush"
        if item.future is None and isinstance(outcome, BaseException) and not isinstance(outcome, OSError):
            logger.critical("audit: a deferred %s record was refused: %s", event_type, outcome)
        if item.loop is not None:  # a deferred record's OSError was logged above
            by_loop.setdefault(item.loop, []).append((item, _public(outcome, event_type)))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[_Item, Any]]) -> None:
    for item, outcome in settled:
        if item.future is not None:
            _settle(item.future, outcome)
        elif item.job is not None and isinstance(outcome, AuditRef):
            observe(item.job.event_type, item.job.fields)  # a deferred record, durable now


def _public(outcome: AuditRef | BaseException, event_type: str) -> AuditRef | BaseException:
    if isinstance(outcome, OSError):
        return from_os_error(outcome, event_type)
    if isinstance(outcome, AuditRef | ValueError | TypeError):
        return outcome
    return unavailable(f"internal error: {outcome}", SqlState.INTERNAL_ERROR, event_type)


def _settle(future: asyncio.Future[AuditRef], outcome: AuditRef | BaseException) -> None:
    if future.cancelled():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _open_writer(settings: AuditSettings, clock: Clock) -> ChainWriter:
    writer = ChainWriter(settings, load_signing_key(settings.signing_key_file), clock)
    try:
        writer.open()
    except BaseException:
        writer.close()
        raise
    return writer
