"""Typed literals compared with columns: 'x'::timestamptz, TIMESTAMPTZ 'x', TIMESTAMP 'x', DATE 'x'.

A timestamptz literal without an offset is read in the session time zone, so every case
runs in the four zones of test_timezones.py against the real PostgreSQL.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline
from tests.sql.test_timezones import ZONES

CASES = [
    "select id from orders where placed_tz > '2024-01-15 00:00:00+00'::timestamptz order by id",
    "select id from orders where placed_tz >= '2024-01-15 10:00:00+02'::timestamptz order by id",
    "select id from orders where placed_tz < '2024-01-15'::timestamptz order by id",
    "select id from orders where placed_tz > timestamptz '2024-01-15 00:00:00+00' order by id",
    "select id from orders where placed_tz <= timestamptz '2024-01-15 09:30:00' order by id",
    "select id from orders where placed > timestamp '2024-01-15 00:00:00' order by id",
    "select id from orders where placed < '2024-01-15 09:00'::timestamp order by id",
    "select id from customers where born > date '1990-01-01' order by id",
    "select id from customers where born <= '1990-01-01'::date order by id",
    "select id from customers where born between date '1980-01-01' and '1995-12-31'::date order by id",
    "select '2022-01-01 00:00:00+00'::timestamptz, timestamptz '2022-06-01 12:00:00'",
    "select date '2022-01-01', timestamp '2022-01-01 10:11:12', '2022-01-01'::date",
    "select id from orders where '2024-01-15 09:00:00+00'::timestamptz < placed_tz order by id",
    "select id from orders where placed_tz > cast('2024-01-15 09:00+00' as timestamp with time zone)",
    "select id from orders where placed_tz > '2024-01-15T09:00:00Z'::timestamptz order by id",
    "select id from orders where placed_tz between '2024-01-01'::timestamptz and '2024-01-20'::timestamptz",
    "select id from orders where placed > '2024-01-15 09:00:00+00'::timestamptz order by id",
    "select id from orders where placed >= date '2024-01-15' order by id",
    "select '2024-01-15 09:00:00.5'::timestamp(6), '2024-01-15 09:00:00.25+01'::timestamptz(6)",
]


def test_cases_select_rows(pg: psycopg.Connection) -> None:
    # A comparison that keeps no row (or every row) would prove little.
    kept = [len(pg.execute(sql).fetchall()) for sql in CASES if " where " in sql]
    assert all(n > 0 for n in kept), kept


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("sql", CASES)
def test_typed_literal_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, zone: str
) -> None:
    check(pg, duck, schema, sql, timezone=zone)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select '2024-01-15 09:00:00.123456+00'::timestamptz(3)", "timestamptz(3)"),
        ("select '2024-01-15 09:00:00.5'::timestamp(0)", "timestamp(0)"),
        ("select placed::timestamp(2) from orders", "timestamp(2)"),
        ("select '10:00:00.5'::time(0)", "time(0)"),
    ],
)
def test_precision_that_rounds_is_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    # PostgreSQL rounds to p fractional digits; BigQuery would keep the microseconds.
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct in caught.value.message
