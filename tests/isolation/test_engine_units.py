"""The bounded embedded engine, part by part, on a real DuckDB: describing without computing,
series that stream, the catalog's time limit, memory limit and cursors, and pool threads."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from pgbridge.backends.duckdb_describe import for_describe
from pgbridge.backends.duckdb_limits import EngineLimits
from pgbridge.backends.duckdb_series import stream_series
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.wire.errors import PgError
from pgbridge.workers import BACKGROUND_NICE, DEMOTE_AFTER_S, WorkerPool
from tests.catalog.conftest import make_session
from tests.catalog.shop import ShopBackend
from tests.isolation.support import LONG_CATALOG


def small_duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config=EngineLimits(memory_limit="64MB", threads=1).connect_config())


def test_cursors_of_an_engine_cannot_read_python_objects_by_name() -> None:
    # The catalog runs each query on a cursor; a cursor used to get replacement scans back.
    con = small_duckdb()
    con.execute("SET lock_configuration = true")
    cursor = con.cursor()
    secret = pa.table({"token": ["do-not-leak"]})  # noqa: F841  (found by name, if at all)
    with pytest.raises(duckdb.CatalogException):
        cursor.sql("SELECT * FROM secret").fetchall()


def test_describing_does_not_build_the_large_constants_binding_would() -> None:
    con = small_duckdb()
    sql = "SELECT length(repeat('x', 600000000)) AS n, lpad('a', 600000000, 'b') AS p"
    started = time.monotonic()
    assert con.sql(for_describe(sql)).types == ["BIGINT", "VARCHAR"]
    assert time.monotonic() - started < 0.5  # binding the original builds 1.2 GB of text first


def test_describing_a_series_keeps_its_types_and_parameters() -> None:
    con = small_duckdb()
    sql = 'SELECT COUNT(*) AS "count", MIN(x) FROM UNNEST(GENERATE_SERIES(1, $p1)) AS _t0(x)'
    described = for_describe(sql)
    assert "$p1" in described  # DuckDB refuses values for parameters a statement lacks
    assert con.sql(described, params={"p1": 3_000_000_000}).types == ["BIGINT", "BIGINT"]
    stamps = (
        "SELECT x FROM UNNEST(GENERATE_SERIES(CAST('2024-01-01' AS TIMESTAMP), "
        "CAST('2224-01-01' AS TIMESTAMP), INTERVAL '1' SECOND)) AS _t0(x)"
    )
    started = time.monotonic()
    assert con.sql(for_describe(stamps)).types == ["TIMESTAMP"]
    assert time.monotonic() - started < 0.5  # 6.3 billion instants, never built


def test_a_constant_series_in_from_streams_in_constant_memory() -> None:
    sql = 'SELECT COUNT(*) AS "n" FROM UNNEST(GENERATE_SERIES(1, 300000000)) AS _t0(x)'
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert stream_series(tree)
    started = time.monotonic()
    assert small_duckdb().sql(tree.sql("duckdb")).fetchall() == [(300_000_000,)]
    assert time.monotonic() - started < 5  # as a list: a minute, and gigabytes past the limit
    # A bound that depends on a row stays a lateral unnest (table functions are not lateral).
    lateral = sqlglot.parse_one("SELECT x FROM t, UNNEST(GENERATE_SERIES(1, t.n)) AS _t0(x)", read="duckdb")
    assert not stream_series(lateral)


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _nice_after(seconds: float) -> tuple[int, int]:
    time.sleep(seconds)
    return threading.get_native_id(), _nice()


async def test_long_query_calls_yield_the_cpu_and_short_ones_do_not() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    pool = WorkerPool("test-background", 2, background=True)
    try:
        short_thread, short_nice = await pool.run(_nice_after, 0)
        assert short_nice == base  # a SELECT 1 runs at normal priority
        long_thread, long_nice = await pool.run(_nice_after, DEMOTE_AFTER_S * 4)
        assert long_nice == base + BACKGROUND_NICE  # demoted while it ran
        # The demoted thread retired: the next call runs at normal priority again.
        thread, nice = await pool.run(_nice_after, 0)
        assert nice == base and thread != long_thread
    finally:
        pool.shutdown()
    plain = WorkerPool("test-plain", 1)
    try:
        assert (await plain.run(_nice_after, DEMOTE_AFTER_S * 4))[1] == base  # logins: never demoted
    finally:
        plain.shutdown()


async def test_pool_runs_at_most_its_threads_at_once() -> None:
    pool = WorkerPool("test-size", 2)
    running, peak = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    try:
        await asyncio.gather(*(pool.run(work) for _ in range(8)))
    finally:
        pool.shutdown()
    assert peak == 2


async def test_catalog_query_stops_at_the_catalog_time_limit() -> None:
    engine = CatalogEngine(ShopBackend(), statement_timeout_ms=400)
    session = make_session("al")
    started = time.monotonic()
    with pytest.raises(PgError) as caught:
        await engine.run(LONG_CATALOG, [], session)
    assert caught.value.sqlstate == "57014" and "catalog queries may run for at most 400 ms" in str(
        caught.value.detail
    )
    assert time.monotonic() - started < 5  # DuckDB was interrupted, not waited for
    rows = await engine.run("SELECT count(*) FROM pg_class", [], session)
    assert rows.batches[0].column(0)[0].as_py() > 0  # the database and the cursor still serve


async def test_catalog_queries_of_one_database_do_not_wait_for_each_other() -> None:
    # One visibility set, one catalog database: a long query on it used to hold its lock.
    engine = CatalogEngine(ShopBackend(), statement_timeout_ms=5_000)
    long_query = asyncio.create_task(engine.run(LONG_CATALOG, [], make_session("al")))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    quick = await asyncio.wait_for(engine.run("SELECT relname FROM pg_class", [], make_session("bo")), 4)
    assert quick.batches and time.monotonic() - started < 2
    assert not long_query.done()
    long_query.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long_query


async def test_catalog_database_has_a_memory_limit() -> None:
    engine = CatalogEngine(ShopBackend(), limits=EngineLimits(memory_limit="16MB", threads=1))
    with pytest.raises(PgError) as caught:
        await engine.run(
            "SELECT count(*) FROM (SELECT DISTINCT a.name || b.name || c.name AS n "
            "FROM pg_settings a, pg_settings b, pg_settings c) s",
            [],
            make_session("al"),
        )
    assert caught.value.sqlstate == "53200"
