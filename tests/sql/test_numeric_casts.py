"""Casts to numeric keep every digit PostgreSQL keeps, against PostgreSQL byte for byte.

These were silently different before: `x::numeric` cast a BIGNUMERIC value (a literal or an
exact product with more than 9 decimals) to NUMERIC, which rounds to 9 decimals
(`1.0000000001::numeric = 1.0` was true); `x::numeric(p, s)` rounded to 9 decimals first and
then to s, rounding twice (`1.49999999999::numeric(2,0)` gave 2); `'1.50'::numeric` printed
1.5; `price = '80.1900000001'` compared against 80.19.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import assert_refused, pipeline
from tests.sql.text_harness import check_exact

EXACT = [
    # numeric -> numeric changes nothing, beyond NUMERIC's 9 decimals too
    "select 0.1234567891234::numeric, (0.1 + 0.0000000001)::numeric, 12345678901234567890.5::numeric",
    "select 0.1234567891234::numeric * 2, cast(0.1234567891234 as numeric) + 1",
    "select 1.0000000001::numeric = 1.0, -0.0000000001::numeric < 0",
    "select (0.1234567891234::numeric)::float8, 0.30000000000000004441::numeric::float8",
    "select id, (price * rate * rate)::numeric from ledger order by id",
    # numeric(p, s): rounded once, half away from zero, from the exact value
    "select 1.49999999999::numeric(2,0), -1.49999999999::numeric(2,0), 0.0449999999999::numeric(3,1)",
    "select 1.5::numeric(2,0), 2.5::numeric(2,0), -2.5::numeric(2,0), 5::numeric(5,2)",
    "select id, (price * rate * rate)::numeric(20,5) from ledger order by id",
    # text -> numeric: the literal's own digits and scale
    "select '1.50'::numeric, '0.1234567891234'::numeric, ' 2.50 '::numeric, '1e3'::numeric",
    "select '-0.000'::numeric",
    "select '1.49999999999'::numeric(2,0), ' +.5 '::numeric(3,1)",
    "select '1.25000000000000000000000001'::numeric(3,1)",
    # text columns -> numeric(p, s)
    "select x::numeric(10,3) from (values ('1.2345'), ('-1.2355'), ('99.9995'), ('1.4994999999999999')) t(x)",
    # a compared text literal is the exact value
    "select id from ledger where price = '19.9900000001' or rate = '0.05000000001'",
    "select id from ledger where price = '19.99' order by id",
    "select count(*) from (values (80.19::numeric)) t(price) where price = '80.1900000001'",
]


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_numeric_cast_of_numeric_is_no_bigquery_cast(schema: FixtureSchema) -> None:
    translation = pipeline("select 1.0000000001::numeric", schema)
    assert "AS NUMERIC)" not in translation.sql  # CAST(BIGNUMERIC AS NUMERIC) rounds to 9 decimals


@pytest.mark.parametrize(
    "text", ["1.23456789012345678901", "1.5e-3", "2E2"], ids=["19 decimals", "exponent", "capital exponent"]
)
def test_text_that_would_round_on_the_way_is_an_error(
    duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, text: str
) -> None:
    sql = f"select x::numeric(10,3) from (values ('1.5'), ('{text}')) t(x)"
    with pytest.raises(duckdb.Error, match="not exact"):
        duck.execute(bigquery_to_duckdb(pipeline(sql, schema).sql)).fetchall()


REFUSED = [
    # a text column's values each keep their own scale: unknowable before the query runs
    "select x::numeric from (values ('0.1234567891234'), ('1.50')) t(x)",
    "select 'NaN'::numeric",
    "select '0.123456789012345678901234567890123456789'::numeric",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_where_no_exact_answer(schema: FixtureSchema, sql: str) -> None:
    assert_refused(schema, sql)
