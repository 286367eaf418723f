"""Spot checks of the chapter 9 translations on the BigQuery side: the BigQuery SQL pgbridge
writes runs on the emulator (not through DuckDB) and must give the real PostgreSQL's answer.

LIKE ... ESCAPE is left out: the emulator ignores backslash escapes in LIKE patterns (its
answer for 'a_b' LIKE 'a\\\\_b' is false), which BigQuery documents and honours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest

from pgbridge.encode.numeric_digits import finish
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline
from tests.support.bqemulator import Emulator
from tests.support.postgres import PostgresServer

SPOTS = [
    "select to_timestamp('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')",
    "select to_date('2024-02-29', 'YYYY-MM-DD'),"
    " to_timestamp('2024-01-05 10:00:00.5', 'YYYY-MM-DD HH24:MI:SS.US')",
    "select to_timestamp(1700000000.5), to_timestamp(-1)",
    "select regexp_replace('a1b22c', '[0-9]+', '#'), regexp_replace('a1b22c', '[0-9]+', '#', 'g')",
    "select substring('x1 y22' from 'y([0-9]+)'), (regexp_match('x1 y22', '([a-z])([0-9])'))[2]",
    "select 'ABC' ~* 'b', 'a\nb' ~ 'a.b', regexp_count('aXbXc', 'x', 1, 'i'), regexp_instr('abc', 'c')",
    "select 'ab' similar to '(a|b)+', 'abc' similar to 'a_'",
    "select percentile_cont(0.25) within group (order by x), percentile_disc(0.5) within group (order by x)"
    " from (values (1.5::float8), (2::float8), (10::float8)) v(x)",
    "select sin(1.0::float8), degrees(1::float8), pi(), trunc(-2.5::float8), atan2(1, 2)",
    "select string_to_array('a,b', ','), string_to_array('', ','), bit_length('é')",
    "select to_char(timestamp '2024-03-05 14:07:09.123456', 'FMDay, DD Mon YYYY HH12:MI:SS.MS AM Q IW J D'),"
    " to_char(date '2024-12-30', 'Month YYYY WW DDD')",
    "select div(7 - 1, 2 + 1), chr(233), log10(1000::float8)",
    "select g, mode() within group (order by x), mode() within group (order by x desc) from"
    " (values (1, 2), (1, 1), (1, 2), (1, 1), (2, 5)) v(g, x) group by g order by g",
]


@pytest.fixture(scope="module")
def pg(postgres: PostgresServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn


def _normal(value: object) -> object:
    if isinstance(value, str) and value[:2] in ("d:", "q:"):
        # an exact numeric whose digits the gateway finishes (pgbridge.encode.numeric_digits)
        return Decimal(finish(value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, float):
        return round(value, 12)
    return value


@pytest.mark.parametrize("sql", SPOTS)
def test_bigquery_sql_gives_postgres_answer(pg: psycopg.Connection, bq_emulator: Emulator, sql: str) -> None:
    expected = [tuple(_normal(v) for v in row) for row in pg.execute(sql).fetchall()]
    translated = pipeline(sql, FixtureSchema()).sql
    rows = bq_emulator.client().query(translated).result()
    actual = [tuple(_normal(v) for v in row.values()) for row in rows]
    assert actual == expected, translated
