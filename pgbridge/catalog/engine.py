"""CatalogEngine: answer pg_catalog / information_schema queries locally, never on BigQuery.

Metadata is read from the backend and kept for ttl_seconds. Each distinct visibility set
(the tables a principal's can_read admits) gets its own DuckDB database built from exactly
those tables, so objects a principal may not read exist nowhere it can look; databases are
kept in a small LRU. A query is parsed (sqlglot, postgres), rewritten onto our relations
(rewrite.py), typed (infer.py) and run in a worker thread under the database's lock, with the
session's values set as DuckDB variables first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from pgbridge.backends.base import Backend, TableMeta
from pgbridge.catalog.api import CatalogResult, CatalogSession
from pgbridge.catalog.database import arrow_type, build_database
from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.infer import Inferrer, name_projections
from pgbridge.catalog.oids import stable_oid
from pgbridge.catalog.params import cast_types, describe_oids, parameter_oids
from pgbridge.catalog.reach import check_reach
from pgbridge.catalog.rewrite import REG_TYPES, RewriteContext, rewrite
from pgbridge.catalog.snapshot import OWNER, OWNER_OID, Snapshot, build_snapshot
from pgbridge.catalog.variables import session_variables
from pgbridge.typemap import OutputColumn, PgType
from pgbridge.wire.errors import PgError, SqlState

MAX_DATABASES = 16
MAX_PREPARED = 256
MAX_ANSWERS = 256  # remembered results per database
MAX_ANSWER_ROWS = 10_000  # larger results are not remembered
# Answers that change without the catalog changing are never remembered.
_VOLATILE = re.compile(
    r"\b(now|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|current_time"
    r"|current_timestamp|current_date|localtime|localtimestamp|txid_current|pg_postmaster_start_time)\b",
    re.IGNORECASE,
)


Output = tuple[str, str | None, exp.Expr]  # (column name, PostgreSQL type name, projection)


@dataclass(frozen=True)
class _Prepared:
    duck_sql: str
    outputs: list[Output]
    param_oids: dict[int, int]  # only known when prepared for describing (no values)


@dataclass
class _Database:
    snapshot: Snapshot
    con: duckdb.DuckDBPyConnection
    lock: threading.Lock = field(default_factory=threading.Lock)
    session_key: object = None
    # Rewritten statements without parameters, by (text, search path, version): clients repeat them.
    prepared: OrderedDict[tuple[str, tuple[str, ...], str], _Prepared] = field(default_factory=OrderedDict)
    # Whole answers by (text, parameters, session values): a database's rows never change
    # (a metadata refresh builds a new database), so psql's and drivers' repeated
    # introspection is answered without running DuckDB again.
    answers: OrderedDict[tuple[object, ...], CatalogResult] = field(default_factory=OrderedDict)


class CatalogEngine:
    def __init__(
        self, backend: Backend, ttl_seconds: float = 300.0, default_dataset: str | None = None
    ) -> None:
        self._backend = backend
        self._ttl = ttl_seconds
        # The dataset the gateway resolves `public` to: its tables keep their own schema name
        # and are visible (pg_table_is_visible, \dt, unqualified regclass) wherever public is.
        self._default_dataset = default_dataset
        self._tables: tuple[TableMeta, ...] | None = None
        self._loaded_at = 0.0
        self._databases: OrderedDict[frozenset[tuple[str, str, bool]], _Database] = OrderedDict()
        self._refresh_lock = asyncio.Lock()
        self._started = time.time()

    async def refresh(self) -> None:
        async with self._refresh_lock:
            tables: list[TableMeta] = []
            for dataset in await self._backend.datasets():
                tables.extend(await self._backend.tables(dataset))
            self._tables = tuple(tables)
            self._loaded_at = time.monotonic()
            self._databases.clear()

    def invalidate(self) -> None:
        self._tables = None

    async def run(self, sql: str, params: Sequence[object], session: CatalogSession) -> CatalogResult:
        try:
            return await self._run_once(sql, params, session)
        except PgError as error:
            if error.sqlstate != SqlState.UNDEFINED_TABLE or not self._tables:
                raise
            # The query names a relation we do not know: the metadata may be stale.
            await self.refresh()
            return await self._run_once(sql, params, session)

    async def describe(
        self, sql: str, param_oids: Sequence[int], session: CatalogSession
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...]]:
        database = await self._database(session)
        return await _interruptible(database, self._describe_sync, database, sql, param_oids, session)

    async def _run_once(self, sql: str, params: Sequence[object], session: CatalogSession) -> CatalogResult:
        database = await self._database(session)
        return await _interruptible(database, self._run_sync, database, sql, params, session)

    # -- metadata and databases ---------------------------------------------------------

    async def _database(self, session: CatalogSession) -> _Database:
        if self._tables is None or time.monotonic() - self._loaded_at > self._ttl:
            await self.refresh()
        assert self._tables is not None
        visible = [
            _without_sizes(t) if _filtered(session, t) else t for t in self._tables if _may_read(session, t)
        ]
        key = frozenset((t.dataset, t.name, t.num_rows is None) for t in visible)
        database = self._databases.get(key)
        if database is None:
            snapshot = build_snapshot(visible)
            database = _Database(snapshot, await asyncio.to_thread(build_database, snapshot))
            self._databases[key] = database
            while len(self._databases) > MAX_DATABASES:
                self._databases.popitem(last=False)
        self._databases.move_to_end(key)
        return database

    # -- one statement ----------------------------------------------------------------------

    def _prepare(
        self, database: _Database, sql: str, params: Sequence[object] | None, session: CatalogSession
    ) -> _Prepared:
        key = (sql, _search_path(session, self._default_dataset), session.server_version)
        cacheable = not params and not re.search(r"current_setting", sql, re.I)
        if cacheable and key in database.prepared:
            database.prepared.move_to_end(key)
            return database.prepared[key]
        prepared = self._prepare_uncached(database, sql, params, session)
        if cacheable:
            database.prepared[key] = prepared
            while len(database.prepared) > MAX_PREPARED:
                database.prepared.popitem(last=False)
        return prepared

    def _prepare_uncached(
        self, database: _Database, sql: str, params: Sequence[object] | None, session: CatalogSession
    ) -> _Prepared:
        tree = parse_one(sql)
        check_reach(tree)  # catalog relations and functions only, never the engine's own
        casts = cast_types(tree) if params is None else {}
        settings = frozenset(k.lower() for k in session.settings) | _builtin_settings()
        ctx = RewriteContext(
            database.snapshot,
            _search_path(session, self._default_dataset),
            params,
            session.server_version,
            settings,
        )
        name_projections(tree)
        rewritten = rewrite(tree, ctx)
        inferrer = Inferrer(rewritten)
        param_oids = parameter_oids(rewritten, inferrer, casts) if params is None else {}
        return _Prepared(rewritten.sql("duckdb"), inferrer.output(), param_oids)

    def _run_sync(
        self, database: _Database, sql: str, params: Sequence[object], session: CatalogSession
    ) -> CatalogResult:
        key = None if _VOLATILE.search(sql) else (sql, repr(params), _session_key(session))
        with database.lock:
            if key is not None and key in database.answers:
                database.answers.move_to_end(key)
                return database.answers[key]
        prepared = self._prepare(database, sql, params, session)
        with database.lock:
            self._set_session(database, session)
            table = _execute(database.con, prepared.duck_sql)
            columns, arrays = [], []
            for index, (name, pgtype, _) in enumerate(
                prepared.outputs[: table.num_columns] or _unnamed(table)
            ):
                pg = _resolve_type(pgtype, table.schema.field(index).type)
                columns.append(OutputColumn(name, pg))
                arrays.append(_present(database.con, table.column(index), pg))
            result = pa.Table.from_arrays(arrays, names=[c.name for c in columns]) if arrays else table
            answer = CatalogResult(tuple(columns), tuple(result.to_batches()), f"SELECT {table.num_rows}")
            if key is not None and table.num_rows <= MAX_ANSWER_ROWS:
                database.answers[key] = answer
                while len(database.answers) > MAX_ANSWERS:
                    database.answers.popitem(last=False)
        return answer

    def _describe_sync(
        self, database: _Database, sql: str, param_oids: Sequence[int], session: CatalogSession
    ) -> tuple[tuple[int, ...], tuple[OutputColumn, ...]]:
        count = max([int(n) for n in re.findall(r"\$(\d+)", sql)] or [0])
        prepared = self._prepare(database, sql, None, session)
        with database.lock:
            self._set_session(database, session)
            try:
                types = database.con.sql(prepared.duck_sql).types
            except duckdb.Error as error:
                raise _pg_error(error) from None
        columns = tuple(
            OutputColumn(name, _resolve_type(pgtype, None))
            for name, pgtype, _ in prepared.outputs[: len(types)]
        )
        return describe_oids(count, param_oids, prepared.param_oids), columns

    def _set_session(self, database: _Database, session: CatalogSession) -> None:
        key = _session_key(session)
        if database.session_key == key:
            return
        user_oid = OWNER_OID if session.user == OWNER else stable_oid("role", session.user)
        for statement in session_variables(
            database.snapshot, session, user_oid, _search_path(session, self._default_dataset), self._started
        ):
            database.con.execute(statement)
        database.session_key = key


# sqlglot 30 cannot parse `x::oid[]`; `x::_oid` names the same PostgreSQL type (its typname).
_ARRAY_CAST = re.compile(r"::\s*(?:pg_catalog\.)?(oid|regtype|regclass|regproc|name|char)\s*\[\]", re.I)


def parse_one(sql: str) -> exp.Expr:
    sql = _ARRAY_CAST.sub(lambda m: f"::_{m.group(1).lower()}", sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except ParseError as error:
        raise PgError(
            SqlState.SYNTAX_ERROR,
            f"syntax error in catalog query: {error.errors[0]['description']}"
            if error.errors
            else "syntax error in catalog query",
        ) from None
    if len(statements) != 1:
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "the catalog answers one statement at a time")
    if not isinstance(statements[0], exp.Query):
        raise PgError(SqlState.FEATURE_NOT_SUPPORTED, "the catalog answers SELECT statements only")
    return cast(exp.Expr, statements[0])


def _session_key(session: CatalogSession) -> tuple[object, ...]:
    """Everything of a session that a catalog answer may depend on (visibility aside: each
    visibility set has its own database)."""
    return (
        session.user,
        session.database,
        session.search_path,
        tuple(sorted(session.settings.items())),
        session.backend_pid,
        session.server_version,
    )


def _filtered(session: CatalogSession, table: TableMeta) -> bool:
    try:
        return bool(session.row_filtered(table.dataset, table.name))
    except Exception:  # cannot tell: hide the statistics (fail closed)
        return True


def _without_sizes(table: TableMeta) -> TableMeta:
    return dataclasses.replace(table, num_rows=None, num_bytes=None)


def _may_read(session: CatalogSession, table: TableMeta) -> bool:
    try:
        return bool(session.can_read(table.dataset, table.name))
    except Exception:  # a policy that cannot decide hides the table (fail closed)
        return False


def _search_path(session: CatalogSession, default_dataset: str | None) -> tuple[str, ...]:
    """The schemas unqualified names are looked up in, as the gateway's name resolution does it:
    `public` stands for the default dataset, so that dataset's schema follows it on the path."""
    path: list[str] = []
    for schema in session.search_path:
        name = session.user if schema == "$user" else schema
        path.append(name)
        if name == "public" and default_dataset and default_dataset != "public":
            path.append(default_dataset)
    return tuple(dict.fromkeys(path))


def _builtin_settings() -> frozenset[str]:
    return frozenset(row["name"] for row in load_facts().rows["pg_catalog.pg_settings"])


def _unnamed(table: pa.Table) -> list[Output]:
    return [(name, None, exp.null()) for name in table.column_names]


T = TypeVar("T")


async def _interruptible(database: _Database, work: Callable[..., T], *args: object) -> T:
    """Run `work` in a worker thread; if the statement is cancelled (CancelRequest,
    statement_timeout), interrupt DuckDB and wait for the thread, so a cancelled catalog query
    stops using the CPU and the shared catalog connection at once."""
    running = asyncio.ensure_future(asyncio.to_thread(work, *args))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        database.con.interrupt()
        with contextlib.suppress(BaseException):
            await running
        raise


def _execute(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as error:
        raise _pg_error(error) from None


_DUCK_FUNCTION = re.compile(r"(?:Scalar|Table|Aggregate) Function with name \"?(\w+)\"? does not exist")


def _pg_error(error: Exception) -> PgError:
    text = str(error)
    missing = _DUCK_FUNCTION.search(text)
    if missing:
        return PgError(
            SqlState.UNDEFINED_FUNCTION,
            f"function {missing.group(1)} does not exist",
            hint="pgbridge's catalog implements the functions PostgreSQL clients use for introspection",
        )
    if "Referenced column" in text or "not found in FROM clause" in text:
        return PgError(SqlState.UNDEFINED_COLUMN, text.split("\n")[0])
    if "Table with name" in text:
        return PgError(SqlState.UNDEFINED_TABLE, text.split("\n")[0])
    return PgError(SqlState.FEATURE_NOT_SUPPORTED, f"catalog query failed: {text.splitlines()[0]}")


_DUCK_TO_PG = {
    pa.int64(): "int8",
    pa.int32(): "int4",
    pa.int16(): "int2",
    pa.bool_(): "bool",
    pa.float64(): "float8",
    pa.float32(): "float4",
    pa.uint32(): "oid",
    pa.string(): "text",
    pa.large_string(): "text",
    pa.date32(): "date",
}


def _resolve_type(pgtype: str | None, storage: pa.DataType | None) -> PgType:
    facts = load_facts()
    if pgtype and pgtype in facts.types_by_name and pgtype not in ("record", "unknown"):
        return facts.types_by_name[pgtype]
    if storage is not None:
        if pa.types.is_list(storage) or pa.types.is_large_list(storage):
            element = _resolve_type(None, storage.value_type)
            return facts.types_by_oid.get(element.array_oid, facts.types_by_name["_text"])
        if pa.types.is_timestamp(storage):
            return facts.types_by_name["timestamptz" if storage.tz else "timestamp"]
        if pa.types.is_decimal(storage):
            return facts.types_by_name["numeric"]
        return facts.types_by_name[_DUCK_TO_PG.get(storage, "text")]
    return facts.types_by_name["text"]


def _present(con: duckdb.DuckDBPyConnection, column: pa.ChunkedArray, pg: PgType) -> pa.ChunkedArray:
    """The column as the client sees it: reg* as their display names, others in their storage type."""
    if pg.name in REG_TYPES:
        family = "regproc" if pg.name == "regprocedure" else pg.name
        # Registered by name: DuckDB's lookup of Python locals does not see this frame reliably.
        con.register("pgb_reg_values", pa.table({"v": column.cast(pa.uint32())}))
        try:
            return con.sql(f"SELECT pgb_{family}_out(v) FROM pgb_reg_values").to_arrow_table().column(0)
        finally:
            con.unregister("pgb_reg_values")
    target = arrow_type(pg)
    if column.type == target:
        return column
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column
