"""Byte-exact tests: PostgreSQL's text and binary output versus the gateway's encoder output.

For the types whose printed form is the point (interval, time, bytea, json, arrays from
literals, md5, timestamp differences) comparing decoded values is not enough: each query
here must give the same type OIDs and the same bytes, in text and binary format, as a real
PostgreSQL (tests/sql/text_harness.py).
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline
from tests.sql.text_harness import check_exact

LITERALS = [
    # intervals as values
    "select '1 day'::interval",
    "select interval '1 day'",
    "select interval '3' day",
    "select interval '2 hours'",
    "select interval '1 year 2 mons 3 days 04:05:06.5'",
    "select '-1 year -2 mons'::interval, '1 year -1 mons'::interval",
    "select '1 day -02:00'::interval, '-1 day 02:00:00'::interval",
    "select '25 hours'::interval, '90 minutes'::interval, '2 weeks'::interval",
    "select '1.5 seconds'::interval, '-0.25 sec'::interval, '0 days'::interval",
    "select '00:00:00.000001'::interval, '-12:34'::interval",
    "select '13 months 40 days 100:00:00'::interval",
    "select id, interval '5 minutes' from customers order by id",
    # time
    "select '12:30'::time, '00:00:00'::time, '23:59:59.999999'::time, '7:05:03.5'::time",
    "select placed::time from orders order by id",
    "select ts::time from events order by id",
    # bytea
    r"select '\x0102ff'::bytea, '\x'::bytea, 'abc'::bytea, '\xDEADbeef'::bytea",
    # json / jsonb literals
    """select '{"a":1}'::jsonb, '{"a": 1, "b": [1, 2.5, "x", -0.125, 12345678901234567]}'::jsonb""",
    """select '[]'::jsonb, 'null'::jsonb, '"x"'::jsonb, '{"a":1}'::jsonb ->> 'a'""",
    """select '{"a":1}'::json, '  {"b" :  [1,2] } '::json, '"x"'::json, '3.10'::json""",
    """select '{"b": 1, "a": {"c": true}, "aa": "\\u00e9\\n"}'::jsonb""",
    # to_json / to_jsonb / json_build_object / jsonb_build_object
    "select to_json(name), to_jsonb(name), to_json(id), to_jsonb(id) from customers order by id",
    "select to_json(active), to_jsonb(active) from customers order by id",
    "select to_json(note), to_jsonb(note), to_jsonb(qty) from orders order by id",
    """select to_json('a"b\\c'::text), to_jsonb(true), to_json(9223372036854775807), to_json(null::text)""",
    "select json_build_object('id', id, 'name', name, 'on', active, 'x', null) from customers order by id",
    "select json_build_object(), json_build_object('a', 'lit', 'b é', 2)",
    "select json_build_object('n', json_build_object())",
    "select jsonb_build_object('id', id, 'name', name, 'tags', 'x', 'n', null) from customers order by id",
    "select jsonb_build_object('note', note, 'q', qty) from orders order by id",
    """select json_build_object('j', '{"a": [1, 2]}'::json)""",
    """select jsonb_build_object('j', '{"b":2,"a":1}'::jsonb)""",
    "select to_jsonb(attrs), jsonb_build_object('a', attrs) from products order by id",
    # whole-row references as json / jsonb
    "select row_to_json(u) from customers u order by u.id",
    "select to_json(c), to_jsonb(c) from customers c order by c.id",
    "select row_to_json(o), to_jsonb(o) from orders o order by o.id",
    "select row_to_json(z), to_jsonb(z) from nums z order by z.k",
    "select row_to_json(e), to_jsonb(e) from events e order by e.id",
    "select row_to_json(x) from (select id, name as n, price, id * 2 as i2 from products) x order by x.id",
    "select id, to_jsonb(x) from (select id, balance, born from customers) x order by id",
    # numeric columns print as the gateway shows BigQuery NUMERIC (trailing zeros trimmed)
    "select balance, amount from customers c, orders o where c.id = o.customer_id order by o.id",
    # arrays from text
    "select '{1,2,3}'::int8[], '{-5, 7}'::int4[], '{}'::int8[], '{ 4 }'::int2[]",
    """select '{a,"b c","d\\"e",Ünï}'::text[], '{}'::text[]""",
    "select id from customers where id = any('{1,3,5}'::int8[]) order by id",
    "select name from customers where name = any('{bob,Alice}'::text[]) order by name",
    # ARRAY(subquery)
    "select array(select id from customers order by id)",
    "select c.id, array(select o.id from orders o where o.customer_id = c.id order by o.id) from customers c",
    "select array(select name from customers where name is not null order by name desc)",
    "select array(select city from customers where id > 100 and city is not null)",
    "select array(select 'x' from customers where id < 3), array(select count(*) from orders)",
    # generate_series of timestamps
    "select x from generate_series('2024-01-01'::timestamp, '2024-01-02', '6 hours') x order by x",
    "select * from generate_series('2024-03-30 12:00'::timestamp, '2024-04-02', interval '1 day') order by 1",
    "select generate_series('2024-01-01 00:00:00.5'::timestamp, '2024-01-01 00:00:02', '0.25 seconds')",
    "select g from generate_series('2024-01-02'::timestamp, '2024-01-01', '1 hour') g",
    "select id, generate_series(placed, placed + interval '1 hour', '20 minutes') from orders order by 1, 2",
    # md5
    "select md5(name) from customers order by id",
    "select md5(''), md5('Ünïcode ☃')",
    # timestamp differences
    "select placed - '2024-01-01 00:00:00'::timestamp from orders order by id",
    "select placed_tz - '2024-01-15 10:30:00+00' from orders order by id",
    "select a.placed_tz - b.placed_tz from orders a, orders b where a.id < b.id order by a.id, b.id",
    "select a.placed - b.placed from orders a, orders b where a.id < b.id order by a.id, b.id",
    "select e.ts - e.dt::timestamptz from events e order by id",
    "select '2024-03-01'::date - '2024-02-01'::date, born - '2000-01-01'::date from customers order by id",
]


@pytest.mark.parametrize("sql", LITERALS)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_to_json_of_a_rare_control_character_errors(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    sql = "select to_json(chr(1) || name) from customers where id = 1"
    assert pg.execute(sql).fetchone() == ("\u0001Alice",)  # PostgreSQL writes \u0001
    translation = pipeline("select to_json('x' || name) from customers where id = 1", schema)
    controlled = translation.sql.replace("'x'", "CHR(1)")
    with pytest.raises(duckdb.Error, match="control character in json"):
        duck.execute(bigquery_to_duckdb(controlled)).fetchall()


def test_to_json_of_unknown_is_postgres_error(pg: psycopg.Connection, schema: FixtureSchema) -> None:
    with pytest.raises(psycopg.errors.DatatypeMismatch), pg.transaction():
        pg.execute("select to_json('abc')")
    with pytest.raises(PgError) as caught:
        pipeline("select to_json('abc')", schema)
    assert caught.value.sqlstate == SqlState.DATATYPE_MISMATCH


ZONED = [
    "select row_to_json(e), to_jsonb(e) from events e order by e.id",
    "select s from generate_series('2024-03-31 00:00+00'::timestamptz, '2024-03-31 03:00+00', '30 min') s",
    "select generate_series(ts, ts + interval '2 hours', interval '1 hour') from events order by 1",
    "select placed_tz::time from orders order by id",
    "select ts::time, ts - '2024-03-31 00:00:00'::timestamp::timestamptz from events order by id",
]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("sql", ZONED)
def test_same_bytes_in_other_zones(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, zone: str
) -> None:
    check_exact(pg, duck, schema, sql, timezone=zone)
