"""The result filter: the rows on their way from the backend to the client, a batch at a time.

Each batch is read from the backend inside one of the principal's statement slots (none is
held while the client reads, so a result that sits unread costs no slot), then:
- the role's max_rows holds: once more rows would go out, the stream ends with 54000;
- masks that the warehouse could not apply are applied (MaskPlan.apply);
- a json / jsonb column carrying a masked value becomes NULL, since '****' is no longer
  JSON and the client's decoder would choke on it;
- the batch, as the client sees it, goes into the audit's recording of the result.

`finish` writes the statement's completion record exactly once, with the rows the client
received and the SQLSTATE that ended the stream (None when it completed); the session calls
it whichever way the stream ends (its end, an error, a cancel, a portal closed early).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from pgbridge.audit.log import AuditLog
from pgbridge.audit.recording import ResultRecording
from pgbridge.backends.base import ResultStream
from pgbridge.encode import numeric_digits
from pgbridge.policy.concurrency import ConcurrencyLimiter
from pgbridge.policy.engine import PolicyEngine
from pgbridge.server.context import DataPlan, SessionContext
from pgbridge.server.outcomes import RowStream
from pgbridge.server.pipeline.plan import output_columns
from pgbridge.server.pipeline.records import StatementAudit
from pgbridge.server.pipeline.start import Job, backend_error
from pgbridge.typemap import OutputColumn
from pgbridge.wire.errors import PgError, SqlState

_JSON = ("json", "jsonb")


@dataclass(frozen=True)
class Results:
    """Makes the result filter of each query that started."""

    policy: PolicyEngine | None
    audit: AuditLog | None
    concurrency: ConcurrencyLimiter
    records: StatementAudit

    def stream(self, ctx: SessionContext, plan: DataPlan, job: Job, result: ResultStream) -> RowStream:
        """The rows the session sends: the result's columns, then its filtered batches."""
        if plan.fields is None or len(plan.fields) != len(result.fields):
            plan.fields = result.fields
        columns = output_columns(plan, result.fields)
        rows = ResultFilter(
            ctx,
            plan,
            job,
            result,
            columns,
            max_rows=self.policy.max_rows(ctx.principal) if self.policy is not None else None,
            recording=self.audit.recording(job.statement_id) if self.audit is not None else None,
            concurrency=self.concurrency,
            records=self.records,
        )
        return RowStream(columns, rows, finish=rows.finish, close=rows.aclose)


class ResultFilter:
    """An async iterator over the backend's batches as the client may see them."""

    def __init__(
        self,
        ctx: SessionContext,
        plan: DataPlan,
        job: Job,
        result: ResultStream,
        columns: Sequence[OutputColumn],
        *,
        max_rows: int | None,
        recording: ResultRecording | None,
        concurrency: ConcurrencyLimiter,
        records: StatementAudit,
    ) -> None:
        self.ctx, self.plan, self.job, self.result = ctx, plan, job, result
        self.max_rows = max_rows
        self.recording = recording
        self.concurrency = concurrency
        self.records = records
        self.sent = 0  # rows that passed the filter
        self._source = result.batches().__aiter__()
        self._names = [c.name for c in columns]
        self._numeric = [i for i, c in enumerate(columns) if c.type.name == "numeric"]
        gateway_masks = plan.mask_plan.gateway_masks if plan.mask_plan is not None else ()
        self._json_masked = [m.index for m in gateway_masks if columns[m.index].type.name in _JSON]
        self._ended = False
        self._finished = False

    def __aiter__(self) -> ResultFilter:
        return self

    async def __anext__(self) -> pa.RecordBatch:
        if self._ended:
            raise StopAsyncIteration
        try:
            return self._filter(await self._read())
        except BaseException:
            self._ended = True  # its end, an error or a cancel: nothing more comes
            raise

    async def finish(self, rows: int, error: PgError | None) -> None:
        """The statement's completion record, once: `rows` the client received, and the error
        that ended the stream (None when it completed)."""
        if self._finished:
            return
        self._finished = True
        self.ctx.running = None
        job = self.job
        await self.records.completion(
            self.ctx, job.statement_id, job.started, rows, error, self.recording, self.plan, self.result.stats
        )

    async def aclose(self) -> None:
        """Stop the backend's work early (a portal closed before its end, a cancel)."""
        await self.result.aclose()

    async def _read(self) -> pa.RecordBatch:
        async with self.concurrency.slot(self.ctx.principal, "statements"):
            try:
                return await self._source.__anext__()
            except PgError as error:
                raise backend_error(error, self.plan) from None

    def _filter(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.max_rows is not None and self.sent + batch.num_rows > self.max_rows:
            raise PgError(
                SqlState.PROGRAM_LIMIT_EXCEEDED,
                f"query returned more than the {self.max_rows} rows your role may read; "
                "add a LIMIT or narrow the query",
            )
        if self.plan.mask_plan is not None:
            batch = _nulls_in(self.plan.mask_plan.apply(batch), self._json_masked)
        if self.recording is not None:
            self.recording.add(_digits_finished(batch, self._numeric), self._names)
        self.sent += batch.num_rows
        return batch


def _digits_finished(batch: pa.RecordBatch, numeric: Sequence[int]) -> pa.RecordBatch:
    """The batch with exact numeric columns as the client saw them: a numeric column that arrives
    as marked text (numeric_digits: 'd:12.5:2') is recorded as its digits ('12.50')."""
    marked = [i for i in numeric if numeric_digits.is_digits_column(batch.column(i))]
    if not marked:
        return batch
    arrays = [numeric_digits.digits_shown(col) if i in marked else col for i, col in enumerate(batch.columns)]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _nulls_in(batch: pa.RecordBatch, indexes: Sequence[int]) -> pa.RecordBatch:
    if not indexes:
        return batch
    arrays = [
        pa.nulls(batch.num_rows, column.type) if i in indexes else column
        for i, column in enumerate(batch.columns)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
