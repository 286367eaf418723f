"""CatalogEngine: answer pg_catalog / information_schema queries locally, never on BigQuery.

Metadata is read from the backend and kept for ttl_seconds. Each distinct visibility set
(the tables a principal's can_read admits) gets its own DuckDB database built from exactly
those tables, so objects a principal may not read exist nowhere it can look; databases are
kept in a small LRU. A query is parsed (sqlglot, postgres), rewritten onto our relations
(rewrite.py), typed (infer.py) and run in a thread of the catalog's own worker pool on one of
the database's cursors, with the session's values set as DuckDB variables first (variables
belong to a cursor). Cursors and the caches are handed out on the event loop, so a query never
waits for another while holding a thread. Every query has a time limit even when the session
has none (`statement_timeout_ms`); when it fires, DuckDB is interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import re
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
from pgbridge.backends.duckdb_describe import for_describe
from pgbridge.backends.duckdb_limits import EngineLimits, out_of_memory
from pgbridge.catalog.api import CatalogResult, CatalogSession
from pgbridge.catalog.database import DEFAULT_LIMITS, build_database
from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.infer import Inferrer, name_projections
from pgbridge.catalog.oids import stable_oid
from pgbridge.catalog.params import cast_types, describe_oids, parameter_oids
from pgbridge.catalog.reach import check_reach
from pgbridge.catalog.rewrite import REG_TYPES, RewriteContext, rewrite
from pgbridge.catalog.snapshot import OWNER, OWNER_OID, Snapshot, build_snapshot
from pgbridge.catalog.storage import arrow_type
from pgbridge.catalog.variables import session_variables
from pgbridge.typemap import OutputColumn, PgType
from pgbridge.wire.errors import PgError, SqlState
from pgbridge.workers import CATALOG_THREADS, WorkerPool

MAX_DATABASES = 16
MAX_PREPARED = 256
MAX_ANSWERS = 256  # remembered results per database
MAX_ANSWER_ROWS = 10_000  # larger results are not remembered
MAX_SESSIONS = 256  # session variable scripts kept per database
IDLE_CURSORS = 4  # cursors kept per database for the next queries
# Answers that change without the catalog changing are never remembered.
_VOLATILE = re.compile(
    r"\b(now|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|current_time"
    r"|current_timestamp|current_date|localtime|localtimestamp|txid_current|pg_postmaster_start_time)\b",
    re.IGNORECASE,
)
# The one session value that differs between two connections of the same principal with the
# same settings: an answer is keyed by it only when the text can ask for it.
_BACKEND_PID = re.compile(r"backend_pid", re.IGNORECASE)


Output = tuple[str, str | None, exp.Expr]  # (column name, PostgreSQL type name, projection)
Description = tuple[tuple[int, ...], tuple[OutputColumn, ...]]  # parameter OIDs, result columns
T = TypeVar("T")


@dataclass(frozen=True)
class _Prepared:
    duck_sql: str
    outputs: list[Output]
    param_oids: dict[int, int]  # only known when prepared for describing (no values)


@dataclass
class _Cursor:
    con: duckdb.DuckDBPyConnection
    session_key: object = None  # whose session variables are set on it


@dataclass
class _Database:
    snapshot: Snapshot
    con: duckdb.DuckDBPyConnection
    idle: list[_Cursor] = field(default_factory=list)
    # Rewritten statements without parameters, by (text, search path, version): clients repeat them.
    prepared: OrderedDict[tuple[str, tuple[str, ...], str], _Prepared] = field(default_factory=OrderedDict)
    # Whole answers by (text, parameters, session values): a database's rows never change
    # (a metadata refresh builds a new database), so psql's and drivers' repeated
    # introspection is answered without running DuckDB again, on every connection.
    answers: OrderedDict[tuple[object, ...], CatalogResult] = field(default_factory=OrderedDict)
    # Descriptions (parameter OIDs, columns) by (text, declared OIDs, session values): types
    # follow from the text and the schema, which a database never changes.
    descriptions: OrderedDict[tuple[object, ...], Description] = field(default_factory=OrderedDict)
    # The session's SET VARIABLE script by session key: rendering ~350 settings is not free.
    variables: OrderedDict[tuple[object, ...], str] = field(default_factory=OrderedDict)

    def checkout(self) -> _Cursor:
        return self.idle.pop() if self.idle else _Cursor(self.con.cursor())

    def checkin(self, cursor: _Cursor) -> None:
        if len(self.idle) < IDLE_CURSORS:
            self.idle.append(cursor)
        else:
            cursor.con.close()

    def remembered(self, key: tuple[object, ...] | None) -> CatalogResult | None:
        if key is None or key not in self.answers:
            return None
        self.answers.move_to_end(key)
        return self.answers[key]

    def remember(self, key: tuple[object, ...] | None, answer: CatalogResult) -> None:
        if key is None or sum(b.num_rows for b in answer.batches) > MAX_ANSWER_ROWS:
            return
        self.answers[key] = answer
        while len(self.answers) > MAX_ANSWERS:
            self.answers.popitem(last=False)


class CatalogEngine:
    def __init__(
        self,
        backend: Backend,
        ttl_seconds: float = 300.0,
        default_dataset: str | None = None,
        *,
        statement_timeout_ms: int = 10_000,
        limits: EngineLimits = DEFAULT_LIMITS,
    ) -> None:
        self._backend = backend
        self._ttl = ttl_seconds
        self._timeout_ms = statement_timeout_ms
        self._limits = limits
        self._pool = WorkerPool("catalog", CATALOG_THREADS, background=True)
        # The dataset the gateway resolves `public` to: the catalog lists its tables in the
        # schema `public` (snapshot.build_snapshot), as tools that list `public` expect.
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

    async def describe(self, sql: str, param_oids: Sequence[int], session: CatalogSession) -> Description:
        """Parameter types and result columns, without running the query. Drivers describe
        every unnamed statement they send (psycopg, asyncpg): remembered like answers."""
        database = await self._database(session)
        key = (sql, tuple(param_oids), _shared_session_key(sql, session))
        known = database.descriptions.get(key)
        if known is not None:
            database.descriptions.move_to_end(key)
            return known
        count = max([int(n) for n in re.findall(r"\$(\d+)", sql)] or [0])
        prepared = await self._prepared(database, sql, None, session)
        types = await self._on_cursor(database, session, _bind_types, prepared.duck_sql)
        columns = tuple(
            OutputColumn(name, _resolve_type(pgtype, None))
            for name, pgtype, _ in prepared.outputs[: len(types)]
        )
        described = describe_oids(count, param_oids, prepared.param_oids), columns
        if "pgb_pid" not in prepared.duck_sql:
            database.descriptions[key] = described
            while len(database.descriptions) > MAX_PREPARED:
                database.descriptions.popitem(last=False)
        return described

    async def _run_once(self, sql: str, params: Sequence[object], session: CatalogSession) -> CatalogResult:
        database = await self._database(session)
        answer_key = _answer_key(sql, params, session)
        answer = database.remembered(answer_key)
        if answer is None:
            prepared = await self._prepared(database, sql, params, session)
            answer = await self._on_cursor(database, session, _answer, prepared)
            if "pgb_pid" in prepared.duck_sql and not _text_traits(sql)[1]:
                answer_key = None  # reached the PID some other way: this connection's answer only
            database.remember(answer_key, answer)
        return answer

    async def close(self) -> None:
        self._pool.shutdown()

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
            snapshot = build_snapshot(visible, self._default_dataset)
            database = _Database(snapshot, await self._pool.run(build_database, snapshot, self._limits))
            self._databases[key] = database
            while len(self._databases) > MAX_DATABASES:
                self._databases.popitem(last=False)
        self._databases.move_to_end(key)
        return database

    # -- one statement ----------------------------------------------------------------------

    async def _prepared(
        self, database: _Database, sql: str, params: Sequence[object] | None, session: CatalogSession
    ) -> _Prepared:
        key = (sql, _search_path(session, self._default_dataset), session.server_version)
        cacheable = not params and not re.search(r"current_setting", sql, re.I)
        if cacheable and key in database.prepared:
            database.prepared.move_to_end(key)
            return database.prepared[key]
        prepared = await self._pool.run(self._prepare_uncached, database, sql, params, session)
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

    async def _on_cursor(
        self, database: _Database, session: CatalogSession, work: Callable[..., T], *args: object
    ) -> T:
        """Run `work(con, *args)` on a cursor of `database` that carries the session's variables,
        in the catalog pool, within the catalog's time limit. Cancelled (CancelRequest,
        statement_timeout) or out of time, DuckDB is interrupted and the thread waited for."""
        cursor = database.checkout()
        running = asyncio.ensure_future(
            self._pool.run(self._in_session, cursor, database, session, work, *args)
        )
        try:
            return await asyncio.wait_for(asyncio.shield(running), self._timeout_ms / 1000)
        except (asyncio.CancelledError, TimeoutError) as stopped:
            cursor.con.interrupt()
            with contextlib.suppress(BaseException):
                await running
            if isinstance(stopped, TimeoutError):
                raise _timed_out(self._timeout_ms) from None
            raise
        finally:
            if running.done():
                database.checkin(cursor)
            else:  # still busy in its thread: it cannot serve another query
                running.add_done_callback(lambda _: cursor.con.close())

    def _in_session(
        self,
        cursor: _Cursor,
        database: _Database,
        session: CatalogSession,
        work: Callable[..., T],
        *args: object,
    ) -> T:
        key = _session_key(session)
        if cursor.session_key != key:
            cursor.con.execute(self._variables(database, session, key))
            cursor.session_key = key
        return work(cursor.con, *args)

    def _variables(self, database: _Database, session: CatalogSession, key: tuple[object, ...]) -> str:
        """The SET VARIABLE script of a session, rendered once per session key and database
        (the schemas on its path that exist are the database's)."""
        script = database.variables.get(key)
        if script is None:
            user_oid = OWNER_OID if session.user == OWNER else stable_oid("role", session.user)
            path = _search_path(session, self._default_dataset)
            statements = session_variables(database.snapshot, session, user_oid, path, self._started)
            script = database.variables[key] = ";\n".join(statements)
            while len(database.variables) > MAX_SESSIONS:
                database.variables.popitem(last=False)
        return script


def _answer(con: duckdb.DuckDBPyConnection, prepared: _Prepared) -> CatalogResult:
    table = _execute(con, prepared.duck_sql)
    columns, arrays = [], []
    for index, (name, pgtype, _) in enumerate(prepared.outputs[: table.num_columns] or _unnamed(table)):
        pg = _resolve_type(pgtype, table.schema.field(index).type)
        columns.append(OutputColumn(name, pg))
        arrays.append(_present(con, table.column(index), pg))
    result = pa.Table.from_arrays(arrays, names=[c.name for c in columns]) if arrays else table
    return CatalogResult(tuple(columns), tuple(result.to_batches()), f"SELECT {table.num_rows}")


def _bind_types(con: duckdb.DuckDBPyConnection, duck_sql: str) -> list[object]:
    """The result types, from binding alone (on a copy whose series make nothing)."""
    try:
        return list(con.sql(for_describe(duck_sql)).types)
    except duckdb.Error as error:
        raise _pg_error(error) from None


def _timed_out(timeout_ms: int) -> PgError:
    return PgError(
        SqlState.QUERY_CANCELED,
        "canceling statement due to statement timeout",
        detail=f"catalog queries may run for at most {timeout_ms} ms",
        hint="narrow the catalog query (fewer relations, no large series or cross joins)",
    )


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
    visibility set has its own database): the values session_variables sets."""
    return (
        session.user,
        session.database,
        session.search_path,
        tuple(sorted(session.settings.items())),
        session.backend_pid,
        session.server_version,
    )


def _answer_key(sql: str, params: Sequence[object], session: CatalogSession) -> tuple[object, ...] | None:
    """What a remembered answer is found by, or None when it must not be remembered. The
    session's values are part of it, save the backend PID when the text cannot ask for it
    (pg_backend_pid() is its only way in), so a new connection finds the answers of the last."""
    if _text_traits(sql)[0]:
        return None
    return (sql, repr(params), _shared_session_key(sql, session))


def _shared_session_key(sql: str, session: CatalogSession) -> tuple[object, ...]:
    """_session_key without the backend PID, unless `sql` can ask for it."""
    key = _session_key(session)
    return key if _text_traits(sql)[1] else key[:4] + (None,) + key[5:]


def _text_traits(sql: str) -> tuple[bool, bool]:
    """(volatile, can ask for the backend PID): read once per text, not once per query (drivers'
    reflection texts run to kilobytes, and these searches cost more than the remembered answer)."""
    return _read_traits(sql) if len(sql) > 32_768 else _kept_traits(sql)


def _read_traits(sql: str) -> tuple[bool, bool]:
    return bool(_VOLATILE.search(sql)), bool(_BACKEND_PID.search(sql))


_kept_traits = functools.lru_cache(maxsize=1024)(_read_traits)


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
    """The schemas unqualified names are looked up in. The default dataset's tables are in
    `public` (snapshot.build_snapshot), so the path needs no second name for them; a path
    naming the dataset itself (`SET search_path = shop`) reaches them as public."""
    path: list[str] = []
    for schema in session.search_path:
        name = session.user if schema == "$user" else schema
        path.append("public" if default_dataset and name == default_dataset else name)
    return tuple(dict.fromkeys(path))


def _builtin_settings() -> frozenset[str]:
    return frozenset(row["name"] for row in load_facts().rows["pg_catalog.pg_settings"])


def _unnamed(table: pa.Table) -> list[Output]:
    return [(name, None, exp.null()) for name in table.column_names]


def _execute(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as error:
        raise _pg_error(error) from None


_DUCK_FUNCTION = re.compile(r"(?:Scalar|Table|Aggregate) Function with name \"?(\w+)\"? does not exist")


def _pg_error(error: Exception) -> PgError:
    memory = out_of_memory(error)
    if memory is not None:
        return memory
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
        # The row number keeps the order: DuckDB may return a correlated lookup's rows in any.
        values = pa.table({"v": column.cast(pa.uint32()), "i": pa.array(range(len(column)), pa.int64())})
        con.register("pgb_reg_values", values)
        try:
            sql = f"SELECT pgb_{family}_out(v) FROM pgb_reg_values ORDER BY i"
            return con.sql(sql).to_arrow_table().column(0)
        finally:
            con.unregister("pgb_reg_values")
    target = arrow_type(pg)
    if column.type == target:
        return column
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column
