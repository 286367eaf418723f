"""percentile_cont and percentile_disc WITHIN GROUP: the real PostgreSQL versus the
translation on DuckDB (groups, NULLs, empty input, descending order, NaN), and the
ordered-set aggregates that stay refused."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline

_WITH_NAN = "(values (1, 'NaN'::float8), (2, 1.5::float8), (3, -2::float8), (4, null::float8)) as v(k, x)"

CASES = [
    "select percentile_cont(0.5) within group (order by f) from nums",
    "select percentile_cont(0.5) within group (order by score) from customers",  # was in test_refusals
    "select percentile_cont(0.25) within group (order by a), percentile_cont(0) within group (order by f),"
    " percentile_cont(1) within group (order by f) from nums",
    "select percentile_cont(0.3) within group (order by f desc),"
    " percentile_disc(0.3) within group (order by f desc) from nums",
    "select percentile_disc(0.5) within group (order by a), percentile_disc(0) within group (order by n),"
    " percentile_disc(1) within group (order by f) from nums",
    "select city, percentile_cont(0.5) within group (order by score), percentile_disc(0.5) within group"
    " (order by name) from customers group by city order by city",
    "select percentile_disc(0.9) within group (order by born),"
    " percentile_disc(0.1) within group (order by placed) from customers, orders",
    "select percentile_cont(0.5) within group (order by f) from nums where k > 100",
    "select percentile_disc(0.5) within group (order by a) from nums where a is null",
    "select status, percentile_cont(0.75) within group (order by qty) from orders"
    " group by status order by status",
    f"select percentile_cont(0.5) within group (order by x),"
    f" percentile_disc(1) within group (order by x) from {_WITH_NAN}",
    f"select percentile_disc(0.5) within group (order by x desc) from {_WITH_NAN}",
    # mode(): ties go to the first value in the sort order
    "select mode() within group (order by a), mode() within group (order by b desc) from nums",
    "select mode() within group (order by status), mode() within group (order by status desc) from orders",
    "select city, mode() within group (order by name) from customers group by city order by city",
    "select mode() within group (order by x) from (values (2), (1), (2), (1), (3)) v(x)",
    "select mode() within group (order by x desc) from (values (2), (1), (2), (1), (3)) v(x)",
    f"select mode() within group (order by x) from {_WITH_NAN}",
    "select mode() within group (order by born) from customers where id > 100",
]


@pytest.mark.parametrize("sql", CASES)
def test_percentiles_match_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check(pg, duck, schema, sql)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select percentile_cont(n) within group (order by f) from nums", "fraction other than a literal"),
        ("select percentile_cont(1.5) within group (order by f) from nums", "fraction other than a literal"),
        ("select percentile_cont(0.5) within group (order by n) from nums", "percentile_cont() of numeric"),
        (
            "select percentile_cont(0.5) within group (order by f) filter (where k > 1) from nums",
            "with filter",
        ),
        ("select percentile_cont(array[0.5]) within group (order by f) from nums", "fraction"),
    ],
)
def test_refused(schema: FixtureSchema, sql: str, construct: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert construct.lower() in caught.value.message.lower(), caught.value.message
