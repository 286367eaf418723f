"""The one interface every backend implements.

A backend knows BigQuery SQL and BigQuery types only; Postgres is the gateway's business.
It answers metadata questions (for the catalog and name resolution), dry-runs a query
(schema and bytes, for Describe and the cost rule), executes it as a stream of Arrow record
batches and cancels a running job. Blocking client libraries run in worker threads so the
event loop never blocks.

Arrow types in a result follow the BigQuery Storage Read API's choices: INT64 int64,
FLOAT64 float64, NUMERIC decimal128(38, 9), BIGNUMERIC decimal256(76, 38), BOOL bool,
STRING string, BYTES binary, DATE date32, DATETIME timestamp[us], TIME time64[us],
TIMESTAMP timestamp[us, tz=UTC], JSON string, GEOGRAPHY string (WKT), INTERVAL
month_day_nano_interval, ARRAY<T> list<T>, STRUCT struct. Encoders accept any Arrow type
that casts losslessly to these (a backend may return int32 for an INT64 field, say).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Field:
    """A column of a table or of a result, in BigQuery terms."""

    name: str
    type: str  # BigQuery standard SQL spelling: "INT64", "ARRAY<STRING>", "STRUCT<a INT64>"
    mode: Literal["NULLABLE", "REQUIRED", "REPEATED"] = "NULLABLE"
    description: str | None = None
    # NUMERIC(P, S) / BIGNUMERIC(P, S): the declared precision and scale (None: not declared).
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True, slots=True)
class TableMeta:
    dataset: str
    name: str
    kind: Literal["TABLE", "VIEW", "MATERIALIZED_VIEW", "EXTERNAL"]
    fields: tuple[Field, ...]
    description: str | None = None
    num_rows: int | None = None
    num_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class QueryParam:
    """A named, typed BigQuery query parameter (@p1 ...)."""

    name: str
    type: str  # BigQuery type spelling
    value: object  # Python value: int, float, Decimal, str, bytes, bool, date, datetime, list...


@dataclass(frozen=True, slots=True)
class DryRun:
    fields: tuple[Field, ...]
    total_bytes_processed: int


@dataclass(frozen=True, slots=True)
class TableRead:
    """A table preview (server/pipeline/preview.py): the first `limit` rows of some columns of
    one table, which BigQuery serves free through tabledata.list or a Storage Read session.
    A backend may read it so instead of running the job's SQL, whose rows are the same."""

    dataset: str
    table: str
    columns: tuple[str, ...]
    limit: int | None


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How to run one query: identity, limits, and the labels BigQuery's audit log shows."""

    job_id: str  # starts with "pgbridge_"; a CancelRequest cancels this id
    labels: Mapping[str, str] = field(default_factory=dict)
    maximum_bytes_billed: int | None = None
    timeout_seconds: float | None = None
    role: str | None = None  # selects the per-role identity where the backend has one
    # False: the client cannot see the row order (no ORDER BY), so a backend may read the
    # result in parallel streams (BigQuery's Storage Read) and interleave them.
    ordered: bool = True
    preview: TableRead | None = None  # the job is a table preview (billed nothing)


@dataclass(slots=True)
class JobStats:
    bytes_processed: int | None = None
    bytes_billed: int | None = None
    backend_job_id: str | None = None
    affected_rows: int | None = None  # DML: rows inserted, updated or deleted


class ResultStream(Protocol):
    """A running query's result: the schema first, then record batches as they come."""

    fields: tuple[Field, ...]
    stats: JobStats

    def batches(self) -> AsyncIterator[pa.RecordBatch]:
        """Yield record batches; pulls the next batch only when the consumer asks (backpressure)."""
        ...

    async def aclose(self) -> None:
        """Stop the query and release its resources; safe to call twice."""
        ...


class Backend(Protocol):
    name: str

    async def datasets(self) -> list[str]: ...

    async def tables(self, dataset: str) -> list[TableMeta]: ...

    async def dry_run(self, sql: str, params: Sequence[QueryParam]) -> DryRun:
        """Schema and bytes without running anything — DML included: a dry run never writes."""
        ...

    async def execute(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> ResultStream: ...

    async def execute_dml(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> JobStats:
        """Run an INSERT / UPDATE / DELETE; the stats carry the affected row count."""
        ...

    async def cancel(self, job_id: str) -> None: ...

    async def close(self) -> None: ...
