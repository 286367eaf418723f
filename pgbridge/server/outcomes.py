"""What a statement returns, as the protocol layer sees it.

The protocol core (pgbridge.server.protocol) owns the bookkeeping: ReadyForQuery, the
transaction status, error-until-Sync, portals. Whatever runs a statement only says what it
returns, as one of a small union (pgwire's style), and the core turns it into messages:

- EmptyQuery: the text held no statement (EmptyQueryResponse);
- CommandDone: a command tag (CommandComplete);
- TxChange: a transaction command's tag and what it did to the transaction block;
- RowStream: columns, then Arrow batches as they come (RowDescription, DataRow...);
- CopyOut: a RowStream to send as COPY TO STDOUT in the given format.

Errors are raised PgErrors.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError

Notice = tuple[str, str, str]  # (severity, sqlstate, message)


@dataclass(frozen=True, slots=True)
class EmptyQuery:
    pass


@dataclass
class CommandDone:
    tag: str
    notices: tuple[Notice, ...] = ()  # sent before the CommandComplete


@dataclass(frozen=True, slots=True)
class TxChange:
    tag: str
    effect: TxEffect
    notices: tuple[Notice, ...] = ()


class TxEffect(enum.Enum):
    """What a transaction command did; the protocol core moves the status ReadyForQuery
    reports accordingly (pgwire's TransactionStart / TransactionEnd)."""

    BEGIN = "a transaction block began"
    END = "the block ended, committed or rolled back"
    RECOVER = "the block is usable again (ROLLBACK TO SAVEPOINT)"


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


@dataclass(frozen=True, slots=True)
class CopyFormat:
    csv: bool = False
    binary: bool = False
    header: bool = False
    delimiter: str | None = None
    null: str | None = None


@dataclass(frozen=True, slots=True)
class CopyOut:
    rows: RowStream
    format: CopyFormat


Outcome = EmptyQuery | CommandDone | TxChange | RowStream | CopyOut


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
