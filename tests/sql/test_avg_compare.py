"""A value compared with a scalar subquery's avg(numeric) (TPC-H Q17, Q22), against PostgreSQL.

PostgreSQL rounds the average to a scale of its own before comparing; the translation decides
the comparison with integers instead (constructs/avg_compare.py proves when that is the same).
The data are chosen where it could go wrong: values equal to the average (ties), averages
that do not terminate (1/3), negative values, a factor k (0.2, 0.3, 0.7, -1.25, 2.5, 3), scales beyond
NUMERIC's 9 decimals, averages over no rows, NULLs, tiny and large magnitudes. Where the
proof does not hold the query fails at run time; it never returns other rows.
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

# (group, value): groups whose averages terminate, tie, repeat (1/3, 2/3, 1/7), go negative
_ROWS = [
    (1, "1.00"),
    (1, "1.00"),
    (1, "2.00"),  # avg 1.3333...
    (2, "-0.01"),
    (2, "0.01"),
    (2, "0.00"),  # avg 0: the tie at zero
    (3, "2.50"),
    (3, "2.50"),
    (3, "2.50"),  # avg 2.50 exactly: ties with every row
    (4, "-7.00"),
    (4, "1.00"),
    (4, "-1.00"),  # avg -2.3333...
    (5, "0.10"),
    (5, "0.20"),
    (5, "0.20"),
    (5, "0.30"),
    (5, "0.40"),
    (5, "0.10"),
    (5, "0.10"),  # 1.4 / 7
    (6, None),
    (6, "5.55"),  # NULL not counted
    (7, "99999.99"),
    (7, "0.01"),  # avg 50000.00
    (9, "0.1234567891"),
    (9, "0.1234567892"),
    (9, "-0.0000000003"),  # 10 decimals (rounded at 2)
    (8, "0.05"),
    (8, "0.05"),
    (8, "0.06"),  # 0.16 / 3
]


def _table(shift: str = "") -> str:
    """d(g, v): v numeric(20, 2), or times `shift` (a literal: 0.0000000001 makes scale 12)."""
    values = ", ".join(f"({g}, {'NULL::text' if v is None else repr(v)})" for g, v in _ROWS)
    value = f"cast(v as numeric(20, 2)){' * ' + shift if shift else ''}"
    return f"with d as (select g, {value} as v from (values {values}) t(g, v)) "


COMPARED = [
    # Q22's shape: a value against the average of all rows (uncorrelated), each comparison
    "select g, v from d where v > (select avg(v) from d) order by g, v",
    "select g, v from d where v >= (select avg(v) from d where v > 0.00) order by g, v",
    # Q17's shape: correlated by group, with a factor
    "select g, v from d o where v < (select 0.2 * avg(v) from d where d.g = o.g) order by g, v",
    "select g, v from d o where v <= (select avg(v) * 0.2 from d where d.g = o.g) order by g, v",
    # ties: a value equal to its group's average (group 2, 3, 7), or not (1/3, 1/7)
    "select g, v from d o where v = (select avg(v) from d where d.g = o.g) order by g, v",
    "select g, v from d o where v <> (select avg(v) from d where d.g = o.g) order by g, v",
    "select g, v from d o where (select avg(v) from d where d.g = o.g) >= v order by g, v",
    "select g, v from d o where 3 * v > (select 2.5 * avg(v) from d where d.g = o.g) order by g, v",
    "select g, v from d o where v < (select 0.7 * avg(v) from d where d.g = o.g and g in (1, 4, 8)) "
    "order by g, v",
    # negative factors, integer factors, integer values compared
    "select g, v from d o where v > (select -1.25 * avg(v) from d where d.g = o.g) order by g, v",
    "select g, v from d o where g > (select avg(v) from d where d.g = o.g) order by g, v",
    "select g from d o where 0 < (select (avg(v)) from d where d.g = o.g) order by g, v",
    # an average over no rows is NULL: the comparison is too
    "select g, v from d o where v < (select avg(v) from d where d.g = o.g + 100) order by g, v",
    # the average compared where it is computed: HAVING, or a boolean output
    "select g, avg(v) * 2.5 > 3, avg(v) = 2.50, 0.10 < avg(v), avg(v) <> 0 from d group by g order by g",
    "select g from d group by g having avg(v) >= 2.50 or avg(v) < -2 order by g",
    # avg of integers
    "select g, v from d o where g >= (select avg(g) from d where d.v > o.v) order by g, v",
    "select g, v from d o where v * 100 < (select avg(g) * 0.5 from d where d.v >= o.v) order by g, v",
]


@pytest.mark.parametrize("sql", COMPARED)
@pytest.mark.parametrize("shift", ["", "0.0000000001", "-1000"])
def test_same_rows_as_postgres(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str, shift: str
) -> None:
    check_exact(pg, duck, schema, _table(shift) + sql)


def test_declared_scale_tables(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    for sql in (
        "select id, price from ledger where price > (select avg(price) from ledger) order by id",
        "select id from ledger l where rate < (select 0.5 * avg(rate) from ledger where qty <> l.qty) "
        "order by id",
        "select id from ledger l where price >= (select avg(qty) from ledger where id > l.id) order by id",
        "select status from orders group by status having avg(qty) > 1 order by status",
        "select status, avg(qty) >= 2, avg(qty) * 0.5 = 1 from orders group by status order by status",
    ):
        check_exact(pg, duck, schema, sql)


def _run(duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str) -> list[tuple[object, ...]]:
    return duck.execute(bigquery_to_duckdb(pipeline(sql, schema).sql)).fetchall()


def test_sums_too_large_to_prove_fail(duck: duckdb.DuckDBPyConnection, schema: FixtureSchema) -> None:
    """|k * S| * 10^e >= 2 * 10^16: PostgreSQL's rounding might matter; an error, not rows."""
    sql = _table() + "select g from d where v > (select avg(v) * 10000000000 from d)"
    with pytest.raises(duckdb.Error, match="cannot compare with this average exactly"):
        _run(duck, schema, sql)


def test_whole_quotient_without_proof_fails(duck: duckdb.DuckDBPyConnection, schema: FixtureSchema) -> None:
    """k = 3: 3 * avg(1, 1, 2) is 4 exactly, PostgreSQL's 3 * 1.3333333333333333 is not; the
    query fails instead of guessing (as for 0.3 * avg(0.05, 0.05, 0.06))."""
    sql = _table() + "select g from d o where v = (select 3 * avg(v) from d where d.g = o.g and g = 1)"
    with pytest.raises(duckdb.Error, match="cannot compare with this average exactly"):
        _run(duck, schema, sql)
    sql = _table() + "select g from d o where v > (select 0.3 * avg(v) from d where d.g = o.g and g = 8)"
    with pytest.raises(duckdb.Error, match="cannot compare with this average exactly"):
        _run(duck, schema, sql)


def test_whole_quotient_without_proof_ok_elsewhere(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema
) -> None:
    """The same factors where q terminates (or is 0): exact rows."""
    sql = (
        "select g, v from d o "
        "where v <= (select 0.3 * avg(v) from d where d.g = o.g and g in (2, 3, 5, 7, 9)) "
        "and v >= (select 3 * avg(v) from d where d.g = o.g and g in (2, 3, 5, 7, 9)) order by g, v"
    )
    check_exact(pg, duck, schema, _table() + sql)


REFUSED = [
    "select g from d where v > (select avg(v) + 1 from d)",  # only k * avg(y)
    "select g from d where v > (select avg(v) from d group by g limit 1)",
    "select avg(v) > avg(v) from d",
    "select g from d group by g having avg(v) + 1 > 1",
    "select avg(v) over () > 1 from d",
    "select g from d where v > (select avg(v) * v from d)",
    "select k from nums where n > (select avg(n) from nums)",  # n declares no scale
    "select (select avg(v) from d) from d",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_other_shapes_are_refused(schema: FixtureSchema, sql: str) -> None:
    with pytest.raises(PgError) as caught:
        pipeline(_table() + sql if " d" in sql else sql, schema)
    assert caught.value.sqlstate == SqlState.FEATURE_NOT_SUPPORTED
    assert "avg()" in caught.value.message or "numeric * numeric" in caught.value.message
