"""Portals: a bound statement and, once executed, the rows it has left to send.

A portal pulls Arrow batches from its RowStream only as the client asks (Execute with a row
limit, FETCH n), slicing a batch when the limit falls inside it and keeping the rest for the
next call, so a suspended portal holds at most one batch.

A producer that fails mid-way (a division by zero in the third batch, the role's max_rows, a
bug) ends the portal there: it is finished with that error at once, so the audit records the
statement as failed with its SQLSTATE and the rows the client actually received, whichever
path pulled the batch (Execute, FETCH, COPY) and whatever closes the portal later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pyarrow as pa

from pgbridge.encode import EncodedRows, ResultEncoder
from pgbridge.ops.metrics import ROWS_STREAMED
from pgbridge.server.context import Prepared
from pgbridge.server.error_text import internal_error
from pgbridge.server.outcomes import RowStream
from pgbridge.wire.errors import PgError, SqlState


@dataclass
class Portal:
    name: str
    prepared: Prepared | None  # None for cursors declared in SQL over a local result
    params: tuple[object | None, ...]
    result_formats: tuple[int, ...]
    stream: RowStream | None = None
    encoder: ResultEncoder | None = None  # None for COPY, which writes its own CopyData
    local_tag: str | None = None  # a statement answered without rows (SET ...): its tag
    with_hold: bool = False
    rows_sent: int = 0
    done: bool = False
    _iterator: AsyncIterator[pa.RecordBatch] | None = None
    _leftover: pa.RecordBatch | None = None
    _encoded: EncodedRows | None = None  # of _encoded_batch, sent a slice at a time
    _encoded_batch: pa.RecordBatch | None = None
    _encoded_at: int = 0
    _finished: bool = field(default=False)
    _interrupted: bool = field(default=False)

    def attach(self, stream: RowStream, encoder: ResultEncoder | None) -> None:
        self.stream = stream
        self.encoder = encoder
        self._iterator = stream.batches.__aiter__()

    @property
    def rows_encoder(self) -> ResultEncoder:
        if self.encoder is None:
            raise RuntimeError(f'portal "{self.name}" has no rows to encode')
        return self.encoder

    @property
    def started(self) -> bool:
        return self.stream is not None or self.local_tag is not None

    async def next_encoded(self, limit: int) -> tuple[bytes, int] | None:
        """DataRows of up to `limit` (> 0) rows and their count; None when exhausted.

        The batch is rendered once (encoder.encode_rows) and kept, already encoded, until
        its rows are sent: still at most one batch held by a suspended portal.
        """
        if self._encoded is None or self._encoded_at >= len(self._encoded):
            batch = await self._next_batch()
            if batch is None:
                return None
            self._encoded = self.rows_encoder.encode_rows(batch)
            self._encoded_batch, self._encoded_at = batch, 0
        start = self._encoded_at
        stop = min(len(self._encoded), start + limit)
        self._encoded_at = stop
        self.rows_sent += stop - start
        return self._encoded.rows(start, stop), stop - start

    async def _next_batch(self) -> pa.RecordBatch | None:
        if self._leftover is not None:
            batch, self._leftover = self._leftover, None
            return batch
        return await self._pull()

    async def _pull(self) -> pa.RecordBatch | None:
        """The producer's next batch; None at its end. A failure finishes the portal with it."""
        assert self._iterator is not None
        try:
            return await self._iterator.__anext__()
        except StopAsyncIteration:
            self.done = True
            return None
        except PgError as error:
            await self.finish(error)
            raise
        except asyncio.CancelledError:
            # The canceller knows why (user, timeout) and usually finishes the portal itself;
            # if nobody does, a later close must not record a success.
            self._interrupted = True
            raise
        except Exception as exc:
            failed = internal_error(exc, "reading a result")
            await self.finish(failed)
            raise failed from None

    async def next_rows(self, limit: int, *, sent: bool = True) -> pa.RecordBatch | None:
        """Up to `limit` rows (0 = no limit: the next whole batch); None when exhausted.

        `sent=False`: the caller holds the rows back (FETCH collects its rows before sending
        any) and adds them to rows_sent once they go out, so a failure before that does not
        count them as received."""
        if self._encoded is not None:
            # FETCH after Execute-with-limit: the rows not yet sent go back as a batch.
            if self._encoded_at < len(self._encoded) and self._encoded_batch is not None:
                self._leftover = self._encoded_batch.slice(self._encoded_at)
            self._encoded, self._encoded_batch = None, None
        if self._leftover is not None:
            batch, self._leftover = self._leftover, None
        else:
            batch = await self._pull()
            if batch is None:
                return None
            ROWS_STREAMED.inc(batch.num_rows)  # once per backend batch, never per row
        if limit and batch.num_rows > limit:
            self._leftover = batch.slice(limit)
            batch = batch.slice(0, limit)
        if sent:
            self.rows_sent += batch.num_rows
        return batch

    async def finish(self, error: PgError | None) -> None:
        """Tell the producer how it ended (audit), once; stop it if rows are left."""
        if self._finished or self.stream is None:
            return
        self._finished = True
        if error is None and self._interrupted:
            error = PgError(SqlState.QUERY_CANCELED, "canceling statement")
        try:
            if not self.done and self.stream.close is not None:
                await self.stream.close()
        finally:
            await self.stream.finish(self.rows_sent, error)
