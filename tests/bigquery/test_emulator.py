"""The BigQuery backend on the real google-cloud-bigquery client against the bqemulator.

Covers what the emulator supports: queries over REST, parameters of every type, metadata,
errors, large results with backpressure, and the Storage Read API (on tables: the emulator
cannot Storage-read query results, see test_http_boundary.py for that path).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
import pytest

from pgbridge.backends.base import Field, QueryParam
from pgbridge.backends.bigquery import BigQueryBackend
from pgbridge.backends.bigquery_read import open_read_session, storage_batches
from pgbridge.backends.bigquery_stream import ThreadedResult
from pgbridge.backends.bigquery_types import arrow_schema
from pgbridge.wire.errors import PgError, SqlState
from tests.bigquery.helpers import drain, options, run
from tests.support.bqemulator import BIG_ROWS, Emulator

UTC = dt.UTC
MakeBackend = Callable[..., BigQueryBackend]


async def test_every_column_type_over_rest_has_storage_arrow_types(backend: BigQueryBackend) -> None:
    # GEOGRAPHY columns come back mis-encoded from the emulator (see the geography test).
    table = await run(backend, "SELECT * EXCEPT (g) FROM shop.alltypes ORDER BY id")
    types = {f.name: f.type for f in table.schema}
    assert types == {
        "id": pa.int64(), "f": pa.float64(), "n": pa.decimal128(38, 9), "b": pa.bool_(), "s": pa.string(),
        "by": pa.binary(), "d": pa.date32(), "dt": pa.timestamp("us"), "t": pa.time64("us"),
        "ts": pa.timestamp("us", tz="UTC"), "j": pa.string(), "iv": pa.month_day_nano_interval(),
        "a": pa.list_(pa.int64()),
        "st": pa.struct([("x", pa.int64()), ("y", pa.string()), ("z", pa.list_(pa.string()))]),
        "r": pa.struct([("start", pa.date32()), ("end", pa.date32())]),
    }  # fmt: skip
    first, nulls = table.to_pylist()
    assert first["n"] == Decimal("12.345") and first["s"] == "héllo" and first["by"] == b"\x00\xff"
    assert first["dt"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
    assert first["t"] == dt.time(3, 4, 5, 500000)
    assert first["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    assert first["iv"] == pa.MonthDayNano([14, 3, (4 * 3600 + 5 * 60 + 6) * 10**9 + 500_000_000])
    assert first["a"] == [1, 2, 3] and first["st"] == {"x": 5, "y": "z", "z": ["p", "q"]}
    assert first["r"] == {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 2, 1)}
    assert nulls["f"] is None and nulls["st"] is None and nulls["a"] == [] and nulls["iv"] is None
    assert nulls["r"] is None


async def test_geography_as_wkt_text(backend: BigQueryBackend) -> None:
    table = await run(backend, "SELECT ST_ASTEXT(g) AS g FROM shop.alltypes WHERE id = 1")
    assert table.schema.field("g").type == pa.string()
    assert table.column("g").to_pylist()[0].replace(" ", "") == "POINT(12)"


async def test_result_fields_use_standard_sql_spelling(backend: BigQueryBackend) -> None:
    stream = await backend.execute("SELECT id, tags, name FROM shop.people ORDER BY id", [], options())
    await drain(stream)
    assert stream.fields[1] == Field("tags", "ARRAY<STRING>", "REPEATED")
    # jobs.query: the job is BigQuery's (the emulator makes one for every query)
    assert stream.stats.backend_job_id is not None and stream.stats.backend_job_id.startswith("bqemu_")


PARAMS = [
    ("INT64", 42, 42),
    ("FLOAT64", 2.5, 2.5),
    ("NUMERIC", Decimal("1.25"), Decimal("1.25")),
    ("BOOL", True, True),
    ("STRING", "ünï", "ünï"),
    ("DATE", dt.date(2024, 2, 29), dt.date(2024, 2, 29)),
    ("DATETIME", dt.datetime(2024, 1, 2, 3, 4, 5, 6), dt.datetime(2024, 1, 2, 3, 4, 5, 6)),
    ("TIME", dt.time(23, 59, 58, 123456), dt.time(23, 59, 58, 123456)),
    ("TIMESTAMP", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("ARRAY<INT64>", [3, 1, 2], [3, 1, 2]),
    ("ARRAY<STRING>", ["a", "b"], ["a", "b"]),
    ("STRUCT<a INT64, b STRING>", {"a": 7, "b": "x"}, {"a": 7, "b": "x"}),
]


@pytest.mark.parametrize(("bq_type", "value", "expected"), PARAMS, ids=[p[0] for p in PARAMS])
async def test_typed_parameters_round_trip(
    backend: BigQueryBackend, bq_type: str, value: object, expected: object
) -> None:
    table = await run(backend, "SELECT @p1 AS v", [QueryParam("p1", bq_type, value)])
    assert table.column("v").to_pylist() == [expected]


async def test_json_parameter_is_sent_as_a_json_document(backend: BigQueryBackend) -> None:
    table = await run(backend, "SELECT @p1 AS v", [QueryParam("p1", "JSON", '{"k": [1, "two"]}')])
    assert json.loads(table.column("v")[0].as_py()) == {"k": [1, "two"]}


async def test_null_parameter_and_parameter_in_filter(backend: BigQueryBackend) -> None:
    params = [QueryParam("p1", "INT64", 2), QueryParam("p2", "STRING", None)]
    table = await run(backend, "SELECT name, @p2 AS nothing FROM shop.people WHERE id = @p1", params)
    assert table.to_pylist() == [{"name": "Bob", "nothing": None}]


async def test_array_parameter_in_unnest(backend: BigQueryBackend) -> None:
    params = [QueryParam("ids", "ARRAY<INT64>", [1, 3])]
    table = await run(backend, "SELECT name FROM shop.people WHERE id IN UNNEST(@ids) ORDER BY id", params)
    assert table.column("name").to_pylist() == ["Ada", "Cy"]


async def test_metadata_lists_datasets_tables_views_and_types(backend: BigQueryBackend) -> None:
    assert "shop" in await backend.datasets()
    tables = {t.name: t for t in await backend.tables("shop")}
    assert {"alltypes", "people", "people_names", "big"} <= set(tables)
    people = tables["people"]
    assert people.kind == "TABLE" and people.description == "People we know"
    assert tables["big"].num_rows == BIG_ROWS  # (the emulator counts 0 rows after INSERT ... VALUES)
    assert people.fields[0] == Field("id", "INT64", "REQUIRED")
    assert people.fields[3] == Field("tags", "ARRAY<STRING>", "REPEATED")
    assert tables["people_names"].kind == "VIEW"
    st = next(f for f in tables["alltypes"].fields if f.name == "st")
    assert st.type == "STRUCT<x INT64, y STRING, z ARRAY<STRING>>"


async def test_metadata_is_cached_until_invalidated(backend: BigQueryBackend, bq_emulator: Emulator) -> None:
    before = {t.name for t in await backend.tables("shop")}
    bq_emulator.client().query("CREATE TABLE shop.added_later (x INT64)").result()
    try:
        assert {t.name for t in await backend.tables("shop")} == before  # served from the cache
        backend.invalidate("shop")
        assert "added_later" in {t.name for t in await backend.tables("shop")}
    finally:
        bq_emulator.client().query("DROP TABLE shop.added_later").result()


async def test_unknown_table_error_refreshes_metadata(
    backend: BigQueryBackend, bq_emulator: Emulator
) -> None:
    await backend.tables("shop")
    bq_emulator.client().query("CREATE TABLE shop.fresh (x INT64)").result()
    try:
        with pytest.raises(PgError) as info:
            await run(backend, "SELECT * FROM shop.no_such_table")
        assert info.value.sqlstate == SqlState.UNDEFINED_TABLE
        assert "no_such_table" in info.value.message
        assert "fresh" in {t.name for t in await backend.tables("shop")}
    finally:
        bq_emulator.client().query("DROP TABLE shop.fresh").result()


@pytest.mark.parametrize(
    ("sql", "sqlstate", "fragment"),
    [
        ("SELEC 1", SqlState.SYNTAX_ERROR, "Syntax error"),
        ("SELECT nope FROM shop.people", SqlState.UNDEFINED_COLUMN, "nope"),
        ("SELECT * FROM nodataset.t", SqlState.UNDEFINED_TABLE, "nodataset"),
        ("SELECT 1 / 0", SqlState.DIVISION_BY_ZERO, "zero"),
    ],
)
async def test_bigquery_errors_become_pg_errors(
    backend: BigQueryBackend, sql: str, sqlstate: str, fragment: str
) -> None:
    with pytest.raises(PgError) as info:
        await run(backend, sql)
    assert info.value.sqlstate == sqlstate
    assert fragment.lower() in info.value.message.lower()


async def test_dry_run_schema_and_cache_per_sql_and_param_types(backend: BigQueryBackend) -> None:
    sql = "SELECT id, name, tags FROM shop.people WHERE id = @p1"
    first = await backend.dry_run(sql, [QueryParam("p1", "INT64", 1)])
    assert first.fields == (
        Field("id", "INT64", "NULLABLE"),
        Field("name", "STRING", "NULLABLE"),
        Field("tags", "ARRAY<STRING>", "REPEATED"),
    )
    assert first.total_bytes_processed == 0  # the emulator always reports 0 bytes
    again = await backend.dry_run(sql, [QueryParam("p1", "INT64", 99)])  # another Bind
    assert again is first
    other = await backend.dry_run(sql, [QueryParam("p1", "STRING", "1")])
    assert other is not first


async def test_dry_run_errors_are_pg_errors(backend: BigQueryBackend) -> None:
    with pytest.raises(PgError) as info:
        await backend.dry_run("SELECT * FROM shop.nothing_here", [])
    assert info.value.sqlstate == SqlState.UNDEFINED_TABLE


async def test_large_result_streams_in_bounded_batches(make_backend: MakeBackend) -> None:
    backend = make_backend(page_rows=20_000, queue_batches=2)
    started = time.perf_counter()
    stream = await backend.execute("SELECT id, name, score, ts FROM shop.big ORDER BY id", [], options())
    batches, table = await drain(stream)
    elapsed = time.perf_counter() - started
    assert table.num_rows == BIG_ROWS and len(batches) == BIG_ROWS // 20_000
    assert all(b.num_rows <= 20_000 for b in batches)
    ids = table.column("id")
    assert ids[0].as_py() == 1 and ids[-1].as_py() == BIG_ROWS
    assert table.column("ts")[0].as_py() == dt.datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)
    rate = BIG_ROWS / elapsed
    print(f"\nREST path (emulator): {BIG_ROWS} rows x 4 cols in {elapsed:.2f}s = {rate:,.0f} rows/s")


async def test_backpressure_holds_at_most_queue_batches(make_backend: MakeBackend) -> None:
    backend = make_backend(page_rows=1_000, queue_batches=2)
    stream = await backend.execute("SELECT id FROM shop.big ORDER BY id", [], options())
    assert isinstance(stream, ThreadedResult)
    iterator = stream.batches().__aiter__()
    first = await iterator.__anext__()
    await asyncio.sleep(1.0)  # a slow client: the worker must stop, not read ahead
    assert first.num_rows == 1_000
    assert stream.queued <= 2 and stream.worker_alive
    await stream.aclose()
    await stream.aclose()  # twice is safe
    await asyncio.sleep(0.2)
    assert not stream.worker_alive


async def test_storage_read_api_streams_a_table_as_arrow(backend: BigQueryBackend) -> None:
    fields = tuple(t for t in await backend.tables("shop") if t.name == "big")[0].fields
    schema = arrow_schema(fields)
    read = backend.identities.read(None)
    destination = backend.identities.rest(None).get_table("shop.big").reference
    started = time.perf_counter()
    session = open_read_session(read, "demo-proj", destination, {"timeout": 10})
    rows = 0
    for batch in storage_batches(read, session, schema, timeout=30):
        assert batch.schema.equals(schema)
        rows += batch.num_rows
    elapsed = time.perf_counter() - started
    assert rows == BIG_ROWS
    print(f"\nStorage Read (emulator, table): {rows} rows in {elapsed:.2f}s = {rows / elapsed:,.0f} rows/s")


async def test_execute_dml_reports_affected_rows(backend: BigQueryBackend, bq_emulator: Emulator) -> None:
    client = bq_emulator.client()
    client.query("CREATE SCHEMA IF NOT EXISTS scratch").result(timeout=30)
    client.query("CREATE TABLE scratch.dml_target (id INT64, v STRING)").result(timeout=30)
    insert = "INSERT INTO scratch.dml_target (id, v) VALUES (1, 'a'), (2, 'b')"
    inserted = await backend.execute_dml(insert, [], options(job_id="pgbridge_dml_1"))
    assert inserted.affected_rows == 2 and inserted.backend_job_id == "pgbridge_dml_1"
    params = [QueryParam("p1", "STRING", "z"), QueryParam("p2", "INT64", 2)]
    update = "UPDATE scratch.dml_target SET v = @p1 WHERE id >= @p2"
    updated = await backend.execute_dml(update, params, options())
    deleted = await backend.execute_dml("DELETE FROM scratch.dml_target WHERE id = 99", [], options())
    assert updated.affected_rows == 1 and deleted.affected_rows == 0
    table = await run(backend, "SELECT id, v FROM scratch.dml_target ORDER BY id")
    assert table.to_pylist() == [{"id": 1, "v": "a"}, {"id": 2, "v": "z"}]
    assert not backend._running  # the job is forgotten once it has finished


async def test_execute_dml_error_is_a_pg_error(backend: BigQueryBackend) -> None:
    with pytest.raises(PgError) as info:
        await backend.execute_dml("DELETE FROM shop.no_such_table WHERE TRUE", [], options())
    assert info.value.sqlstate == SqlState.UNDEFINED_TABLE
    assert not backend._running
