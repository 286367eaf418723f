"""DML: the same INSERT / UPDATE / DELETE on PostgreSQL and, translated, on DuckDB; the tables
must hold the same rows afterwards and the affected-row counts must agree. Each statement
runs in a transaction that is rolled back, so the fixture stays as it was."""

from __future__ import annotations

from typing import Any

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.sql.names.resolve import TableRef
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import _norm, _row_equal, pipeline

DML = [
    ("insert into orders (id, qty, status) values (100, 2, 'new')", ()),
    (
        "insert into orders (id, amount, placed, placed_tz, note) values (101, 2, '2024-05-01 10:00', "
        "'2024-05-01', null), (102, 3.25, null, '2024-05-01 10:00+02', 'b')",
        (),
    ),
    ("insert into orders values (103, 1, 9.5)", ()),
    ("insert into orders (id, status, qty) values ($1, $2, $3)", (104, "p", 7)),
    (
        "insert into orders (id, qty, note) "
        "select id + 100, qty * 2, upper(status) from orders where qty > 0",
        (),
    ),
    ("insert into orders (id, customer_id) select k + 200, a from nums where a is not null and a < 100", ()),
    ("update orders set qty = qty + 1, note = 'x' where id = 10", ()),
    ("update orders set note = null where status = 'shipped' or qty is null", ()),
    ("update orders o set amount = amount * 2, placed_tz = placed_tz + interval '1 day' where o.id > 12", ()),
    ("update orders set status = $1 where id in ($2, $3)", ("done", 10, 11)),
    ("update orders set qty = 0", ()),
    ("delete from orders where status = 'pending'", ()),
    ("delete from orders where placed_tz < '2024-01-01' or note like '%a%'", ()),
    ("delete from orders", ()),
]


def _pg_run(pg: psycopg.Connection, sql: str, params: tuple[Any, ...]) -> tuple[int, list[tuple[Any, ...]]]:
    import re

    text = re.sub(r"\$(\d+)", "%s", sql) if params else sql
    ordered = [params[int(n) - 1] for n in re.findall(r"\$(\d+)", sql)] if params else None
    with pg.transaction(force_rollback=True):
        count = pg.execute(text, ordered).rowcount
        rows = pg.execute("select * from shop.orders order by id").fetchall()
    return count, rows


def _duck_run(duck: duckdb.DuckDBPyConnection, sql: str, params: tuple[Any, ...]) -> tuple[int, list[Any]]:
    bound = {f"p{i + 1}": v for i, v in enumerate(params)} if params else None
    duck.execute("BEGIN")
    try:
        count = duck.execute(sql, bound).fetchall()[0][0]
        rows = duck.execute("select * from shop.orders order by id").fetchall()
    finally:
        duck.execute("ROLLBACK")
    return count, rows


@pytest.mark.parametrize(("sql", "params"), DML)
def test_same_table_contents_as_postgres(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    schema: FixtureSchema,
    sql: str,
    params: tuple[Any, ...],
) -> None:
    translation = pipeline(sql, schema)
    assert translation.kind == "dml" and translation.table == TableRef("shop", "orders")
    assert translation.command == sql.split()[0].upper()
    assert translation.output_names == () and len(translation.param_types) == len(set(params))
    expected_count, expected = _pg_run(pg, sql, params)
    count, actual = _duck_run(duck, bigquery_to_duckdb(translation.sql), params)
    assert count == expected_count
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual, strict=True):
        assert _row_equal(tuple(map(_norm, want)), tuple(map(_norm, got))), (want, got, translation.sql)


def test_update_and_delete_without_where_get_where_true(schema: FixtureSchema) -> None:
    assert pipeline("delete from orders", schema).sql.endswith("WHERE TRUE")
    assert pipeline("update orders set qty = 0", schema).sql.endswith("WHERE TRUE")


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("insert into orders (id) values (1) returning id", "RETURNING"),
        ("insert into orders (id) values (1) on conflict do nothing", "ON CONFLICT"),
        (
            "update orders set qty = 1 from customers where customers.id = orders.customer_id",
            "UPDATE ... FROM",
        ),
        ("delete from orders using customers where customers.id = orders.customer_id", "DELETE ... USING"),
        ("delete from orders where customer_id in (select id from customers)", "subqueries in DELETE"),
        ("update orders set qty = 2.5", 'storing numeric into int64 column "qty"'),
        ("update orders set qty = price", 'storing float64 into int64 column "qty"'),
        ("insert into orders (id, note) values (1, 2)", 'storing int64 into string column "note"'),
        ("insert into orders (id, qty) values (1, default)", "DEFAULT"),
        ("insert into orders (id, qty) values (1, id)", "column references"),
    ],
)
def test_dml_refusals(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower()


@pytest.mark.parametrize(
    "sql", ["insert into orders (id) values (1, 2)", "insert into orders (id, qty) values (1)"]
)
def test_width_mismatch_is_a_syntax_error_as_in_postgres(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.SYNTAX_ERROR
