"""Numeric outputs print PostgreSQL's digits, or are refused: never trailing zeros lost.

A NUMERIC column without declared scale prints its own digits (BigQuery keeps no scale); so
does whatever hands one such value on (min, max, lag, CASE of such values, a derived table's
column). Everything else must know its scale: these printed trimmed digits before
(`sum(price) over (...)` 62574.5 where PostgreSQL prints 62574.50; likewise sum(DISTINCT),
coalesce(sum(x), 0), sum(x) FILTER (...), mod(x, 1), round(7, 1), extract(epoch ...)).
Byte for byte against PostgreSQL, text and binary.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import assert_refused
from tests.sql.text_harness import check_exact

EXACT = [
    # windows over values of known scale
    "select id, sum(price) over (order by id), max(rate) over (), min(price) over () from ledger order by id",
    "select k, sum(a) over (), 100.0 * a / sum(a) over () from nums where a < 100 order by k",
    "select qty > 2, round(100.0 * count(*) / sum(count(*)) over (), 2) from ledger group by 1 order by 1",
    # a window's sum: the largest scale in each row's frame (MAX(scale) OVER the same window)
    "select k, sum(n) over (order by k), sum(n) over (partition by k > 3) from nums order by k",
    "select k, sum(n) over () from nums order by k",
    "select k, sum(n * n) over () from nums order by k",  # was refused in test_numeric_scales
    "select k, sum(n) over (order by k rows between 1 preceding and current row) from nums order by k",
    # values handed on keep their own digits
    "select k, n, lag(n) over (order by k), first_value(n) over (order by k) from nums order by k",
    "select k, -n, abs(n) from nums order by k",
    "select k, coalesce(n, 0), case when k > 3 then n else 1.5 end from nums order by k",
    "select max(n), min(n) from nums",
    "select percentile_disc(0.5) within group (order by n) from nums",
    "select x.n from nums c cross join lateral (select n from nums d where d.k = c.k) x order by c.k",
    # sums: the largest scale of the rows summed (FILTER: of the rows that pass)
    "select sum(n) filter (where k > 3), sum(n) filter (where k < 3) from nums",
    "select k > 3, sum(n) filter (where n > 0) from nums group by 1 order by 1",
    "select k, mod(n, 1), mod(a, b) from nums where b <> 0 order by k",
    # functions whose result scale is fixed
    "select round(5), round(7, 1), round(-7, 2), sign(n), ceil(n), floor(n) from nums order by k",
    "select extract(epoch from ts), extract(epoch from d), extract(hour from ts) from events order by id",
]


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


REFUSED = [
    "select k > 3, sum(sum(n)) over () from nums group by 1 order by 1",
    "select sum(distinct n) from nums",
    "select coalesce(sum(n), 0) from nums",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_where_the_scale_depends_on_the_values(schema: FixtureSchema, sql: str) -> None:
    assert_refused(schema, sql)
