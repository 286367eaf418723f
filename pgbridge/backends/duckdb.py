"""The embedded backend: BigQuery SQL run in-process on DuckDB.

The gateway hands every backend the same BigQuery SQL it would send to Google. This backend
translates it once more (pgbridge.backends.duckdb_dialect) and runs it on a DuckDB database file
whose schemas play BigQuery's datasets, so a new user gets the whole gateway — policy,
masking, audit — with no cloud account.

DuckDB is a blocking library: every call runs in a thread of the backend's own worker pool
(pgbridge.workers) on its own cursor, and a result is pulled one record batch per consumer
request, so a 10-million-row result holds at most a batch or two in memory. The database is
opened with a memory limit and a capped spill directory (duckdb_limits), and a constant
series in FROM streams from DuckDB's table function (duckdb_series). A dry run binds a
copy of the query whose series and padding make nothing (duckdb_describe: binding evaluates
constants) and estimates the bytes BigQuery would bill from per-column sizes measured once
per table.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from pgbridge.backends.base import DryRun, Field, JobOptions, JobStats, QueryParam, TableMeta
from pgbridge.backends.duckdb_describe import for_describe
from pgbridge.backends.duckdb_estimate import estimate_bytes
from pgbridge.backends.duckdb_limits import EngineLimits, out_of_memory
from pgbridge.backends.duckdb_series import stream_series
from pgbridge.backends.raised import raised_by_translation
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import BACKEND_THREADS, WorkerPool, in_background_thread

BATCH_ROWS = 65_536


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Make a connection safe to run client SQL on: no files, network or extensions, no
    Python variables reachable by name (DuckDB's replacement scans), and no way back.

    Clients' SQL reaches DuckDB through the catalog engine and the embedded backend; without
    this, `SELECT * FROM read_text('/path/to/token-signing.key')` would hand out the key.
    """
    con.execute("SET python_enable_replacements = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


@functools.lru_cache(maxsize=1024)  # asked for every column of every result: a few spellings
def bigquery_type(duck_type: str) -> str:
    """The BigQuery spelling of a DuckDB column type (raises PgError 0A000 when there is none)."""
    spelled = duck_type.strip()
    upper = spelled.upper()
    if upper.endswith("[]"):
        return f"ARRAY<{bigquery_type(spelled[:-2])}>"
    if upper.startswith("STRUCT("):
        return "STRUCT<" + ", ".join(f"{n} {bigquery_type(t)}" for n, t in _struct_fields(spelled)) + ">"
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        return "NUMERIC" if scale <= 9 and precision - scale <= 29 else "BIGNUMERIC"
    try:
        return _SCALARS[upper]
    except KeyError:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, f"result type {spelled} has no BigQuery equivalent in pgbridge"
        ) from None


def declared_decimal(duck_type: str) -> tuple[int | None, int | None]:
    """(precision, scale) of a DECIMAL column that declares them as BigQuery's NUMERIC(P, S)
    would; DECIMAL(38, 9) is BigQuery's plain NUMERIC, which declares none."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type.strip().upper())
    if decimal is None or (decimal.group(1), decimal.group(2)) == ("38", "9"):
        return None, None
    return int(decimal.group(1)), int(decimal.group(2))


_SCALARS = {
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "SMALLINT": "INT64",
    "TINYINT": "INT64",
    "UTINYINT": "INT64",
    "USMALLINT": "INT64",
    "UINTEGER": "INT64",
    "HUGEINT": "NUMERIC",
    "UBIGINT": "NUMERIC",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "VARCHAR": "STRING",
    "BLOB": "BYTES",
    "DATE": "DATE",
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP_NS": "DATETIME",
    "TIMESTAMP_MS": "DATETIME",
    "TIMESTAMP_S": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIME": "TIME",
    "JSON": "JSON",
    "INTERVAL": "INTERVAL",
    "UUID": "STRING",
    '"NULL"': "STRING",
    "NULL": "STRING",
}


def _struct_fields(spelled: str) -> list[tuple[str, str]]:
    inner = spelled[spelled.index("(") + 1 : spelled.rindex(")")]
    fields, depth, start = [], 0, 0
    for i, char in enumerate(inner + ","):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            name, _, kind = inner[start:i].strip().partition(" ")
            fields.append((name.strip('"'), kind.strip()))
            start = i + 1
    return fields


# Bytes per value BigQuery bills for fixed-width types (its documented data sizes).
_FIXED_WIDTH = {
    "INT64": 8,
    "FLOAT64": 8,
    "NUMERIC": 16,
    "BIGNUMERIC": 32,
    "BOOL": 1,
    "DATE": 8,
    "DATETIME": 8,
    "TIME": 8,
    "TIMESTAMP": 8,
    "INTERVAL": 16,
}


@dataclass
class _TableSizes:
    rows: int
    column_bytes: dict[str, int]


DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_MAX_TEMP_SIZE = "4GB"


@dataclass
class DuckDBSettings:
    database: Path
    read_only: bool = False
    threads: int | None = None
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    max_temp_directory_size: str = DEFAULT_MAX_TEMP_SIZE
    temp_directory: Path | None = None  # default: "<database>.tmp" beside the file

    def limits(self) -> EngineLimits:
        temp = self.temp_directory
        if temp is None and str(self.database) != ":memory:":
            temp = Path(f"{self.database}.tmp")
        return EngineLimits(self.memory_limit, self.threads, temp, self.max_temp_directory_size)


class DuckDBBackend:
    """The `duckdb` backend over one database file (or ':memory:')."""

    name = "duckdb"

    def __init__(self, settings: DuckDBSettings) -> None:
        config = settings.limits().connect_config()
        # Opened from a low-priority thread: DuckDB's engine threads inherit its priority.
        self._db = in_background_thread(
            lambda: duckdb.connect(str(settings.database), read_only=settings.read_only, config=config)
        )
        self._pool = WorkerPool("duckdb", BACKEND_THREADS, background=True)
        # Results are rendered in the client's TimeZone by the encoder; DuckDB computes in UTC.
        self._db.execute("SET TimeZone = 'UTC'")
        lock_down(self._db)
        self._lock = threading.Lock()  # guards cursor creation and the size cache
        self._sizes: dict[tuple[str, str], _TableSizes] = {}
        self._running: dict[str, duckdb.DuckDBPyConnection] = {}

    # -- metadata -------------------------------------------------------------------------

    async def datasets(self) -> list[str]:
        rows = await self._fetch(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() "
            "AND NOT internal AND schema_name NOT IN ('information_schema', 'pg_catalog', 'main') "
            "ORDER BY schema_name"
        )
        return [row[0] for row in rows]

    async def tables(self, dataset: str) -> list[TableMeta]:
        tables = await self._fetch(
            "SELECT table_name, 'TABLE', comment, estimated_size FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name = $1 "
            "UNION ALL SELECT view_name, 'VIEW', comment, NULL FROM duckdb_views() "
            "WHERE database_name = current_database() AND schema_name = $1 AND NOT internal ORDER BY 1",
            [dataset],
        )
        columns = await self._fetch(
            "SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = $1 ORDER BY table_name, column_index",
            [dataset],
        )
        by_table: dict[str, list[Field]] = {}
        for table, column, kind, nullable, comment in columns:
            mode: Literal["NULLABLE", "REQUIRED"] = "NULLABLE" if nullable else "REQUIRED"
            precision, scale = declared_decimal(kind)
            field = Field(column, bigquery_type(kind), mode, comment, precision, scale)
            by_table.setdefault(table, []).append(field)
        return [
            TableMeta(dataset, name, kind, tuple(by_table.get(name, ())), comment or None, rows)
            for name, kind, comment, rows in tables
        ]

    # -- queries --------------------------------------------------------------------------

    async def dry_run(self, sql: str, params: Sequence[QueryParam]) -> DryRun:
        estimate = await self._pool.run(self._estimate_bytes, sql)
        if not _returns_rows(sql):
            # DuckDB's relation API runs any statement that is not a query at once: a DML
            # statement must never reach it before its approval and audit record.
            return DryRun((), estimate)
        duck_sql = _to_duckdb(sql)
        fields = await self._pool.run(self._describe, for_describe(duck_sql), params)
        return DryRun(fields, estimate)

    async def execute_dml(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> JobStats:
        if _returns_rows(sql):
            raise PgError(SqlState.INTERNAL_ERROR, "execute_dml was given a query")
        duck_sql = _to_duckdb(sql)
        cursor = self._cursor()
        self._running[options.job_id] = cursor
        running = asyncio.ensure_future(self._pool.run(_run_dml, cursor, duck_sql, params))
        try:
            affected = await asyncio.shield(running)
        except BaseException:
            cursor.interrupt()
            with contextlib.suppress(BaseException):
                await running
            raise
        finally:
            self._running.pop(options.job_id, None)
            await self._pool.run(cursor.close)
        return JobStats(backend_job_id=options.job_id, affected_rows=affected)

    async def execute(self, sql: str, params: Sequence[QueryParam], options: JobOptions) -> DuckDBResult:
        duck_sql = _to_duckdb(sql)
        cursor = self._cursor()
        self._running[options.job_id] = cursor
        starting = asyncio.ensure_future(self._pool.run(_start, cursor, duck_sql, params))
        try:
            reader, fields, read, exhausted = await asyncio.shield(starting)
        except BaseException:
            # Cancelled or failed: stop DuckDB, wait until the worker thread lets go of the
            # cursor, and only then close it (closing a busy cursor raises).
            self._running.pop(options.job_id, None)
            cursor.interrupt()
            with contextlib.suppress(BaseException):
                await starting
            await self._pool.run(cursor.close)
            raise
        stats = JobStats(backend_job_id=options.job_id)
        on_close = lambda: self._running.pop(options.job_id, None)  # noqa: E731
        if exhausted:
            on_close()  # the cursor is closed already: nothing left to cancel
        return DuckDBResult(fields, stats, reader, cursor, on_close, self._pool, read, _exhausted=exhausted)

    async def cancel(self, job_id: str) -> None:
        cursor = self._running.get(job_id)
        if cursor is not None:
            with contextlib.suppress(duckdb.Error):  # it reached its end and closed meanwhile
                cursor.interrupt()

    async def close(self) -> None:
        for cursor in list(self._running.values()):
            with contextlib.suppress(duckdb.Error):  # one that ended meanwhile is closed
                cursor.interrupt()
        self._db.close()
        self._pool.shutdown()

    # -- helpers --------------------------------------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._db.cursor()

    async def _fetch(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            cursor = self._cursor()
            try:
                return cursor.execute(sql, params or []).fetchall()
            finally:
                cursor.close()

        return await self._pool.run(run)

    def _describe(self, duck_sql: str, params: Sequence[QueryParam]) -> tuple[Field, ...]:
        cursor = self._cursor()
        try:
            relation = _relation(cursor, duck_sql, params)
            return tuple(
                Field(n, bigquery_type(str(t))) for n, t in zip(relation.columns, relation.types, strict=True)
            )
        finally:
            cursor.close()

    def _estimate_bytes(self, bigquery_sql: str) -> int:
        """Bytes BigQuery would bill: each referenced column once, on its own table."""
        return estimate_bytes(bigquery_sql, self._column_bytes)

    def _column_bytes(self, dataset: str, table: str) -> dict[str, int] | None:
        sizes = self._table_sizes(dataset, table)
        return None if sizes is None else {c.lower(): b for c, b in sizes.column_bytes.items()}

    def _table_sizes(self, dataset: str, table: str) -> _TableSizes | None:
        key = (dataset, table)
        with self._lock:
            if key in self._sizes:
                return self._sizes[key]
        cursor = self._cursor()
        try:
            columns = cursor.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE database_name = current_database() "
                "AND schema_name = $1 AND table_name = $2 ORDER BY column_index",
                [dataset, table],
            ).fetchall()
            if not columns:
                return None
            sizes = _measure(cursor, dataset, table, columns)
        finally:
            cursor.close()
        with self._lock:
            self._sizes[key] = sizes
        return sizes


def _measure(cursor: duckdb.DuckDBPyConnection, dataset: str, table: str, columns: list[Any]) -> _TableSizes:
    """Measure each column's billed size once: fixed widths by type, strings by their length."""
    parts = ["count(*)"]
    for name, kind in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        bq = bigquery_type(kind)
        if bq in _FIXED_WIDTH:
            parts.append(f"count({quoted}) * {_FIXED_WIDTH[bq]}")
        else:
            parts.append(f"coalesce(sum(strlen(CAST({quoted} AS VARCHAR)) + 2), 0)")
    qualified = '"' + dataset.replace('"', '""') + '"."' + table.replace('"', '""') + '"'
    row = cursor.execute(f"SELECT {', '.join(parts)} FROM {qualified}").fetchone()
    assert row is not None
    return _TableSizes(
        int(row[0]), {name: int(size) for (name, _), size in zip(columns, row[1:], strict=True)}
    )


def _returns_rows(bigquery_sql: str) -> bool:
    return isinstance(sqlglot.parse_one(bigquery_sql, read="bigquery"), exp.Query)


def _run_dml(cursor: duckdb.DuckDBPyConnection, duck_sql: str, params: Sequence[QueryParam]) -> int:
    try:
        row = cursor.execute(duck_sql, _param_values(params) or None).fetchone()
    except duckdb.Error as error:
        raise _pg_error(error) from error
    return int(row[0]) if row else 0


@functools.lru_cache(maxsize=1024)
def _to_duckdb(sql: str) -> str:
    # Prepared statements run the same BigQuery SQL many times: translate it once.
    from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb

    duck_sql = bigquery_to_duckdb(sql)
    if "UNNEST(GENERATE_SERIES(" not in duck_sql.upper():
        return duck_sql
    tree = sqlglot.parse_one(duck_sql, read="duckdb")
    return tree.sql("duckdb") if stream_series(tree) else duck_sql


def _param_values(params: Sequence[QueryParam]) -> dict[str, object]:
    return {param.name: param.value for param in params}


def _relation(cursor: duckdb.DuckDBPyConnection, duck_sql: str, params: Sequence[QueryParam]) -> Any:
    try:
        relation = cursor.sql(duck_sql, params=_param_values(params) or None)
    except duckdb.Error as error:
        raise _pg_error(error) from error
    if relation is None:
        raise PgError(
            SqlState.FEATURE_NOT_SUPPORTED, "only queries that return rows can run on the duckdb backend"
        )
    return relation


def _start(
    cursor: duckdb.DuckDBPyConnection, duck_sql: str, params: Sequence[QueryParam]
) -> tuple[pa.RecordBatchReader, tuple[Field, ...], list[pa.RecordBatch], bool]:
    """The reader, the result's fields, the batches read so far and whether that was all."""
    relation = _relation(cursor, duck_sql, params)
    fields = tuple(
        Field(n, bigquery_type(str(t))) for n, t in zip(relation.columns, relation.types, strict=True)
    )
    try:
        reader = relation.to_arrow_reader(BATCH_ROWS)
    except duckdb.Error as error:
        raise _pg_error(error) from error
    # The first batch is read by the same worker call: errors raised while computing it
    # surface here, before any row. A short first batch is most likely the whole result, so
    # its end is looked for here too (closing the cursor): a point query then costs this one
    # thread round trip and no other.
    first = _read_batch(reader, cursor)
    if first is None:
        return reader, fields, [], True
    if first.num_rows >= BATCH_ROWS:
        return reader, fields, [first], False
    second = _read_batch(reader, cursor)
    return reader, fields, [first] if second is None else [first, second], second is None


def _pg_error(error: duckdb.Error) -> PgError:
    message = str(error)
    memory = out_of_memory(error)
    if memory is not None:
        return memory
    if isinstance(error, duckdb.InterruptException):
        return PgError(SqlState.QUERY_CANCELED, "canceling statement due to user request")
    if isinstance(error, duckdb.CatalogException):
        return PgError(SqlState.UNDEFINED_TABLE, message)
    if isinstance(error, duckdb.ParserException):
        return PgError(SqlState.SYNTAX_ERROR, message)
    if isinstance(error, duckdb.BinderException):
        return PgError(
            SqlState.UNDEFINED_COLUMN if "not found" in message else SqlState.DATATYPE_MISMATCH, message
        )
    if isinstance(error, duckdb.OutOfRangeException):
        return PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, message)
    if isinstance(error, duckdb.ConversionException):
        return PgError(SqlState.INVALID_TEXT_REPRESENTATION, message)
    if "Division by zero" in message or "division by zero" in message:
        return PgError(SqlState.DIVISION_BY_ZERO, "division by zero")
    if isinstance(error, duckdb.InvalidInputException):
        return raised_by_translation(message) or PgError(SqlState.DATA_EXCEPTION, message)
    return PgError(SqlState.INTERNAL_ERROR, f"duckdb backend: {message}")


def _read_batch(reader: pa.RecordBatchReader, cursor: duckdb.DuckDBPyConnection) -> pa.RecordBatch | None:
    """The next batch, or None at the end, when the cursor is closed in the same worker call."""
    try:
        return reader.read_next_batch()
    except StopIteration:
        cursor.close()
        return None
    except duckdb.Error as error:
        raise _pg_error(error) from error
    except (pa.ArrowInvalid, OSError) as error:
        # DuckDB reports errors raised while streaming (casts, division) through Arrow, as an
        # ArrowInvalid or an OSError carrying DuckDB's own message.
        raise out_of_memory(error) or _streamed_error(str(error)) from error


# DuckDB's message prefix for errors that reach us through Arrow -> SQLSTATE (None: keep it).
_STREAMED = (
    ("Division by zero", SqlState.DIVISION_BY_ZERO, "division by zero"),
    ("Out of Memory Error", SqlState.OUT_OF_MEMORY, "out of memory"),
    ("INTERRUPT Error", SqlState.QUERY_CANCELED, "canceling statement due to user request"),
    ("Conversion Error", SqlState.INVALID_TEXT_REPRESENTATION, None),
    ("Out of Range Error", SqlState.NUMERIC_VALUE_OUT_OF_RANGE, None),
)


def _streamed_error(message: str) -> PgError:
    raised = raised_by_translation(message)
    if raised is not None:
        return raised
    for marker, sqlstate, text in _STREAMED:
        if marker.lower() in message.lower():
            return PgError(sqlstate, text or message)
    return PgError(SqlState.DATA_EXCEPTION, message)


@dataclass
class DuckDBResult:
    """A running DuckDB query; batches are read one at a time in a worker thread."""

    fields: tuple[Field, ...]
    stats: JobStats
    _reader: pa.RecordBatchReader
    _cursor: duckdb.DuckDBPyConnection
    _on_close: Any
    _pool: WorkerPool
    _read: list[pa.RecordBatch] = field(default_factory=list)  # read by _start, not yet yielded
    _closed: bool = field(default=False)
    _reading: asyncio.Future[pa.RecordBatch | None] | None = None
    _exhausted: bool = field(default=False)

    async def batches(self) -> AsyncIterator[pa.RecordBatch]:
        read, self._read = self._read, []
        for batch in read:
            if batch.num_rows:
                yield batch
        while not self._closed and not self._exhausted:
            # Shielded: a cancelled consumer must not leave the worker thread using the cursor
            # while aclose() closes it; aclose() waits for this read instead.
            self._reading = asyncio.ensure_future(self._pool.run(self._next))
            batch = await asyncio.shield(self._reading)
            self._reading = None
            if batch is None:
                break
            if batch.num_rows:
                yield batch
        await self.aclose()

    def _next(self) -> pa.RecordBatch | None:
        batch = _read_batch(self._reader, self._cursor)
        self._exhausted = batch is None  # set in the worker, before aclose() can look
        return batch

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._on_close()
        if not self._exhausted:
            self._cursor.interrupt()
        if self._reading is not None:
            with contextlib.suppress(BaseException):
                await self._reading
        if not self._exhausted:
            await self._pool.run(self._cursor.close)
