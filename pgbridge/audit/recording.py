"""Session recording: the rows a client received, after masking, up to row and byte caps.

Batches are kept in memory (bounded by the caps) and, at `finish()`, written as one Arrow IPC
stream compressed with zstd. The blob is handed to the audit log with the statement's
completion record; the writer thread stores it in the `.results` file beside the log, fsyncs it
before the record, and puts its file, offset and length into the record, which also carries the
blob's SHA-256, so the recording is covered by the chain. A small blob (a point query's row) is
put inside the record instead (records.py, `stored: "inline"`). With recording off, `add` only
counts.

One zstd compressor per thread is kept: making one costs more than compressing a row, and a
one-shot `compress` gives the same bytes whichever compressor object does it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import zstandard

ZSTD_LEVEL = 3


class ResultRecording:
    def __init__(
        self,
        statement_id: str,
        enabled: bool,
        max_rows: int,
        max_bytes: int,
        hand_over: Callable[[str, bytes], None],
    ) -> None:
        self.statement_id = statement_id
        self.enabled = enabled
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._hand_over = hand_over
        self._batches: list[pa.RecordBatch] = []
        self._schema: pa.Schema | None = None
        self.rows_seen = 0
        self.rows = 0
        self.bytes = 0
        self.truncated = False

    def add(self, batch: pa.RecordBatch, column_names: list[str]) -> None:
        """Record one batch as the client saw it (masked), under the names it was shown."""
        self.rows_seen += batch.num_rows
        if not self.enabled:
            return
        if self._schema is None:
            self._schema = _named(batch, column_names).schema
        size = batch.nbytes  # not free (it walks every buffer): taken once
        kept = self._within_caps(batch, size)
        if kept is not None and kept.num_rows:
            self._batches.append(_named(scrubbed(kept), column_names))
            self.rows += kept.num_rows
            self.bytes += size if kept is batch else kept.nbytes

    def _within_caps(self, batch: pa.RecordBatch, size: int) -> pa.RecordBatch | None:
        room_rows = self.max_rows - self.rows
        room_bytes = self.max_bytes - self.bytes
        if batch.num_rows <= room_rows and size <= room_bytes:
            return batch
        self.truncated = True
        if room_rows <= 0 or room_bytes <= 0:
            return None
        per_row = max(1, size // max(1, batch.num_rows))
        take = min(room_rows, room_bytes // per_row, batch.num_rows)
        # variable-width rows can be larger than the average: shrink until it fits
        while take > 0 and batch.slice(0, take).nbytes > room_bytes:
            take //= 2
        return batch.slice(0, take) if take > 0 else None

    def finish(self) -> dict[str, Any]:
        """The reference to put in the statement's completion event under "recording"."""
        summary: dict[str, Any] = {
            "statement_id": self.statement_id,
            "rows": self.rows,
            "rows_seen": self.rows_seen,
            "bytes": self.bytes,
            "truncated": self.truncated,
        }
        if not self.enabled or self._schema is None:
            summary.update(recorded=False)
            return summary
        blob = encode_blob(self._schema, self._batches, self.statement_id, self.truncated)
        digest = hashlib.sha256(blob).hexdigest()
        self._hand_over(digest, blob)
        self._batches = []
        summary.update(recorded=True, sha256=digest)
        return summary


def scrubbed(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with nothing under its NULLs. Arrow leaves a NULL slot's bytes as they were in
    the producer's memory, and the IPC blob copies them: a warehouse's buffer can hold what it
    read before (a clear value behind a masking view), which the recording must never carry.
    Columns with NULLs are rebuilt from their values (a recording is capped, so this is small)."""
    if not any(column.null_count for column in batch.columns):
        return batch
    columns = [
        pa.array(column.to_pylist(), type=column.type) if column.null_count else column
        for column in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _named(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    if batch.schema.names == names:
        return batch
    return pa.RecordBatch.from_arrays(batch.columns, names=names)


def encode_blob(
    schema: pa.Schema, batches: list[pa.RecordBatch], statement_id: str, truncated: bool
) -> bytes:
    meta = {b"pgbridge.statement_id": statement_id.encode(), b"pgbridge.truncated": str(truncated).encode()}
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema.with_metadata(meta), options=_IPC_OPTIONS) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return _compressor().compress(sink.getvalue().to_pybytes())


_LOCAL = threading.local()
# pyarrow's defaults (format V5, not the pre-0.15 layout), made once: without options every
# writer reads them from two environment variables.
_IPC_OPTIONS = pa.ipc.IpcWriteOptions()


def _compressor() -> zstandard.ZstdCompressor:
    """This thread's compressor (a ZstdCompressor must not be used by two threads at once)."""
    compressor: zstandard.ZstdCompressor | None = getattr(_LOCAL, "compressor", None)
    if compressor is None:
        compressor = _LOCAL.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return compressor


def decode_blob(blob: bytes) -> pa.Table:
    raw = zstandard.ZstdDecompressor().decompress(blob)
    return pa.ipc.open_stream(pa.py_buffer(raw)).read_all()
