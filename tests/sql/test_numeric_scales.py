"""Exact numeric arithmetic on values whose scales are known (declared NUMERIC(P, S) columns,
literals, integers), against PostgreSQL byte for byte, text and binary.

numeric * numeric, sums and averages of products, quotients of sums, round(x, n) at ties,
negatives, results needing more than NUMERIC's 9 decimals (BIGNUMERIC), and ORDER BY on such
outputs (sorted as numbers, printed with PostgreSQL's scale). Overflow beyond the engine's
range is an error (22003), never a wrong value.
"""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
import psycopg
import pytest

from pgbridge.backends.duckdb_dialect import bigquery_to_duckdb
from pgbridge.wire.errors import PgError, SqlState
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import pipeline
from tests.sql.text_harness import check_exact

EXACT = [
    # declared scales print as PostgreSQL prints them (0.00, 1000000.00, 0.0500)
    "select id, price, rate from ledger order by id",
    "select id, price from ledger order by price desc nulls last, id",
    # products: scale of a plus scale of b, exact beyond 9 decimals
    "select id, price * rate, rate * rate, price * qty, price * rate * rate, -price * rate "
    "from ledger order by id",
    "select id, price * (1 - rate), price * (1 - rate) * (1 + rate) from ledger order by id",
    "select id, rate * 0.0000000001, price * 0.00000000000000000001 from ledger order by id",
    "select 0.5 * 2.5, 1.10 * 1.10, -0.001 * 0.001, 0.1234567891 * 3",
    # sums and averages of products
    "select sum(price * rate), sum(price * (1 - rate)), sum(price * (1 - rate) * (1 + rate)) from ledger",
    "select avg(price), avg(rate), avg(price * rate), avg(qty * price) from ledger",
    "select qty > 2 as big, sum(price * rate), avg(price * rate), count(*) from ledger group by 1 order by 1",
    "select sum(price * rate) from ledger where id < 0",
    # quotients of exact values, as outputs
    "select sum(price) / sum(rate), sum(price * rate) / 7.0, 100.00 * sum(price) / sum(price * rate) "
    "from ledger",
    "select id, price / rate from ledger where rate <> 0 order by id",
    # round(x, n): half away from zero at the digit, scale n
    "select id, round(price * rate, 2), round(price * rate, 3), round(price * rate), round(price, -1) "
    "from ledger order by id",
    "select round(sum(price * rate), 1), round(avg(price * rate), 5) from ledger",
    # ordered by a computed output: sorted as a number
    "select id, price * rate as v from ledger order by v desc nulls last, id",
    "select qty, sum(price * rate) as revenue from ledger group by qty order by revenue, qty",
    "select id, price * rate from ledger order by 2 nulls first, 1",
    # comparisons against exact values and scalar subqueries (sum of products)
    "select id from ledger where price * rate > (select sum(price * rate) * 0.0001 from ledger) order by id",
    "select id from ledger where price * (1 - rate) between 0.04 and 30 order by id",
    "select id, price * rate from ledger where price * rate = (select max(price * rate) from ledger)",
    # derived tables and CTEs keep their scales
    "select sum(v) from (select price * rate as v from ledger) s",
    "with r as (select qty, sum(price * rate) as t from ledger group by qty) select max(t), min(t) from r",
    # an alias shadowing a column, ordered by: the output (PostgreSQL's rule)
    "select id, price * rate as price from ledger order by price nulls first, id",
    "select id, price * rate as price from ledger where price > 0 order by price desc, id limit 3",
]


@pytest.mark.parametrize("sql", EXACT)
def test_same_bytes_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_distinct_declared_scale(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    check_exact(pg, duck, schema, "select distinct rate from ledger where rate > 0", ordered=False)


def test_products_beyond_nine_decimals_are_bignumeric(schema: FixtureSchema) -> None:
    translation = pipeline("select sum(price * rate * rate) from ledger", schema)
    assert "BIGNUMERIC" in translation.sql  # NUMERIC would round 10 decimals to 9
    assert "BIGNUMERIC" not in pipeline("select sum(price * rate) from ledger", schema).sql


def test_overflow_is_an_error_not_a_value(duck: duckdb.DuckDBPyConnection, schema: FixtureSchema) -> None:
    sql = "select price * 10000000000000000000000000.0000000000 * 100000000000 from ledger where id = 4"
    with pytest.raises(duckdb.OutOfRangeException):
        duck.execute(bigquery_to_duckdb(pipeline(sql, schema).sql)).fetchall()


REFUSED = [
    # DISTINCT ordered by a marked output: BigQuery orders DISTINCT rows by selected values only
    "select distinct rate from ledger where rate > 0 order by 1",
    # set operations comparing values of different scales (test_set_scales.py)
    "select price * 2 from ledger except select rate from ledger",
    # scales beyond BIGNUMERIC's 38 decimals
    "select rate * 0.00000000000000000000000000000000001 * rate from ledger",
    # max() of a value whose scale depends on the row: the scale of the row that wins
    "select max(n * n) from nums",
    # a derived value whose scale depends on the row, where no companion column can carry it
    "select x from (select distinct n * 2 as x from nums) t",
    "select distinct s from (select sum(n) as s from nums group by k) t",
    "select (select sum(n) from nums where k in (1, 2))",
    "select x from (select n * 2 as x from nums union all select n from nums) t",
    "select x from (select price as x from ledger union all select rate from ledger) t",
    "with paid as (select customer_id, sum(amount) as total from orders group by customer_id) "
    "select total, count(*) from paid group by total",
    # a numeric literal beyond 38 decimals
    "select 0.123456789012345678901234567890123456789",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_where_no_exact_answer(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED


# NUMERIC columns without declared scale: a value's scale is its significant decimals (the
# fixtures hold PostgreSQL's values trim_scale'd), a product's the sum of its operands'
UNDECLARED = [
    "select k, n * n, n * 2.50, n * n * n from nums order by k",
    "select sum(n * n), sum(n * 1.0), sum(n * n - n) from nums",
    "select k > 3 as big, sum(n * n) from nums group by 1 order by 1",
    "select k from nums where n * n > 0.01 order by k",
    "select sum(balance * 2) / sum(balance), sum(n * n) / 3 from customers, nums where k = 1",
    "select status, sum(amount) as total from orders group by status order by total, status",
    "select id, amount + 1 as a from orders order by a, id",
    # derived tables and CTEs: the derived SELECT computes the scale next to the value
    "select m from (select n * n as m from nums) s",
    "select m, m * 2, m + 1.5 from (select k, n * n as m from nums) s order by k",
    "select s from (select sum(n) as s from nums where k in (1, 2)) t",
    "select k, s, s + 1 from (select k, sum(n) as s from nums group by k) t order by k",
    "with a as (select k, n * 2 as x from nums), b as (select k, sum(x) as y from a group by k) "
    "select k, y, y * y from b order by k",
    "with paid as (select customer_id, sum(amount) as total from orders group by customer_id) "
    "select c.name, p.total from customers c join paid p on p.customer_id = c.id order by p.total, c.name",
    "select sum(s) from (select sum(n * 2) as s from nums group by k) t",
    "with paid as (select customer_id, sum(amount) as total from orders group by customer_id) "
    "select sum(total), count(*) from paid group by customer_id > 2 order by 2",
    "select price from (select price from ledger union all select price from ledger where id > 3) t "
    "order by price nulls first",
]


@pytest.mark.parametrize("sql", UNDECLARED)
def test_undeclared_numeric_products(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


# sum(CASE ...) keeps each arm's scale: the group's largest (TPC-H Q8, Q14)
CASE_SUMS = [
    "select qty > 2 as big, sum(case when rate > 0.1 then price * rate else 0 end) from ledger "
    "group by 1 order by 1",
    "select sum(case when rate > 0.1 then price * rate else 0 end) / sum(price * rate) from ledger",
    "select 100.00 * sum(case when id > 3 then price * (1 - rate) else 0 end) / sum(price * (1 - rate)) "
    "from ledger",
    "select id, sum(case when rate > 0 then price else 0 end), sum(case when rate > 100 then rate end) "
    "from ledger group by id order by id",
    "select qty, sum(case when price > 0 then price * rate else 0 end) / sum(price) from ledger "
    "where price <> 0 group by qty order by qty",
]


@pytest.mark.parametrize("sql", CASE_SUMS)
def test_sums_of_case_values(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


# round(float8::numeric, n): PostgreSQL's 15 significant digits, then half away from zero
FLOAT_ROUNDS = [
    "select k, round(f::numeric, 2), round(f::numeric), round(f::numeric, 0), round(f::numeric, -1) "
    "from nums order by k",
    "select k, round(f::numeric, 7), round(f::numeric, 12), round((f * 1000)::numeric, 1) "
    "from nums order by k",
    "select round(avg(score)::numeric, 2), round(sum(score)::numeric, 3) from customers",
    "select round(2.675::float8::numeric, 2), round((-2.675)::float8::numeric, 2), "
    "round(0.125::float8::numeric, 2)",
    "select round(1.005::float8::numeric, 2), round((0.1::float8 + 0.2::float8)::numeric, 15), "
    "round(1234567890123456::float8::numeric, -3), round((-0.5)::float8::numeric), "
    "round(0::float8::numeric, 3)",
    "select round(123456.7891::float8::numeric, 3), round((-0.0000123456789)::float8::numeric, 9)",
    "select id, round(score::numeric, 1) as r from customers order by r nulls first, id",
]


@pytest.mark.parametrize("sql", FLOAT_ROUNDS)
def test_round_of_float8_cast_to_numeric(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    check_exact(pg, duck, schema, sql)


def test_float8_cast_to_numeric_alone_is_still_refused(schema: FixtureSchema) -> None:
    for sql in ("select f::numeric from nums", "select round(f::numeric, k) from nums"):
        with pytest.raises(PgError) as caught:
            pipeline(sql, schema)
        assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED


def _random_floats(seed: int) -> list[str]:
    """Floats of every magnitude, and decimal ties (x.xx5) that are not ties as binary floats."""
    rng = random.Random(seed)
    values = [repr(rng.uniform(-1, 1) * 10 ** rng.randint(-8, 12)) for _ in range(60)]
    values += [f"{rng.randint(-99999, 99999)}.{rng.randint(0, 99):02d}5" for _ in range(30)]
    return values + ["0.5", "-0.5", "1.5", "2.5", "1e-7", "123456789.125"]


@pytest.mark.parametrize("places", [0, 2, 3, 6, -2])
def test_round_of_random_floats(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, places: int
) -> None:
    rows = ", ".join(f"({i}, '{v}'::float8)" for i, v in enumerate(_random_floats(places + 100)))
    sql = f"select i, round(f::numeric, {places}) from (values {rows}) v(i, f) order by i"
    check_exact(pg, duck, schema, sql)


def test_bigquery_schema_declares_precision_and_scale() -> None:
    """A BigQuery NUMERIC(P, S) / BIGNUMERIC(P, S) column carries its scale into the metadata."""
    from google.cloud import bigquery

    from pgbridge.backends.bigquery_types import field_from_schema

    declared = {"name": "a", "type": "NUMERIC", "precision": "15", "scale": "2"}
    precise = {"name": "b", "type": "BIGNUMERIC", "precision": "40"}
    plain = {"name": "c", "type": "NUMERIC"}
    fields = [field_from_schema(bigquery.SchemaField.from_api_repr(f)) for f in (declared, precise, plain)]
    assert [(f.type, f.precision, f.scale) for f in fields] == [
        ("NUMERIC", 15, 2),
        ("BIGNUMERIC", 40, 0),
        ("NUMERIC", None, None),
    ]


def test_fixed_scale_digits_are_the_exact_ones() -> None:
    """The encoder pads d:<digits>:<scale> as text (the common, bulk case): the same digits as
    its exact path, which also refuses to cut a digit."""
    from fractions import Fraction

    from pgbridge.encode.numeric_digits import _with_scale, finish

    rng = random.Random(7)
    for _ in range(5000):
        whole = str(rng.randint(0, 10 ** rng.randint(0, 20)))
        fraction = "".join(rng.choice("0000123456789") for _ in range(rng.randint(0, 12)))
        value = rng.choice(["", "-"]) + whole + (f".{fraction}" if fraction else "")
        scale = rng.randint(0, 14)
        try:
            exact = _with_scale(Fraction(Decimal(value)), scale, exact=True)
        except PgError:
            with pytest.raises(PgError):
                finish(f"d:{value}:{scale}")
            continue
        assert finish(f"d:{value}:{scale}") == exact, (value, scale)
