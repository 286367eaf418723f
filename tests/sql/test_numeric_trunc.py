"""trunc(numeric[, n]) against PostgreSQL byte for byte, text and binary.

PostgreSQL truncates toward zero and gives the result scale n (0 for n < 0 or without n),
whatever the argument's scale: trunc(19.99, 4) = 19.9900, trunc(-0.001, 2) = 0.00. Edge
cases: negative values, n beyond the value's decimals, negative n, values of more than 9
decimals (BIGNUMERIC products), NUMERIC columns without declared scale, integers, and trunc
used in comparisons, sums and ORDER BY. trunc(float8) keeps its own rule.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check, pipeline
from tests.sql.text_harness import check_exact

EXACT = [
    "select id, trunc(price, 1), trunc(price), trunc(rate, 2), trunc(rate, 6), trunc(price, -2) "
    "from ledger order by id",
    "select id, trunc(price * rate, 3), trunc(price * rate * rate, 9), trunc(-price * rate, 0) "
    "from ledger order by id",
    "select id, trunc(rate * rate * rate, 11), trunc(rate * 0.0000000001, 13) from ledger order by id",
    "select k, trunc(n, 2), trunc(n), trunc(n, -1), trunc(n, 12), trunc(a, 2), trunc(a, -1) "
    "from nums order by k",
    "select trunc(1.999, 2), trunc(-1.999, 2), trunc(-0.001, 2), trunc(0.5), trunc(-0.5), "
    "trunc(12345.678, -2), trunc(-98765, -3), trunc(7.1, 5), trunc(0.000000000123456789, 15)",
    # in comparisons, aggregates and ordering: the exact value
    "select id from ledger where trunc(price, 0) = 19 or trunc(rate, 1) < -9.9 order by id",
    "select sum(trunc(price, 1)), max(trunc(rate, 3)), min(trunc(price, -1)) from ledger",
    "select id, trunc(price * rate, 2) as t from ledger order by t desc nulls last, id",
    "select trunc(sum(price), 1), trunc(sum(price * rate), 4) from ledger",
    "select id, trunc(price, 1) * 2, trunc(price, 1) + trunc(rate, 3) from ledger order by id",
]


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_float_trunc_is_unchanged(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    translation = check(
        pg, duck, schema, "select k, trunc(f), trunc(a), trunc(-2.5::float8) from nums order by k"
    )
    assert translation.output_types[1:] == ("FLOAT64", "FLOAT64", "FLOAT64")


REFUSED = [
    "select trunc(f, 2) from nums",  # PostgreSQL has no trunc(float8, integer)
    "select trunc(price, qty) from ledger",  # the scale would depend on the row
    "select trunc(price, 39) from ledger",  # beyond BIGNUMERIC's 38 decimals
    "select trunc(price, -39) from ledger",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert "trunc" in caught.value.message
