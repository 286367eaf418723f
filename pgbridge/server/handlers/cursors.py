"""Cursors in SQL: DECLARE, FETCH, MOVE and CLOSE over the session's portals.

A cursor is a portal with a name (PostgreSQL shares the namespace): DECLARE runs its query
through the pipeline like any other and keeps the rows to be read; FETCH and MOVE pull from
it, forward only (BigQuery results cannot scroll back); CLOSE lets it go. Without WITH HOLD
a cursor lives only inside a transaction block, as in PostgreSQL (25P01).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.server.context import Prepared, SessionContext
from pgbridge.server.encoders import result_encoder
from pgbridge.server.handlers.port import PipelinePort
from pgbridge.server.outcomes import CommandDone, Outcome, RowStream
from pgbridge.server.portals import Portal
from pgbridge.server.protocol.core import ProtocolCore
from pgbridge.server.protocol.states import TxStatus
from pgbridge.sql.statements.model import CloseCommand, DeclareCommand, FetchCommand
from pgbridge.wire.errors import PgError, SqlState

Core = ProtocolCore[Prepared, Portal]


@dataclass(frozen=True, slots=True)
class Cursors:
    ctx: SessionContext
    pipeline: PipelinePort
    core: Core

    async def run(self, command: object) -> Outcome:
        match command:
            case DeclareCommand():
                return await self.declare(command)
            case FetchCommand():
                return await self.fetch(command)
            case CloseCommand(name=name):
                return self.close(name)
        raise PgError(SqlState.INTERNAL_ERROR, f"not a cursor command: {type(command).__name__}")

    async def declare(self, command: DeclareCommand) -> CommandDone:
        if self.core.tx is TxStatus.IDLE and not command.with_hold:
            raise PgError("25P01", "DECLARE CURSOR can only be used in transaction blocks")
        if command.name in self.core.portals:
            raise PgError(SqlState.DUPLICATE_CURSOR, f'cursor "{command.name}" already exists')
        prepared = returns_rows(await self.pipeline.prepare(self.ctx, command.query, ()))
        stream = rows_only(await self.pipeline.execute(self.ctx, prepared, ()))
        formats = (1,) if command.binary else ()
        portal = Portal(command.name, prepared, (), formats, with_hold=command.with_hold)
        portal.attach(stream, result_encoder(stream.columns, formats, self.ctx.settings))
        self.core.portals.add(command.name, portal)
        return CommandDone("DECLARE CURSOR")

    async def fetch(self, command: FetchCommand) -> Outcome:
        portal = self.core.portals.find(command.cursor)
        if portal is None or portal.stream is None:
            raise PgError(SqlState.INVALID_CURSOR_NAME, f'cursor "{command.cursor}" does not exist')
        if command.direction not in ("next", "forward", "all"):
            raise PgError(
                SqlState.FEATURE_NOT_SUPPORTED,
                f"FETCH {command.direction.upper()} is not supported: pgbridge cursors are forward-only",
            )
        count = command.count if command.count is not None else 0
        if count == 0 and command.direction != "all" and command.count is None:
            count = 1  # FETCH NEXT, FETCH with no count: one row
        batches: list[pa.RecordBatch] = []
        sent = 0
        while not portal.done and (count == 0 or sent < count):
            batch = await portal.next_rows(count - sent if count else 0, sent=False)
            if batch is None:
                break
            sent += batch.num_rows
            if not command.move:
                batches.append(batch)
        if command.move:
            return CommandDone(f"MOVE {sent}")
        portal.rows_sent += sent  # the FETCH's own stream sends them next
        return RowStream(portal.stream.columns, _replay(batches), verb="FETCH")

    def close(self, name: str | None) -> CommandDone:
        if name is None:
            self.core.portals.close_cursors()
        else:
            self.core.portals.get(name, what="cursor")
            self.core.portals.close(name)
        return CommandDone("CLOSE CURSOR")


def returns_rows(prepared: Prepared) -> Prepared:
    """A cursor or COPY reads a query's rows: a DML statement is refused before it runs,
    not after (it would have written, inside a block that claims it can roll back)."""
    if prepared.plan is not None and prepared.plan.kind == "dml":
        raise _needs_rows()
    return prepared


def rows_only(outcome: Outcome) -> RowStream:
    if not isinstance(outcome, RowStream):
        raise _needs_rows()
    return outcome


def _needs_rows() -> PgError:
    return PgError(SqlState.FEATURE_NOT_SUPPORTED, "a cursor or COPY needs a query that returns rows")


async def _replay(batches: Sequence[pa.RecordBatch]) -> AsyncIterator[pa.RecordBatch]:
    for batch in batches:
        yield batch
