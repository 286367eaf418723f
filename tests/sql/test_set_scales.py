"""Numeric outputs of UNION / INTERSECT / EXCEPT against PostgreSQL byte for byte.

Each row keeps the display scale of the branch it comes from (19.99 and 0.0500 in one
column); set operations that compare rows need one scale in every branch (refused otherwise:
PostgreSQL would keep 1.5 or 1.50 as it happens). Declared scales, literals, products beyond
9 decimals, sums of columns without declared scale, NULLs and negatives; INTERSECT ALL and
EXCEPT ALL (numbered rows) too.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline
from tests.sql.text_harness import check_exact

UNORDERED = [
    # UNION ALL: every branch its own scale
    "select price from ledger union all select rate from ledger",
    "select 1.50 union all select 2 union all select -0.001",
    "select sum(n) from nums where k in (1, 2) union all select 1 union all select n * 2 from nums",
    "(select price, rate from ledger where id < 3) union all (select rate, price from ledger where id > 5)",
    "select price * rate * rate from ledger union all select price from ledger",
    "select k, sum(n) from nums group by k union all select k, n * 2 from nums",
    # rows compared: one scale in every branch
    "select price from ledger union select price from ledger where id > 2",
    "select price from ledger intersect select price * 1 from ledger",
    "select price * rate from ledger union select round(rate, 6) from ledger",
    "select rate from ledger except select rate from ledger where id > 4",
    "select price from ledger except all select price from ledger where id < 3",
    "select price, id from ledger intersect all select price, id from ledger where id < 3",
    # columns printing their own digits need nothing
    "select n from nums union select n from nums where k > 3",
]


@pytest.mark.parametrize("sql", UNORDERED)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql, ordered=False)


def test_ordered_by_another_column(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    check_exact(
        pg, duck, schema, "select id, price from ledger union all select id + 10, rate from ledger order by 1"
    )


REFUSED = [
    "select price from ledger union select rate from ledger",  # 2 and 4 decimals compared
    "select 2.50 intersect select 2.5",
    "select 1 union select 1.0",
    "select price from ledger union all select price from ledger order by 1",  # the markers would sort
    "select price from ledger union all select rate from ledger order by price",
    "(select price from ledger except all select price from ledger) union all select price from ledger",
    "select distinct n * 2 from nums union all select 1.5",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
