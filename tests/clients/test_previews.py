"""Table previews (issue 12, item 2) through a real gateway over the demo warehouse: a plain
`SELECT cols FROM t [LIMIT n]` is billed nothing, as BigQuery's tabledata.list bills it, so
an analyst samples shop.orders (about 49 MB to scan) with no approval wait; a masked or a
row-filtered table is read by a real query (masked, filtered, costed); every one is audited."""

from __future__ import annotations

import psycopg
import pytest

from tests.compat.conftest import audit_records


def _plan(conn: psycopg.Connection, sql: str) -> dict[str, str]:
    lines = [row[0] for row in conn.execute(f"EXPLAIN {sql}").fetchall()]
    return dict(line.split(": ", 1) for line in lines if ": " in line)


@pytest.fixture
def analyst(gateway):
    with psycopg.connect(gateway.dsn("alice", ("analyst",)), autocommit=True) as conn:
        yield conn


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM shop.orders LIMIT 3",
        "SELECT id, status AS s FROM orders LIMIT 3",
        "SELECT o.amount FROM public.orders o",
        "SELECT * FROM shop.products",
    ],
)
def test_a_preview_is_billed_nothing(analyst, sql: str) -> None:
    assert _plan(analyst, sql)["Estimated bytes scanned"] == "0"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM shop.orders WHERE id > 3 LIMIT 3",
        "SELECT id FROM shop.orders ORDER BY id LIMIT 3",
        "SELECT DISTINCT status FROM shop.orders",
        "SELECT id + 1 FROM shop.orders LIMIT 3",
        "SELECT o.id FROM shop.orders o JOIN shop.products p ON p.id = o.product_id LIMIT 3",
        "SELECT status, count(*) FROM shop.orders GROUP BY status",
        "SELECT id FROM shop.orders LIMIT 3 OFFSET 5",
    ],
)
def test_anything_more_than_a_preview_is_costed(analyst, sql: str) -> None:
    assert int(_plan(analyst, sql)["Estimated bytes scanned"].replace(",", "")) > 0


def test_the_sample_langchain_takes_runs_at_once_and_is_audited(gateway, analyst) -> None:
    sql = "SELECT id, customer_id, product_id, ordered_at, amount, status FROM shop.orders LIMIT 3"
    rows = analyst.execute(sql).fetchall()
    assert [row[0] for row in rows] == [1, 2, 3]
    record = [r for r in audit_records(gateway) if r["type"] == "statement" and r["data"].get("sql") == sql]
    assert record and record[-1]["data"]["bytes_estimate"] == 0


def test_a_masked_table_is_read_by_a_real_query_and_masked(analyst) -> None:
    sql = "SELECT ssn, email FROM shop.customers LIMIT 2"
    assert int(_plan(analyst, sql)["Estimated bytes scanned"].replace(",", "")) > 0
    for ssn, email in analyst.execute(sql).fetchall():
        assert ssn.startswith("****") and email.startswith("****@")


def test_a_row_filtered_preview_is_filtered_and_costed(gateway) -> None:
    with psycopg.connect(gateway.dsn("sam", ("support",), country="DE"), autocommit=True) as conn:
        sql = "SELECT id, country FROM shop.customers LIMIT 5"
        rows = conn.execute(sql).fetchall()
        assert rows and {country for _, country in rows} == {"DE"}
        shown = _plan(conn, sql)["Estimated bytes scanned"]
        assert shown != "0"  # withheld for a row-filtered reader, never billed as free
