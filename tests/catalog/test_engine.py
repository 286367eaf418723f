"""Engine behaviour beyond the captured client queries: visibility, errors, casts, describe."""

from __future__ import annotations

import pytest

from pgbridge.catalog.api import CatalogResult
from pgbridge.catalog.engine import CatalogEngine
from pgbridge.catalog.oids import FIRST, stable_oid
from pgbridge.wire.errors import PgError, SqlState
from tests.catalog.conftest import make_session
from tests.catalog.shop import ShopBackend


def _rows(result: CatalogResult) -> list[tuple]:
    return [
        tuple(b.column(i)[r].as_py() for i in range(b.num_columns))
        for b in result.batches
        for r in range(b.num_rows)
    ]


def _no_hr(dataset: str, table: str) -> bool:
    return dataset != "hr"


async def test_hidden_tables_appear_nowhere(engine: CatalogEngine) -> None:
    session = make_session("bob", can_read=_no_hr)
    for sql in (
        "SELECT nspname FROM pg_namespace WHERE nspname = 'hr'",
        "SELECT relname FROM pg_class WHERE relname = 'salaries'",
        "SELECT attname FROM pg_attribute WHERE attname = 'employee'",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'hr'",
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'salaries'",
        "SELECT tablename FROM pg_tables WHERE schemaname = 'hr'",
    ):
        assert _rows(await engine.run(sql, [], session)) == [], sql
    everything = await engine.run(
        "SELECT relname FROM pg_class WHERE relname = 'salaries'", [], make_session("al")
    )
    assert _rows(everything) == [("salaries",)]


async def test_hidden_table_is_an_unknown_relation(engine: CatalogEngine) -> None:
    with pytest.raises(PgError) as error:
        await engine.run("SELECT 'hr.salaries'::regclass", [], make_session("bob", can_read=_no_hr))
    assert error.value.sqlstate == SqlState.UNDEFINED_TABLE


async def test_policy_that_raises_hides_everything(engine: CatalogEngine) -> None:
    def broken(dataset: str, table: str) -> bool:
        raise RuntimeError("policy store unavailable")

    assert (
        _rows(await engine.run("SELECT relname FROM pg_class", [], make_session("eve", can_read=broken)))
        == []
    )


async def test_unknown_relation_and_function(engine: CatalogEngine) -> None:
    with pytest.raises(PgError) as error:
        await engine.run("SELECT * FROM pg_catalog.pg_foo", [], make_session("al"))
    assert (error.value.sqlstate, error.value.message) == (
        SqlState.UNDEFINED_TABLE,
        'relation "pg_catalog.pg_foo" does not exist',
    )
    with pytest.raises(PgError) as error:
        await engine.run("SELECT pg_catalog.no_such_function(1)", [], make_session("al"))
    assert error.value.sqlstate == SqlState.UNDEFINED_FUNCTION
    with pytest.raises(PgError) as error:
        await engine.run("SELECT current_setting('no.such_setting')", [], make_session("al"))
    assert error.value.sqlstate == SqlState.UNDEFINED_OBJECT


async def test_queries_without_from(engine: CatalogEngine) -> None:
    session = make_session("al", settings={"application_name": "agent", "DateStyle": "ISO, MDY"})
    result = await engine.run(
        "SELECT 1, version(), current_setting('application_name'), current_user, "
        "current_database(), pg_backend_pid(), now() IS NOT NULL AS has_now, "
        "current_setting('datestyle')",
        [],
        session,
    )
    assert [(c.name, c.type.name) for c in result.columns] == [
        ("?column?", "int4"),
        ("version", "text"),
        ("current_setting", "text"),
        ("current_user", "name"),
        ("current_database", "name"),
        ("pg_backend_pid", "int4"),
        ("has_now", "bool"),
        ("current_setting", "text"),
    ]
    row = _rows(result)[0]
    assert (
        row[0] == 1
        and row[1].startswith("PostgreSQL 15.18")
        and row[2:] == ("agent", "al", "postgres", 4242, True, "ISO, MDY")
    )
    assert result.tag == "SELECT 1"


async def test_reg_casts_both_ways(engine: CatalogEngine) -> None:
    session = make_session("al", search_path=("shop",))
    result = await engine.run(
        "SELECT 'shop.orders'::regclass, 'shop.orders'::regclass::oid, 'pg_catalog.pg_class'::regclass::oid, "
        "'text[]'::regtype, 'int8'::regtype::oid, 'shop'::regnamespace::text, 23::regtype::text, "
        "to_regclass('orders') IS NOT NULL, to_regtype('jsonb')::oid",
        [],
        session,
    )
    assert [c.type.name for c in result.columns] == [
        "regclass",
        "oid",
        "oid",
        "regtype",
        "oid",
        "text",
        "text",
        "bool",
        "oid",
    ]
    row = _rows(result)[0]
    assert row[0] == "orders"  # visible through the search path, so unqualified, as PostgreSQL shows it
    assert row[1] == stable_oid("class", "shop", "orders") and row[1] >= FIRST
    assert row[2:] == (1259, "text[]", 20, "shop", "integer", True, 3802)


async def test_oids_stable_across_engines() -> None:
    sql = "SELECT c.oid, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid ORDER BY 1, 2"
    first = _rows(await CatalogEngine(ShopBackend()).run(sql, [], make_session("al")))
    second = _rows(await CatalogEngine(ShopBackend()).run(sql, [], make_session("zed", can_read=_no_hr)))
    assert [r for r in first if r in second] == second and len(first) > len(second) > 0


async def test_parameters_and_describe(engine: CatalogEngine) -> None:
    sql = (
        "SELECT c.relname, c.relkind, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2"
    )
    session = make_session("al")
    param_oids, columns = await engine.describe(sql, [0, 25], session)
    assert param_oids == (19, 25)  # nspname is a name column, as PostgreSQL says; $2 was declared text
    assert [(c.name, c.type.name) for c in columns] == [
        ("relname", "name"),
        ("relkind", "char"),
        ("reltuples", "float4"),
    ]
    assert _rows(await engine.run(sql, ["shop", "orders"], session)) == [("orders", "r", -1.0)]


async def test_metadata_cached_then_refreshed_for_unknown_names() -> None:
    backend = ShopBackend()
    engine = CatalogEngine(backend, ttl_seconds=300)
    session = make_session("al")
    await engine.run("SELECT 1", [], session)
    await engine.run("SELECT relname FROM pg_class", [], session)
    assert backend.metadata_calls == 1
    with pytest.raises(PgError):
        await engine.run("SELECT 'shop.nope'::regclass", [], session)
    assert backend.metadata_calls == 2  # an unknown name re-reads metadata once before failing


async def test_default_dataset_is_listed_as_public_once() -> None:
    # The gateway resolves `public` (and unqualified names) to its default dataset; tools that
    # list `public` (the reference MCP server reads information_schema.tables WHERE
    # table_schema = 'public') must find its tables there, and no listing may show one twice.
    engine = CatalogEngine(ShopBackend(), default_dataset="shop")
    session = make_session("al")
    visible = await engine.run(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE pg_table_is_visible(c.oid) AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 2",
        [],
        session,
    )
    assert ("public", "customers") in _rows(visible) and ("public", "orders") in _rows(visible)
    assert {schema for schema, _ in _rows(visible)} == {"public"}
    listed = await engine.run(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
        [],
        session,
    )
    names = [name for _, name in _rows(listed)]
    assert sorted(names) == sorted(set(names)) and "customers" in names
    assert {schema for schema, _ in _rows(listed)} == {"public", "hr"}  # other datasets: their names
    schemas = await engine.run("SELECT nspname FROM pg_namespace WHERE nspname = 'shop'", [], session)
    assert _rows(schemas) == []
    oid = _rows(await engine.run("SELECT 'orders'::regclass::oid", [], session))[0][0]
    named = await engine.run("SELECT relname FROM pg_class WHERE oid = $1", [oid], session)
    assert _rows(named) == [("orders",)]
    # The dataset's own name still finds the table (a second name, not a second listing).
    assert _rows(await engine.run("SELECT 'shop.orders'::regclass::oid", [], session)) == [(oid,)]
    assert _rows(await engine.run("SELECT current_schema()", [], session)) == [("public",)]
    without = CatalogEngine(ShopBackend())
    with pytest.raises(PgError) as error:
        await without.run("SELECT 'orders'::regclass", [], session)
    assert error.value.sqlstate == SqlState.UNDEFINED_TABLE


async def test_reg_result_columns_show_names(engine: CatalogEngine) -> None:
    result = await engine.run(
        "SELECT 'pg_class'::regclass AS c, 'int4'::regtype AS t, 'pg_catalog'::regnamespace AS n",
        [],
        make_session("al"),
    )
    assert [c.type.name for c in result.columns] == ["regclass", "regtype", "regnamespace"]
    assert _rows(result) == [("pg_class", "integer", "pg_catalog")]


async def test_answers_are_remembered_per_session_state(engine: CatalogEngine) -> None:
    sql = "SELECT current_user AS u, count(*) AS n FROM pg_class WHERE relname = $1"
    first = await engine.run(sql, ["orders"], make_session("al"))
    assert await engine.run(sql, ["orders"], make_session("al")) is first
    assert _rows(await engine.run(sql, ["orders"], make_session("bo"))) == [("bo", 1)]
    assert _rows(await engine.run(sql, ["nothing"], make_session("al"))) == [("al", 0)]
    moments = [_rows(await engine.run("SELECT now() AS t", [], make_session("al"))) for _ in range(2)]
    assert moments[0] != moments[1]  # volatile answers are computed every time


async def test_uptime_is_an_interval(engine: CatalogEngine) -> None:
    # A DBA's uptime query: timestamptz - timestamptz is interval, as PostgreSQL types it.
    result = await engine.run("SELECT now() - pg_postmaster_start_time() AS uptime", [], make_session("al"))
    assert [(c.name, c.type.name) for c in result.columns] == [("uptime", "interval")]
    assert result.batches[0].column(0)[0].as_py().nanoseconds >= 0


async def test_what_pgcli_and_ide_catalog_panels_read(engine: CatalogEngine) -> None:
    """pgcli's `\\dt` (`relkind = ANY('{r,p,""}')`), its completion refresh
    (`unnest(current_schemas(true))`), an IDE's `datistemplate` filter, `SELECT * FROM pg_database`."""
    session = make_session("al", search_path=("$user", "public", "shop"))
    kinds = await engine.run(
        "SELECT c.relname FROM pg_class c WHERE c.relkind = ANY('{r,p,\"\"}') ORDER BY 1", [], session
    )
    assert ("customers",) in _rows(kinds) and ("orders",) in _rows(kinds)
    schemas = await engine.run("SELECT * FROM unnest(current_schemas(true))", [], session)
    assert [(c.name, c.type.name) for c in schemas.columns] == [("unnest", "name")]
    assert _rows(schemas)[0] == ("pg_catalog",)
    aliased = await engine.run("SELECT s FROM unnest(current_schemas(false)) s", [], session)
    assert [(c.name, c.type.name) for c in aliased.columns] == [("s", "name")]
    databases = await engine.run("SELECT datname FROM pg_database WHERE NOT datistemplate", [], session)
    assert _rows(databases) == [("postgres",)]
    everything = await engine.run("SELECT * FROM pg_database", [], session)
    assert [c.type.name for c in everything.columns][-1] == "_aclitem"


async def test_pg_type_regproc_columns_name_the_io_functions_in_row_order(engine: CatalogEngine) -> None:
    # ADBC maps each type by its typreceive name; the names once came back in another row's
    # order (a correlated lookup without ORDER BY), and as numbers (not in pg_proc).
    result = await engine.run(
        "SELECT typname, typreceive, typreceive::oid, typinput FROM pg_type "
        "WHERE oid IN (16, 20, 25, 1009, 1184, 1700) ORDER BY oid",
        [],
        make_session("al"),
    )
    assert _rows(result) == [
        ("bool", "boolrecv", 2436, "boolin"),
        ("int8", "int8recv", 2408, "int8in"),
        ("text", "textrecv", 2414, "textin"),
        ("_text", "array_recv", 2400, "array_in"),
        ("timestamptz", "timestamptz_recv", 2476, "timestamptz_in"),
        ("numeric", "numeric_recv", 2460, "numeric_in"),
    ]
    assert _rows(await engine.run("SELECT 'int8recv'::regproc::oid", [], make_session("al"))) == [(2408,)]
