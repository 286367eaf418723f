"""to_char(date/timestamp/timestamptz, template): the real PostgreSQL versus the translation
on DuckDB, for every supported keyword, in several session zones; other keywords refused."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

TEMPLATES = [
    "YYYY-MM-DD HH24:MI:SS",
    "YYYY YYY YY Y CC",
    "DD Mon YYYY, Day",
    "FMDD FMMonth YYYY",
    "MONTH month Month DAY day Dy DY dy MON mon",
    "HH12:MI:SS AM am PM pm A.M. p.m. HH",
    "HH24:MI:SS.MS US",
    "FMHH12:FMMI FMSS FMMS",
    "D ID DDD IW WW W Q J",
    "SSSS SSSSS",
    'YYYY"T"HH24 "quoted text" T',
    "Quarter Q, week IW; day DDD",
    "Mon DD",  # these five were in the refusal corpus (test_refusals.py)
    "FMDD",
    "YYYY Q",
    "HH12:MI",
    "HH24:MI:SS.MS",  # PostgreSQL reads keywords inside words too (Q, w, day)
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_to_char_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, template: str
) -> None:
    fmt = template.replace("'", "''")
    check(pg, duck, schema, f"select id, to_char(dt, '{fmt}'), to_char(d, '{fmt}') from events order by id")
    check(pg, duck, schema, f"select id, to_char(placed, '{fmt}') from orders order by id")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_to_char_of_timestamptz_in_the_session_zone(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, zone: str
) -> None:
    sql = "select id, to_char(ts, 'YYYY-MM-DD HH12:MI:SS.US AM Dy Mon D'), to_char(d, 'Day FMDD') from events"
    sql += " order by id"
    check(pg, duck, schema, sql, timezone=zone)


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("YYYY BC", "'BC'"),
        ("Y,YYY", "'Y,YYY'"),
        ("IYYY-IW", "'IYYY'"),
        ("DDth", "'th'"),
        ("TMMonth", "'TM'"),
        ("HH24 TZ", "'TZ'"),
        ("RM", "'RM'"),
        ("FF3", "'FF3'"),
        ("FMx", "'FM'"),
        ("YYYY\\-MM", "'\\\\'"),
    ],
)
def test_other_keywords_refused_by_name(schema: FixtureSchema, template: str, named: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(f"select to_char(placed, '{template}') from orders", schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert named.lower() in caught.value.message.lower(), caught.value.message
