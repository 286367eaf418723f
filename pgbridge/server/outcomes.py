"""What a statement returns, as the protocol layer sees it.

The session (pgbridge.server.connection) owns the protocol's bookkeeping — ReadyForQuery,
transaction status, error-until-Sync, portals. Whatever runs a statement only says what it
returns: a command tag, or a stream of rows with their columns. Errors are raised PgErrors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError


@dataclass
class CommandDone:
    tag: str


async def _nothing(rows: int, error: PgError | None) -> None:
    return None


@dataclass
class RowStream:
    """Rows to send: the columns first (RowDescription), then Arrow batches as they come.

    `finish` is called exactly once, with the number of rows the client received and the
    error that ended the stream (None when it completed); `close` stops the producer early
    (a portal closed before its end, a cancel).
    """

    columns: Sequence[OutputColumn]
    batches: AsyncIterator[pa.RecordBatch]
    finish: Callable[[int, PgError | None], Awaitable[None]] = _nothing
    close: Callable[[], Awaitable[None]] | None = None
    verb: str = "SELECT"


Outcome = CommandDone | RowStream


async def single_batch(batch: pa.RecordBatch) -> AsyncIterator[pa.RecordBatch]:
    yield batch


def rows_of(
    columns: Sequence[OutputColumn], table: pa.Table | pa.RecordBatch, verb: str = "SELECT"
) -> RowStream:
    """A RowStream over rows already in memory (SHOW, local answers)."""
    batch = (
        table.combine_chunks().to_batches()[0] if isinstance(table, pa.Table) and table.num_rows else table
    )
    if isinstance(batch, pa.Table):
        batch = pa.RecordBatch.from_pylist([], schema=batch.schema)
    return RowStream(columns, single_batch(batch), verb=verb)
