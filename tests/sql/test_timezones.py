"""Time-zone-dependent SQL: PostgreSQL with SET TimeZone versus the translation on DuckDB (UTC).

Every query runs in four session zones: UTC, a European and an American zone with DST, and
Asia/Kolkata (+05:30, so hours do not line up with UTC). The events fixture holds instants
and wall-clock times on both sides of each zone's DST changes, including wall-clock times
that do not exist or exist twice.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]

QUERIES = [
    line.strip()
    for line in (Path(__file__).parent / "timezone_corpus.sql").read_text().splitlines()
    if line.strip() and not line.startswith("--")
]


def test_corpus_is_large_enough() -> None:
    assert len(QUERIES) >= 30


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("sql", QUERIES)
def test_same_result_as_postgres_in_zone(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, zone: str
) -> None:
    check(pg, duck, schema, sql, timezone=zone)


def test_zone_is_written_into_the_bigquery_sql(schema: FixtureSchema) -> None:
    sql = pipeline("select date_trunc('day', ts), ts::date from events", schema, timezone="Europe/Berlin").sql
    assert "TIMESTAMP_TRUNC(`events`.`ts`, DAY, 'Europe/Berlin')" in sql
    assert "DATE(`events`.`ts`, 'Europe/Berlin')" in sql


def test_queries_not_depending_on_the_zone_ignore_it(schema: FixtureSchema) -> None:
    sql = "select ts, ts + interval '2 hours' from events"
    assert pipeline(sql, schema, timezone="Asia/Kolkata").sql == pipeline(sql, schema, timezone="UTC").sql


@pytest.mark.parametrize("zone", ["Mars/Olympus", "+05:30", "local'; drop"])
def test_unknown_session_zone_is_refused_when_it_matters(schema: FixtureSchema, zone: str) -> None:
    assert pipeline("select ts from events", schema, timezone=zone).sql  # no zone needed
    with pytest.raises(PgError) as caught:
        pipeline("select ts::date from events", schema, timezone=zone)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert "TimeZone" in caught.value.message


MIXED = [
    "select id from events where ts >= d order by id",
    "select id, ts < dt, dt <> ts, d = ts from events order by id",
    "select e.id from events e join events f on e.ts >= f.d and f.id = 1 order by e.id",
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("sql", MIXED)
def test_date_and_timestamp_meet_timestamptz_in_the_session_zone(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, zone: str
) -> None:
    check(pg, duck, schema, sql, timezone=zone)
