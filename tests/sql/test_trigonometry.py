"""sin cos tan asin acos atan atan2 pi degrees radians cbrt trunc(float8): the real PostgreSQL
versus the translation on DuckDB, and PostgreSQL's failures kept as failures."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline, run_duck

CASES = [
    "select k, sin(f), cos(f), tan(f), atan(f), atan2(f, 2), atan2(-1, f) from nums order by k",
    "select k, asin(f / 10), acos(f / 10), asin(b / 10.0::float8) from nums order by k",
    "select k, degrees(f), radians(f), degrees(a), radians(b), cbrt(f), cbrt(a) from nums order by k",
    "select k, trunc(f), trunc(-f) from nums order by k",
    "select pi(), degrees(pi()), radians(180), cbrt(-27), sin(0), cos(0), atan('Infinity'::float8)",
    "select id, sin(score), trunc(score) from customers order by id",
]


@pytest.mark.parametrize("sql", CASES)
def test_trigonometry_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "select sin('Infinity'::float8)",
        "select cos('-Infinity'::float8)",
        "select asin(2)",
        "select acos(-1.5::float8)",
    ],
)
def test_out_of_range_fails_as_in_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        pg.execute(sql)
    with pytest.raises(duckdb.Error):
        run_duck(duck, pipeline(sql, schema))


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select sin(n) from nums", "sin() of numeric"),
        ("select trunc(f, 1) from nums", "trunc(float8, integer)"),  # trunc(numeric, n): test_numeric_trunc
        ("select cot(f) from nums", "cot()"),
        ("select sind(f) from nums", "sind()"),
    ],
)
def test_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower(), caught.value.message
