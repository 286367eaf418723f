"""nth_value, every, bit_length and string_to_array, and spellings docs/sql-coverage.md
lists as translated that had no differential case of their own: the real PostgreSQL versus
the translation on DuckDB, and what stays refused."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline, run_duck

CASES = [
    "select id, nth_value(name, 2) over (order by id),"
    " nth_value(city, 1) over (partition by city order by id) from customers order by id",
    "select id, nth_value(score, 3) over"
    " (order by id rows between unbounded preceding and unbounded following) from customers order by id",
    "select every(active), every(id > 0), every(active) is null from customers",
    "select city, every(active) from customers group by city order by city",
    "select every(active) from customers where id > 100",
    "select id, bit_length(name), bit_length(''), bit_length('é€') from customers order by id",
    "select id, string_to_array(note, ','), string_to_array(note, 'a') from orders order by id",
    "select string_to_array('', ','), string_to_array('a,,b,', ','), string_to_array('x', ', '),"
    " string_to_array('één', 'é')",
    # spellings without a case elsewhere
    "select k, f ^ 2, a ^ 2, ceiling(f), ceiling(n) from nums order by k",
    "select var_samp(f), stddev_samp(f), var_pop(f), stddev(f) from nums",
    "select k, |/ f, ||/ f, |/ a from nums where f >= 0 and a >= 0 order by k",
    "select k, log10(f), log10(a), log(f) from nums where f > 0 and a > 0 order by k",
    "select chr(65), chr(233), chr(8364), chr(128512), chr(1114111), chr(cast(null as int))",
    "select id, chr(length(name) + 64), chr(ascii(name)) from customers order by id",
    "select k, a & b, a | b, a # b, ~a, (a & 6) | 1, a & b & 3, (a # b) & 255 from nums order by k",
    "select bit_and(a), bit_or(a), bit_xor(a), bit_and(b) from nums",
    "select bit_and(a) from nums where k > 100",
    "select o.id, isfinite(born), isfinite(placed), isfinite(placed_tz) from orders o"
    " join customers c on c.id = o.customer_id order by o.id",
    # DIV of a compound operand on DuckDB (sqlglot wrote a + 1 // b)
    "select k, div(a - 1, b - 0), div(-a, 2), div(a, b + 1) from nums where b > 0 order by k",
    "select o.id, placed + interval '2 hours', placed_tz - placed_tz, born - interval '1 day' from orders o"
    " join customers c on c.id = o.customer_id order by o.id",
    "select o.id, placed - timestamp '2024-01-01', born + 7, born - 1, born + interval '1 month'"
    " from orders o"
    " join customers c on c.id = o.customer_id order by o.id",
    "select id, placed_tz at time zone 'Europe/Berlin', placed at time zone 'UTC' from orders order by id",
]


@pytest.mark.parametrize("sql", CASES)
def test_matches_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize(
    "sql", ["select chr(0)", "select chr(55296)", "select chr(1114112)", "select chr(-1)"]
)
def test_chr_fails_where_postgres_fails(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    with pytest.raises(psycopg.Error):
        pg.execute(sql)
    with pytest.raises(duckdb.Error):
        run_duck(duck, pipeline(sql, schema))


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select nth_value(name, 0) over (order by id) from customers", "nth_value position"),
        ("select nth_value(name, id) over (order by id) from customers", "nth_value position"),
        ("select string_to_array(name, city) from customers", "string_to_array() with a delimiter"),
        ("select string_to_array(name, '') from customers", "string_to_array() with a delimiter"),
        ("select string_to_array(name, ',', 'x') from customers", "null string"),
        ("select every(active) over () from customers", "every() with filter or over"),
        ("select log(10, f) from nums", "log(base, x)"),
        ("select a | b & 3 from nums", "mixed without parentheses"),
        ("select a << 2 from nums", "BitwiseLeftShift"),
        ("select f & 1 from nums", "operator & of float64"),
        ("select chr(b) from nums", "chr() of bigint"),
        ("select log10(n) from nums", "log(numeric)"),
    ],
)
def test_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower(), caught.value.message
