"""int2 and int4 arithmetic fails on overflow as PostgreSQL's does, though BigQuery computes in
INT64: against PostgreSQL, the failures and the values just inside the range.

These were silently different before: `(-2147483648)::int4 / -1`, `-((-2147483648)::int4)`
and `abs(...)` returned 2147483648; int2 arithmetic was checked at int4's bounds
(`200::int2 * 200::int2` gave 40000); and a VALUES or derived-table column lost its width
(`select x / -1 from (values ((-2147483648)::int4)) t(x)`).
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline, run_duck
from tests.sql.text_harness import check_exact

OVERFLOWS = [
    "select (-2147483648)::int4 / -1",
    "select -((-2147483648)::int4)",
    "select abs((-2147483648)::int4)",
    "select (-32768)::int2 / (-1)::int2",
    "select 32767::int2 + 1::int2",
    "select 200::int2 * 200::int2",
    "select -((-32768)::int2)",
    "select abs((-32768)::int2)",
    "select x * 2::int2 from (values (20000::int2)) t(x)",
    "select x / -1 from (values ((-2147483648)::int4)) t(x)",
    "select x + 1 from (values (2147483647)) t(x)",
    "select v + 1 from (select 2147483647 as v union all select 1) u",
    "with c as (select 2147483647 as v) select v + 1 from c",
    "select length('abc') * 1000000000",
]


@pytest.mark.parametrize("sql", OVERFLOWS)
def test_overflow_fails_as_in_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        pg.execute(sql)
    with pytest.raises(duckdb.Error, match="out of range|Overflow"):
        run_duck(duck, pipeline(sql, schema))


INSIDE = [
    "select (-2147483647)::int4 / -1, -((-2147483647)::int4), abs((-2147483647)::int4)",
    "select (-32767)::int2 / (-1)::int2, 181::int2 * 181::int2, abs((-32767)::int2)",
    "select 200::int2 * 200, (-32768)::int2 % (-1)::int2, 7::int2 / 2::int2, -7 / 2",
    "select x + 1 from (values (2147483647), (3000000000)) t(x) order by 1",
    "select y * 2 from (select x::int2 as y from (values (20000)) t(x)) s",
    "select sum(x) from (values (2147483647), (1)) t(x)",
    "select (-9223372036854775807) / -1",
]


@pytest.mark.parametrize("sql", INSIDE)
def test_inside_the_range_same_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)
