"""Differential tests: PostgreSQL's answer versus pgbridge's translation run on DuckDB.

Each query of differential_corpus.sql runs on a real PostgreSQL 15 and through
parse -> resolve -> translate -> bigquery_to_duckdb on DuckDB holding the same rows; the
results, column names and reported types must agree (tests/sql/harness.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from pgbridge.typemap import BqType
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

CORPUS = [
    line.strip()
    for line in (Path(__file__).parent / "differential_corpus.sql").read_text().splitlines()
    if line.strip() and not line.startswith("--")
]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 150


@pytest.mark.parametrize("sql", CORPUS)
def test_same_result_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


PARAMETERISED: list[tuple[str, tuple[Any, ...], tuple[str, ...]]] = [
    ("select id from customers where id = $1", (3,), ("INT64",)),
    ("select id from customers where city = $1 order by id", ("Paris",), ("STRING",)),
    ("select id from orders order by id limit $1 offset $2", (2, 1), ("INT64", "INT64")),
    ("select id from customers where born > $1 order by id", (dt.date(1990, 1, 1),), ("DATE",)),
    ("select name from customers where name like $1 order by 1", ("%o%",), ("STRING",)),
    ("select id from orders where amount >= $1 and qty < $2 order by id", (10, 8), ("NUMERIC", "INT64")),
    ("select $1::int8 * 2", (21,), ("INT64",)),
    ("select id from customers where id in ($1, $2) order by id", (1, 5), ("INT64", "INT64")),
    ("select id from customers where $1 = any(tags) order by id", ("b",), ("STRING",)),
    ("select count(*) from orders where placed < $1", (dt.datetime(2024, 1, 15, 9),), ("DATETIME",)),
    ("select coalesce(city, $1) from customers order by id", ("none",), ("STRING",)),
]


@pytest.mark.parametrize(("sql", "params", "types"), PARAMETERISED)
def test_parameters(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    schema: FixtureSchema,
    sql: str,
    params: tuple[Any, ...],
    types: tuple[str, ...],
) -> None:
    translation = check(pg, duck, schema, sql, params)
    assert tuple(str(t) for t in translation.param_types) == types
    assert "$" not in translation.sql and "@p1" in translation.sql


def test_declared_parameter_type_wins(schema: FixtureSchema) -> None:
    translation = pipeline("select id from customers where name = $1", schema, [BqType("STRING")])
    assert translation.param_types == (BqType("STRING"),)


@pytest.mark.parametrize("sql", ["select $1 is null", "select $2::int8 from customers"])
def test_undeterminable_parameter(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.INDETERMINATE_DATATYPE
    assert "could not determine data type of parameter $1" in caught.value.message


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select 1/0", "division by zero"),
        ("select a / (b - b) from nums where k = 1", "division by zero"),
        ("select a % 0 from nums where k = 1", "zero"),
        ("select a + a from nums where k = 6", "out of range"),
        ("select (k * 100000)::int4 * 100000 from nums where k = 7", "integer out of range"),
        ("select 2147483647 + 1", "out of range"),
        ("select length(name) * 2147483647 from customers", "integer out of range"),
    ],
)
def test_errors_where_postgres_errors(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, message: str
) -> None:
    from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb

    with pytest.raises(psycopg.Error), pg.transaction():
        pg.execute(sql)
    translation = pipeline(sql, schema)
    with pytest.raises(duckdb.Error) as caught:
        duck.execute(bigquery_to_duckdb(translation.sql)).fetchall()
    assert message.lower() in str(caught.value).lower()


def test_literal_out_of_int4_range_is_refused_like_postgres(
    pg: psycopg.Connection, schema: FixtureSchema
) -> None:
    with pytest.raises(psycopg.errors.NumericValueOutOfRange), pg.transaction():
        pg.execute("select 3000000000::int4")
    with pytest.raises(PgError) as caught:
        pipeline("select 3000000000::int4", schema)
    assert caught.value.sqlstate == SqlState.NUMERIC_VALUE_OUT_OF_RANGE
