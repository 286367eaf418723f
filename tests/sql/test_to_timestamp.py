"""to_timestamp(text, format), to_date(text, format) and to_timestamp(epoch): the real
PostgreSQL versus the translation on DuckDB, in UTC and in zones with DST changes; inputs of
another form than the format's fail instead of being read differently; other patterns are
refused by name."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline, run_duck

_STAMPS = (
    "(values (1, '2024-01-01 00:00:00.000000'), (2, '2024-02-29 23:59:59.999999'),"
    " (3, '1999-12-31 12:34:56.5'), (4, '2024-03-31 02:30:00.000001'), (5, '2024-10-27 02:30:00.25'),"
    " (6, cast(null as text)), (7, '0001-01-01 00:00:00.000000'), (8, '9999-12-31 23:59:59.123'),"
    " (9, '2024-06-30 08:00:00'), (10, '2024-06-30 08'), (11, '2024-06-30')) as v(k, s)"
)

CASES = [
    # Superset's spelling
    "select to_timestamp('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')",
    f"select k, to_timestamp(s, 'YYYY-MM-DD HH24:MI:SS.US') from {_STAMPS} order by k",
    f"select k, to_timestamp(s, 'yyyy-mm-dd hh24:mi:ss.us') from {_STAMPS} order by k",
    f"select k, to_date(s, 'YYYY-MM-DD'), to_date(s, 'YYYY-MM') from {_STAMPS} order by k",
    "select to_date('2024-01-05 junk', 'YYYY-MM-DD'), to_date('2024-01-05x', 'YYYY-MM-DD'),"
    " to_timestamp('2024-01-05 10:00:00.5+02', 'YYYY-MM-DD HH24:MI:SS.US')",
    "select to_timestamp('2024-01-01 10:11:12.5', 'YYYY-MM-DD HH24:MI:SS.MS'),"
    " to_timestamp('2024-01-01 10:11:12.05', 'YYYY-MM-DD HH24:MI:SS.MS')",
    "select to_timestamp('20240105', 'YYYYMMDD'), to_date('05/01/2024', 'DD/MM/YYYY'),"
    " to_timestamp('2024-01-05T07:08', 'YYYY-MM-DD\"T\"HH24:MI')",
    "select to_timestamp('2024', 'YYYY'), to_date('2024-02', 'YYYY-MM'), to_timestamp('1970-01-01',"
    " 'YYYY-MM-DD')",
    "select to_timestamp('20240105 073000123456', 'YYYYMMDD HH24MISSUS')",
    "select id, to_date(to_char(born, 'YYYY-MM-DD'), 'YYYY-MM-DD') = born from customers order by id",
    # to_timestamp(epoch)
    "select to_timestamp(0), to_timestamp(1700000000), to_timestamp(-1), to_timestamp(1.5),"
    " to_timestamp(-86400.25)",
    "select to_timestamp(1000000000.0), to_timestamp(0.0000005), to_timestamp(0.0000015),"
    " to_timestamp(-0.0000005)",
    "select k, to_timestamp(a) from nums where a is null or abs(a) < 10000000000 order by k",
    "select k, to_timestamp(f), to_timestamp(f * 1000000000.0::float8) from nums order by k",
    "select id, to_timestamp(score) from customers order by id",
]


@pytest.mark.parametrize("sql", CASES)
def test_to_timestamp_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_to_timestamp_reads_the_session_zone(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, zone: str
) -> None:
    # 2024-03-31 02:30 does not exist in Berlin, 2024-10-27 02:30 happens twice there.
    stamps = f"select k, to_timestamp(s, 'YYYY-MM-DD HH24:MI:SS.US') from {_STAMPS}"
    sql = f"{stamps} where k not in (7, 8) order by k"  # years 1 and 9999 leave Python's range
    check(pg, duck, schema, sql, timezone=zone)
    check(
        pg,
        duck,
        schema,
        "select to_timestamp(1700000000), to_date('2024-03-10', 'YYYY-MM-DD')",
        timezone=zone,
    )


@pytest.mark.parametrize(
    "value",
    [
        "2024-1-5",  # PostgreSQL reads short numbers; pgbridge only the format's exact form
        "2024/01/05",  # PostgreSQL lets any separator stand for another
        " 2024-01-05",
        "2024.01.05",
        "2024-13-01",
        "2024-02-30",
        "0000-01-01",
        "",
        "2024-01x",  # PostgreSQL fails on x where DD should be
        "2024-01-011",  # PostgreSQL reads DD as 011
    ],
)
def test_other_forms_fail_rather_than_differ(
    duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, value: str
) -> None:
    translation = pipeline(f"select to_date('{value}', 'YYYY-MM-DD')", schema)
    with pytest.raises(duckdb.Error):
        run_duck(duck, translation)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select to_timestamp('Jan 5 2024', 'Mon DD YYYY')", "'Mon'"),
        ("select to_timestamp('05 PM', 'HH12 AM')", "'HH12'"),
        ("select to_timestamp('2024', 'FXYYYY')", "'FX'"),
        ("select to_timestamp('5', 'FMDD')", "'FM'"),
        ("select to_timestamp('2024-01-01 00:00:00+02', 'YYYY-MM-DD HH24:MI:SSTZH')", "'TZH'"),
        ("select to_date('2024-01-01 10', 'YYYY-MM-DD HH24')", "to_date() with the format pattern 'HH24'"),
        ("select to_timestamp(name, city) from customers", "not a string literal"),
        ("select to_timestamp('1.5', 'SS.MS.US')", "each field at most once"),
        ("select to_timestamp(balance) from customers", "to_timestamp() of numeric"),
        ("select to_date(born, 'YYYY') from customers", "to_date() of date"),
    ],
)
def test_refused_patterns(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    text = f"{caught.value.message} {caught.value.hint or ''}"
    assert construct.lower() in text.lower(), text
