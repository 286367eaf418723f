"""The demo warehouse's declared-scale column (products.unit_cost, NUMERIC(12, 2)) through a
real gateway: PostgreSQL's digits in text and binary, numeric(12,2) in RowDescription and the
catalog."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from tests.support.gateway import RunningGateway
from tests.support.psql import run_psql


def test_unit_cost_prints_two_decimals(gateway: RunningGateway) -> None:
    sql = (
        "SELECT unit_cost, unit_cost * 2, unit_cost * 0.5 FROM shop.products "
        "WHERE unit_cost = round(unit_cost, 1) ORDER BY id LIMIT 1"
    )
    done = run_psql(gateway, "-A", "-t", "-c", sql)
    assert done.returncode == 0, done.stderr
    whole, doubled, half = done.stdout.strip().split("|")
    assert whole.endswith("0") and len(whole.partition(".")[2]) == 2  # 60.00 where BigQuery says 60
    assert Decimal(doubled) == Decimal(whole) * 2 and len(doubled.partition(".")[2]) == 2
    assert Decimal(half) == Decimal(whole) / 2 and len(half.partition(".")[2]) == 3


def test_unit_cost_is_numeric_12_2_for_clients(gateway: RunningGateway) -> None:
    with psycopg.connect(gateway.dsn(), autocommit=True) as conn:
        cursor = conn.execute("SELECT unit_cost, sum(unit_cost) FROM shop.products WHERE id < 4 GROUP BY 1")
        assert cursor.description is not None
        assert [(c.precision, c.scale) for c in cursor.description] == [(12, 2), (None, None)]
        values = [row for row in cursor.fetchall()]
        assert all(value.as_tuple().exponent == -2 for row in values for value in row)  # binary-safe
        declared = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'shop.products'::regclass AND attname = 'unit_cost'"
        ).fetchone()
    assert declared == ("numeric(12,2)",)
