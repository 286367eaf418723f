"""make_timestamp, make_timestamptz (and make_date's years): the real PostgreSQL versus the
translation on DuckDB
(rounding of the seconds, 24:00:00 and 60 seconds rolling over, session zones with DST), the
inputs PostgreSQL rejects failing too, and the forms refused."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline, run_duck

CASES = [
    "select make_timestamp(2024, 1, 5, 10, 30, 15.5), make_timestamp(2024, 2, 29, 0, 0, 0)",
    "select make_timestamp(2024, 12, 31, 24, 0, 0), make_timestamp(2024, 1, 1, 23, 59, 60)",
    "select make_timestamp(2024, 1, 1, 0, 0, 0.0000005), make_timestamp(2024, 1, 1, 0, 0, 0.0000015),"
    " make_timestamp(2024, 1, 1, 0, 0, 59.9999996)",
    "select make_timestamp(1, 1, 1, 0, 0, 0), make_timestamp(9999, 12, 31, 23, 59, 59.999999)",
    "select id, make_timestamp(2000 + length(name), 1, 1, 0, 0, 0) from customers order by id",
    "select make_timestamp(2024, 1, 1, 0, 0, 1.5::float8), make_timestamp(2024, 1, 1, 0, 0, 7)",
    "select make_timestamptz(2024, 3, 31, 2, 30, 0), make_timestamptz(2024, 10, 27, 2, 30, 0),"
    " make_timestamptz(2024, 1, 1, 0, 0, 0)",
]


@pytest.mark.parametrize("sql", CASES)
def test_make_timestamp_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_make_timestamptz_in_the_session_zone(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, zone: str
) -> None:
    sql = (
        "select make_timestamptz(2024, 3, 31, 2, 30, 0), make_timestamptz(2024, 10, 27, 2, 30, 0),"
        " make_timestamptz(2024, 3, 10, 2, 30, 0), make_timestamptz(2024, 11, 3, 1, 30, 0)"
    )
    check(pg, duck, schema, sql, timezone=zone)


@pytest.mark.parametrize(
    "args",
    [
        "2024, 2, 30, 0, 0, 0",
        "2024, 13, 1, 0, 0, 0",
        "0, 1, 1, 0, 0, 0",
        "2023, 2, 29, 0, 0, 0",
        "2024, 1, 1, 25, 0, 0",
        "2024, 1, 1, 24, 0, 1",
        "2024, 1, 1, 0, 60, 0",
        "2024, 1, 1, 0, 0, 60.0000006",
        "2024, 1, 1, 0, 0, -1",
        "2024, 1, 1, 0, 0, 'NaN'::float8",
    ],
)
def test_invalid_fields_fail_as_in_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, args: str
) -> None:
    sql = f"select make_timestamp({args})"
    with pytest.raises(psycopg.Error):
        pg.execute(sql)
    with pytest.raises(duckdb.Error):
        run_duck(duck, pipeline(sql, schema))


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select make_timestamp(a, 1, 1, 0, 0, 0) from nums", "make_timestamp() of bigint"),
        ("select make_timestamp(2024, 1, 1, 0, 0, n) from nums", "seconds of numeric"),
        ("select make_timestamptz(2024, 1, 1, 0, 0, 0, 'UTC')", "time zone argument"),
    ],
)
def test_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower(), caught.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "select make_date(0, 1, 1)",  # PostgreSQL: out of range; DuckDB returned 0001-01-01 BC
        "select make_date(-44, 3, 15)",  # PostgreSQL: 0044-03-15 BC; DuckDB returned 0045-03-15 BC
        "select make_timestamp(-44, 3, 15, 0, 0, 0)",
    ],
)
def test_years_before_1_fail_rather_than_differ(
    duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    with pytest.raises(duckdb.Error):
        run_duck(duck, pipeline(sql, schema))
