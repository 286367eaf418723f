"""Array operators && @> <@ and jsonb_typeof(), against PostgreSQL (text and binary bytes)."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import assert_refused
from tests.sql.text_harness import check_exact

EXACT = [
    "select id, tags && array['sale', 'gift'], tags && array['nothing'] from products order by id",
    "select id, tags @> array['a'] from customers order by id",  # was in test_refusals
    "select id, tags @> array['office'], tags @> array['office', 'sale'] from products order by id",
    "select id, array['home'] <@ tags, tags @> tags from products order by id",
    "select id, tags <@ array['office', 'sale', 'gift', 'home', 'Sale'] from products order by id",
    "select id from products where tags && array['home', 'gift'] order by id",
    "select k, ints && array[2, 9]::int8[], ints @> array[2::int8, 2] from nums order by k",
    "select k, array[1::int8] <@ ints, array[1, 2]::int4[] && array[2] from nums order by k",
    "select array['a'] && array['b'], array['a', 'b'] @> array['b'], array[1, 2] <@ array[2, 1, 3]",
    "select id, jsonb_typeof(attrs) from products order by id",
]


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "select array[1.5::float8] && array[2.5::float8]",  # NaN compares equal in PostgreSQL's arrays
        "select tags && array[1] from products",
        "select tags && 'x' from products",
        "select ints && array[2, 9] from nums",  # int8[] && int4[]: no such operator in PostgreSQL
    ],
)
def test_refused(schema: FixtureSchema, sql: str) -> None:
    assert_refused(schema, sql)
