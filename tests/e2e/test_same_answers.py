"""The same query gives the same answer on both backends, over binary (asyncpg) and text (psql).

Both gateways hold the same rows, keys and configuration, so any difference comes from the
backend path: BigQuery SQL run by the emulator through the real client and REST decoding, or
the same SQL translated once more and run by DuckDB. Each query has a stable ORDER BY.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.clients import fetch, psql_rows
from tests.support.gateway import RunningGateway

QUERIES = {
    "filter_and_order": (
        "SELECT id, name, email, country FROM shop.customers WHERE country IN ('DE', 'JP') AND id < 200 "
        "ORDER BY id"
    ),
    "aggregate_by_status": (
        "SELECT status, count(*) AS n, sum(amount) AS total, min(ordered_at) AS first, max(ordered_at) AS"
        " last FROM shop.orders GROUP BY status ORDER BY status"
    ),
    "join_three_tables": (
        "SELECT o.id, c.name, p.name AS product, p.price, o.amount FROM shop.orders o JOIN shop.customers"
        " c ON c.id = o.customer_id JOIN shop.products p ON p.id = o.product_id WHERE o.id <= 50 ORDER BY"
        " o.id"
    ),
    "having_and_limit": (
        "SELECT customer_id, count(*) AS n, max(amount) AS top FROM shop.orders GROUP BY customer_id "
        "HAVING max(amount) > 999.5 ORDER BY top DESC, customer_id LIMIT 20"
    ),
    "cte_and_subquery": (
        "WITH top AS (SELECT customer_id, max(amount) AS best FROM shop.orders GROUP BY customer_id) "
        "SELECT c.id, c.country, t.best FROM top t JOIN shop.customers c ON c.id = t.customer_id WHERE "
        "t.best > (SELECT avg(best) + 300 FROM top) ORDER BY t.best DESC, c.id LIMIT 25"
    ),
    "window_functions": (
        "SELECT id, category, price, rank() OVER (PARTITION BY category ORDER BY price DESC, id) AS r, "
        "sum(price) OVER (PARTITION BY category) AS category_total FROM shop.products WHERE id <= 40 "
        "ORDER BY category, r"
    ),
    "case_coalesce_distinct": (
        "SELECT DISTINCT category, CASE WHEN price > 500 THEN 'dear' ELSE 'cheap' END AS band, "
        "coalesce(NULL, category) AS c2 FROM shop.products ORDER BY category, band"
    ),
    "numeric_arithmetic": (
        "SELECT id, price, price * 2 AS doubled, round(price, 1) AS rounded, price + 0.005 AS nudged, "
        "price - 1000 AS negative FROM shop.products WHERE id <= 10 ORDER BY id"
    ),
    "string_functions": (
        "SELECT id, upper(name) AS u, lower(category) AS l, length(name) AS len, substring(name from 1 "
        "for 5) AS head, name || '!' AS bang, replace(name, 'item', 'thing') AS r FROM shop.products "
        "WHERE id <= 10 ORDER BY id"
    ),
    "timestamps": (
        "SELECT id, ordered_at, date_trunc('month', ordered_at) AS month, extract(year FROM ordered_at) "
        "AS y FROM shop.orders WHERE id <= 20 ORDER BY id"
    ),
    "arrays": (
        "SELECT id, tags, cardinality(tags) AS n, tags[1] AS first_tag FROM shop.products WHERE id <= 12 "
        "ORDER BY id"
    ),
    "between_and_like": (
        "SELECT id, name FROM shop.customers WHERE id BETWEEN 1000 AND 1100 AND name LIKE 'A%' ORDER BY id"
    ),
    "count_distinct_and_float": (
        "SELECT count(DISTINCT country) AS countries, avg(amount) AS avg_amount, stddev_samp(amount) AS "
        "sd FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id WHERE c.id <= 1000"
    ),
    "null_handling": (
        "SELECT id, nullif(category, 'books') AS not_books, CASE WHEN nullif(category, 'books') IS NULL "
        "THEN 1 ELSE 0 END AS was_books FROM shop.products WHERE id <= 16 ORDER BY id"
    ),
    "union_all": (
        "SELECT id, 'customer' AS kind FROM shop.customers WHERE id <= 3 UNION ALL SELECT id, 'product' "
        "FROM shop.products WHERE id <= 3 ORDER BY kind, id"
    ),
    "empty_result": ("SELECT id, name FROM shop.customers WHERE id < 0 ORDER BY id"),
}
MASKED = "SELECT id, ssn, email, phone, card_number FROM shop.customers WHERE id <= 20 ORDER BY id"


def _normalise(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # Float sums are computed in a different order by each engine: compare to 1e-9 relative.
    return [tuple(pytest.approx(v, rel=1e-9) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_same_rows_over_binary(both_gateways: dict[str, RunningGateway], name: str) -> None:
    duck = await fetch(both_gateways["duckdb"], QUERIES[name])
    bq = await fetch(both_gateways["bigquery"], QUERIES[name])
    assert bq == _normalise(duck)
    assert name == "empty_result" or duck  # a comparison of two empty answers proves little


@pytest.mark.parametrize(
    "name", ["filter_and_order", "join_three_tables", "timestamps", "arrays", "numeric_arithmetic"]
)
def test_same_text_over_psql(both_gateways: dict[str, RunningGateway], name: str) -> None:
    duck = psql_rows(both_gateways["duckdb"], QUERIES[name])
    bq = psql_rows(both_gateways["bigquery"], QUERIES[name])
    assert bq == duck and duck


async def test_same_masked_values_for_the_analyst(both_gateways: dict[str, RunningGateway]) -> None:
    # Same masking key in both folders: even the keyed hashes of phone numbers agree.
    duck = await fetch(both_gateways["duckdb"], MASKED, roles=("analyst",))
    bq = await fetch(both_gateways["bigquery"], MASKED, roles=("analyst",))
    assert bq == duck and len(duck) == 20
    assert all(row[1].startswith("****") for row in duck)


async def test_same_rows_for_a_support_agent(both_gateways: dict[str, RunningGateway]) -> None:
    sql = "SELECT id, name, country FROM shop.customers WHERE id <= 500 ORDER BY id"
    duck = await fetch(both_gateways["duckdb"], sql, roles=("support",), country="JP")
    bq = await fetch(both_gateways["bigquery"], sql, roles=("support",), country="JP")
    assert bq == duck and duck and {row[2] for row in duck} == {"JP"}


async def test_same_orders_for_a_support_agent(both_gateways: dict[str, RunningGateway]) -> None:
    # Orders are filtered through customers (a subquery in the row filter).
    sql = "SELECT o.id, o.customer_id, o.status FROM shop.orders o WHERE o.id <= 3000 ORDER BY o.id"
    duck = await fetch(both_gateways["duckdb"], sql, roles=("support",), country="BR")
    bq = await fetch(both_gateways["bigquery"], sql, roles=("support",), country="BR")
    assert bq == duck and duck
    brazil = {
        row[0]
        for row in await fetch(both_gateways["duckdb"], "SELECT id FROM shop.customers WHERE country = 'BR'")
    }
    assert {row[1] for row in duck} <= brazil
