"""Exact numeric display: avg, numeric division, sum(numeric) and literals, against PostgreSQL.

PostgreSQL's quotient scale (select_div_scale) and rounding are checked on random divisions
computed by a real PostgreSQL; then whole queries are compared byte for byte in text and
binary format (tests/sql/text_harness.py).
"""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
import psycopg
import pytest

from pgbridge.encode.numeric_digits import divide, finish, numeric_send
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline
from tests.sql.text_harness import check_exact


def _random_decimal(rng: random.Random) -> str:
    digits = rng.choice([1, 1, 2, 3, 5, 8, 12, 18, 25])
    scale = rng.choice([0, 0, 1, 2, 3, 5, 9])
    value = rng.randrange(0, 10**digits)
    text = str(value).rjust(scale + 1, "0")
    text = f"{text[: len(text) - scale]}.{text[len(text) - scale :]}" if scale else text
    return ("-" if rng.random() < 0.3 else "") + text


def _written_scale(text: str) -> int:
    return len(text.partition(".")[2])


def test_division_matches_postgres_on_random_operands(pg: psycopg.Connection) -> None:
    rng = random.Random(20261126)
    pairs = [(_random_decimal(rng), _random_decimal(rng)) for _ in range(600)]
    pairs = [(a, b) for a, b in pairs if Decimal(b) != 0]
    pairs += [
        ("1", "3"),
        ("2", "3"),
        ("0", "7"),
        ("7.0", "2"),
        ("1", "10000"),
        ("9999", "10000"),
        ("1", "9999"),
    ]
    pairs += [("0.000000001", "99999999999999999999"), ("99999999999999999999", "0.000000001")]
    rows = pg.execute(
        "select (x::numeric / y::numeric)::text "
        "from unnest(%s::text[], %s::text[]) with ordinality u(x, y, i) order by i",
        [[a for a, _ in pairs], [b for _, b in pairs]],
    ).fetchall()
    for (a, b), (expected,) in zip(pairs, rows, strict=True):
        got = divide(Decimal(a), Decimal(b), _written_scale(a), _written_scale(b))
        assert got == expected, (a, b)


def test_binary_form_matches_postgres(pg: psycopg.Connection) -> None:
    values = ["0", "0.00", "-0.5", "1", "10000", "12345.6789", "-0.000000001", "3.5000000000000000", "100.25"]
    for value in values:
        result = pg.pgconn.exec_params(b"select $1::numeric", [value.encode()], result_format=1)
        assert result.get_value(0, 0) == numeric_send(value), value


def test_malformed_values_are_errors() -> None:
    for bad in ["REDACTED", "q:1:2", "d:1.25:1", "1e5", ""]:
        with pytest.raises(PgError):
            finish(bad)
    with pytest.raises(PgError) as caught:
        finish("q:1:0:0:0")
    assert caught.value.sqlstate == SqlState.DIVISION_BY_ZERO


EXACT = [
    "select 7.0 / 2, 1 / 3.0, 10.5 / -4, 1.50, -2.0, 0.0",
    "select avg(qty), avg(amount), sum(amount), avg(id) from orders",
    "select status, avg(qty), sum(amount), avg(amount) from orders group by status order by status",
    "select city, avg(balance), sum(balance) from customers group by city order by city",
    "select avg(a), avg(b), avg(k), avg(n), sum(n) from nums",
    "select k, n / 7, a / 3.0, n / b from nums where b <> 0 order by k",
    "select id, amount / qty, amount / 3, qty / 2.5 from orders where qty <> 0 order by id",
    "select balance / 3 from customers order by id",
    "select avg(qty) from orders where id < 0",
    "select avg(x) from (values (1), (2), (2)) v(x)",
    "select avg(x) from (values (1.50), (2.5)) v(x)",
    "select sum(x) from (values (1.5), (2.5)) v(x)",
    "select round(avg(qty), 2), round(avg(qty)), round(avg(amount), 1), round(sum(amount), 1) from orders",
    "select status, round(avg(amount), 3), round(avg(qty), -1) from orders group by status order by 1",
    "select id, round(amount / 3, 2), round(amount, 1), round(amount), round(amount, -1) from orders",
    "select round(2.5), round(-2.5), round(1.005, 2), round(12345.678, -2), round(0.5, 0)",
    "select k, round(n, 2), round(n / 7, 4) from nums order by k",
    "select 1.5 + 1.5, 1.25 * 2, 2.50 - 1, 10 - 0.125, 3 * 0.10",
    "select id, amount + 1, amount - amount, amount * 3, amount + 0.50, qty * 1.5 from orders order by id",
    "select k, n + n, n - 1.0, n * 2, -n from nums order by k",
    # formerly refused (test_refusals.py): a product printed per value, a 10-decimal literal
    "select id, balance * balance from customers where abs(balance) < 1000000 order by id",
    "select 0.1234567891, -0.1234567891",
    # formerly refused: quotients of arithmetic on columns without declared scale
    "select id, (amount * 2) / 3, (amount + 1) / 2 from orders order by id",
    "select (balance + 1) / 2, balance * balance / 7 from customers where abs(balance) < 1000000 order by id",
    # round(x, n) has scale n even when ordered by: sorted by its value, printed 20.0
    "select id, round(amount, 1) from orders order by 2, 1",
]

# Ordered by: sorted by their values, shown with PostgreSQL's scale.
ORDERED = [
    "select status, sum(amount) from orders group by status order by 2, 1",
    "select id, amount + 1 as a from orders order by a, id",
]


@pytest.mark.parametrize("sql", ORDERED)
def test_ordered_outputs_sort_as_numbers(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    translation = check_exact(pg, duck, schema, sql)
    assert "ORDER BY CONCAT" not in translation.sql


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_division_by_zero_errors(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb

    sql = "select amount / (qty - qty) from orders where id = 10"
    with pytest.raises(psycopg.errors.DivisionByZero), pg.transaction():
        pg.execute(sql)
    with pytest.raises(duckdb.Error, match="division by zero"):
        duck.execute(bigquery_to_duckdb(pipeline(sql, schema).sql)).fetchall()


REFUSED = [
    "select avg(qty) from orders order by 1",
    "select avg(qty) as a from orders order by a",
    "select status from orders group by status having avg(amount) > 1",  # amount declares no scale
    "select round(avg(qty), 2) + 1 from orders",
    "select round(avg(qty), qty) from orders group by qty",
    "select avg(qty) + 1 from orders",
    "select distinct avg(qty) from orders group by status",
    "select avg(qty) over () from orders",
    "select avg(qty) filter (where qty > 0) from orders",
    "select (amount * 2) / 3 + 1 from orders",
    "select amount / 3 + 1 from orders",
    "select x from (select amount / 3 as x from orders) s",
    "select avg(qty) from orders union select 1.5",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_where_the_digits_cannot_be_exact(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
