"""generated_rows(): the rows a statement's series, built arrays and recursion make, from the
resolved AST alone (issue 10: a statement that reads no table was free to the cost rule)."""

from __future__ import annotations

import pytest

from pgbridge.sql.generated import BYTES_PER_ROW, Generated, generated_rows
from pgbridge.sql.names.resolve import NameContext, resolve
from pgbridge.sql.statements.classify import parse_statement
from tests.sql.fixtures import FixtureSchema

NAMES = NameContext(search_path=("shop", "public"), default_dataset="shop", schema_to_dataset={})
ROWS = {("shop", "orders"): 1_000, ("shop", "customers"): 50}


def estimate(
    sql: str, params: tuple[object, ...] = (), rows: dict[tuple[str, str], int] = ROWS
) -> Generated | None:
    ast = resolve(parse_statement(sql), NAMES, FixtureSchema()).ast
    return generated_rows(ast, lambda dataset, table: rows.get((dataset, table)), params)


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("SELECT count(*) FROM generate_series(1, 300000000) g", 300_000_000),
        ("SELECT count(*) FROM generate_series(1, 1000) g", 1_000),
        ("SELECT g FROM generate_series(10, 1, -2) g", 5),
        ("SELECT g FROM generate_series(5, 1) g", 0),
        ("SELECT count(*) FROM generate_series(1, 2 * 1000 * (1000 + 0)) g", 2_000_000),
        # Cross joins multiply, whatever the join condition says.
        ("SELECT count(*) FROM generate_series(1, 1000) a, generate_series(1, 1000) b", 1_000_000),
        ("SELECT count(*) FROM generate_series(1, 100) a JOIN generate_series(1, 10) b ON b.b > 0", 1_000),
        # A table joined with a series: its row count multiplies too.
        ("SELECT count(*) FROM orders, generate_series(1, 10) g", 10_000),
        # Select-list set-returning calls: once per row of the block.
        ("SELECT generate_series(1, 10)", 10),
        ("SELECT generate_series(1, 3) FROM orders", 3_000),
        ("SELECT x FROM unnest(ARRAY[1, 2, 3]) x", 3),
        ("SELECT x FROM unnest('{1,2,3,4}'::int[]) x", 4),
        # Subqueries and CTEs made of generated rows multiply where they are joined.
        (
            "SELECT count(*) FROM (SELECT generate_series(1, 100) AS x) s, "
            "(SELECT generate_series(1, 100) AS y) t",
            100 + 100 + 10_000,
        ),
        ("WITH s AS (SELECT g FROM generate_series(1, 50) g) SELECT count(*) FROM s a, s b", 50 + 2_500),
        # An aggregate of a series is one row: joining it multiplies nothing.
        ("SELECT count(*) FROM (SELECT count(*) AS n FROM generate_series(1, 1000) g) s, orders", 1_000),
        # A subquery in an expression runs once per row of its block.
        ("SELECT (SELECT count(*) FROM generate_series(1, 10) g) FROM orders", 10_000),
        (
            "SELECT d FROM generate_series('2024-01-01'::timestamp, '2024-01-02'::timestamp, "
            "interval '1 hour') d",
            25,
        ),
    ],
)
def test_rows_of_bounded_generators(sql: str, rows: int) -> None:
    found = estimate(sql)
    assert found is not None and found.rows == rows, found
    assert found.bytes == rows * BYTES_PER_ROW


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT g FROM generate_series(1, (SELECT max(id) FROM orders)) g",
        "SELECT g FROM orders o, generate_series(1, o.id) g",
        "SELECT g FROM generate_series(1, $1) g",  # not bound yet (EXPLAIN, Describe)
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT count(*) FROM t",
        "SELECT count(*) FROM nums, generate_series(1, 10) g",  # a table without a row count
    ],
)
def test_what_cannot_be_bounded_is_none(sql: str) -> None:
    found = estimate(sql)
    assert found is not None and found.rows is None and found.bytes is None


def test_parameters_count_as_their_bound_values() -> None:
    found = estimate("SELECT g FROM generate_series(1, $1) g", (5_000,))
    assert found is not None and found.rows == 5_000


def test_statements_without_generators_cost_nothing_extra() -> None:
    assert estimate("SELECT * FROM orders") is None
    assert estimate("SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id") is None
    assert estimate("SELECT 1") is None


def test_unnest_of_a_stored_array_is_data_not_a_generator() -> None:
    # Its elements are read by the scan and priced by its bytes.
    assert estimate("SELECT t FROM customers c, unnest(c.tags) t") is None


def test_a_filtered_table_counts_as_unknown() -> None:
    # The caller passes no row count for a row-filtered table: the cost rule must not reveal it.
    found = estimate("SELECT count(*) FROM customers, generate_series(1, 2) g", rows={})
    assert found is not None and found.rows is None
