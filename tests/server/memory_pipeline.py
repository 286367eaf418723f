"""An in-memory stand-in for the pipeline, for the protocol tests of tests/server.

What these tests check is the protocol (ReadyForQuery, error-until-Sync, portals, row
limits), not planning, policy or a warehouse; a real Pipeline needs a backend, a catalog and
an audit log to answer even `SELECT 1`, so the session is driven here against this stand-in
instead. It fits the session's seam (pgbridge.server.handlers.port.PipelinePort) and knows a
handful of statements by their exact text (QUERIES); any other data statement is refused at
prepare the way the real pipeline refuses an unknown relation (42P01). It records what it was
asked to run and how every stream ended, which is what the real pipeline's audit records.
The real parts are tested over sockets with real clients in tests/clients and tests/compat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from pgbridge.server.context import DataPlan, Prepared, SessionContext
from pgbridge.server.outcomes import CommandDone, Outcome, RowStream, rows_of
from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.typemap import PG_TYPES, OutputColumn, parse_bq_type
from pgbridge.wire.errors import PgError, SqlState

INT8 = OutputColumn("n", PG_TYPES["int8"])
Rows = Callable[[Sequence[object | None]], list[int]]


@dataclass(frozen=True)
class Known:
    """A statement the stand-in can run: its parameter types and what it returns."""

    rows: Rows | None = None  # None: DML, one row affected
    param_types: tuple[str, ...] = ()
    fail_after: int | None = None  # raise 22012 after this many batches of one row
    hang: bool = False  # never yields (for cancel and statement_timeout)


NUMBERS = "SELECT n FROM t.numbers ORDER BY n"
NUMBERS_UP_TO = "SELECT n FROM t.numbers WHERE n <= $1 ORDER BY n"
DIVIDE = "SELECT 10 / (3 - n) AS n FROM t.numbers ORDER BY n"
SLOW = "SELECT n FROM t.slow"
INSERT = "INSERT INTO t.numbers VALUES (6)"

QUERIES: dict[str, Known] = {
    NUMBERS: Known(lambda params: [1, 2, 3, 4, 5]),
    NUMBERS_UP_TO: Known(lambda params: list(range(1, int(str(params[0])) + 1)), ("INT64",)),
    DIVIDE: Known(lambda params: [5, 10], fail_after=2),
    SLOW: Known(lambda params: [], hang=True),
    "SELECT 1 AS n": Known(lambda params: [1]),
    INSERT: Known(None),
}


@dataclass
class Records:
    refused: list[tuple[str, str]] = field(default_factory=list)  # (text, sqlstate)

    async def refusal(self, ctx: SessionContext, statement: Statement, error: PgError) -> None:
        self.refused.append((statement.text, error.sqlstate))


@dataclass
class Metadata:
    generation: int = 0


@dataclass
class MemoryPipeline:
    records: Records = field(default_factory=Records)
    metadata: Metadata = field(default_factory=Metadata)
    prepared: list[str] = field(default_factory=list)  # texts planned, in order
    executed: list[str] = field(default_factory=list)  # texts run, in order
    finished: list[tuple[str, int, str | None]] = field(default_factory=list)  # (text, rows, sqlstate)

    async def prepare(
        self, ctx: SessionContext, statement: Statement, declared_oids: Sequence[int]
    ) -> Prepared:
        prepared = Prepared(statement.text, statement, tuple(declared_oids))
        if statement.kind in (Kind.QUERY, Kind.DML):
            known = QUERIES.get(statement.text)
            if known is None:
                error = PgError(SqlState.UNDEFINED_TABLE, f"relation in {statement.text!r} does not exist")
                await self.records.refusal(ctx, statement, error)
                raise error
            self.prepared.append(statement.text)
            prepared.plan = _plan(statement, known)
        return prepared

    async def describe(
        self, ctx: SessionContext, prepared: Prepared
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...] | None]:
        plan = prepared.plan
        if plan is None:
            return prepared.declared_oids, None
        return plan.param_oids, None if plan.kind == "dml" else (INT8,)

    async def execute(
        self, ctx: SessionContext, prepared: Prepared, params: Sequence[object | None]
    ) -> Outcome:
        if prepared.plan is None:
            raise PgError(SqlState.INSUFFICIENT_PRIVILEGE, f"{prepared.statement.kind.name} is not allowed")
        if len(params) < len(prepared.plan.param_types):
            raise PgError("42P02", f"there is no parameter ${len(params) + 1}")
        self.executed.append(prepared.text)
        known = QUERIES[prepared.text]
        if known.rows is None:
            return CommandDone("INSERT 0 1")

        async def finish(rows: int, error: PgError | None) -> None:
            self.finished.append((prepared.text, rows, error.sqlstate if error else None))

        return RowStream((INT8,), _batches(known, known.rows(params)), finish=finish)

    async def explain(self, ctx: SessionContext, statement: Statement) -> RowStream:
        batch = pa.RecordBatch.from_arrays([pa.array(["memory plan"], pa.string())], names=["QUERY PLAN"])
        return rows_of([OutputColumn("QUERY PLAN", PG_TYPES["text"])], batch, verb="EXPLAIN")


def _plan(statement: Statement, known: Known) -> DataPlan:
    assert statement.ast is not None
    dml = known.rows is None
    return DataPlan(
        ast=statement.ast,
        tables=(),
        bigquery_sql=statement.text,
        param_types=tuple(parse_bq_type(t) for t in known.param_types),
        output_names=() if dml else ("n",),
        output_types=() if dml else ("INT64",),
        mask_plan=None,
        decision=None,
        kind="dml" if dml else "query",
        command="INSERT" if dml else "SELECT",
    )


async def _batches(known: Known, values: list[int]) -> AsyncIterator[pa.RecordBatch]:
    if known.hang:
        await asyncio.Event().wait()
    if known.fail_after is None:
        yield pa.RecordBatch.from_arrays([pa.array(values, pa.int64())], names=["n"])
        return
    for value in values[: known.fail_after]:
        yield pa.RecordBatch.from_arrays([pa.array([value], pa.int64())], names=["n"])
    raise PgError(SqlState.DIVISION_BY_ZERO, "division by zero")
