"""The DuckDB backend's dry run bills as BigQuery does: each referenced column once, on its own
table, measured from a real DuckDB warehouse whose column sizes are known."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pgbridge.backends.duckdb import DuckDBBackend, DuckDBSettings

# INT64 columns bill 8 bytes a value; 100 orders, 10 products.
_WAREHOUSE = """
CREATE SCHEMA shop;
CREATE TABLE shop.orders AS SELECT i AS id, i % 10 AS product_id, i * 2 AS amount FROM range(100) t(i);
CREATE TABLE shop.products AS SELECT i AS id, i * 3 AS price FROM range(10) t(i);
"""
ORDERS, PRODUCTS = 100 * 8, 10 * 8  # one column of each


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> DuckDBBackend:
    path = Path(tmp_path_factory.mktemp("estimate")) / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(_WAREHOUSE)
    return DuckDBBackend(DuckDBSettings(path))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # products.id and orders.product_id: orders.id is not read although it is also named id.
        (
            "SELECT p.price FROM shop.orders o JOIN shop.products p ON p.id = o.product_id",
            ORDERS + 2 * PRODUCTS,
        ),
        ("SELECT o.id FROM shop.orders o JOIN shop.products p ON p.id = o.product_id", 2 * ORDERS + PRODUCTS),
        ("SELECT id FROM shop.orders JOIN shop.products USING (id)", ORDERS + PRODUCTS),
        (
            "SELECT o.*, p.price FROM shop.orders o JOIN shop.products p ON p.id = o.product_id",
            3 * ORDERS + 2 * PRODUCTS,
        ),
        ("SELECT * FROM shop.products", 2 * PRODUCTS),
        ("SELECT count(*) FROM shop.orders", 0),
        (
            "SELECT id FROM shop.orders o "
            "WHERE EXISTS (SELECT 1 FROM shop.products p WHERE p.id = o.product_id)",
            2 * ORDERS + PRODUCTS,
        ),
        ("SELECT amount, amount + 1 FROM shop.orders WHERE amount > 3", ORDERS),
    ],
)
async def test_each_column_once_on_its_own_table(backend: DuckDBBackend, sql: str, expected: int) -> None:
    assert (await backend.dry_run(sql, ())).total_bytes_processed == expected
