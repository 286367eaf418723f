"""Policy and masking of the demo configuration, on both backends, through real clients."""

from __future__ import annotations

import re

import asyncpg
import pytest

from tests.e2e.clients import connect, fetch, psql, psql_rows
from tests.support.gateway import RunningGateway

ANALYST, SUPPORT, ADMIN = ("analyst",), ("support",), ("admin",)
DML = [
    "INSERT INTO shop.orders (id, customer_id, product_id, status) VALUES (2000001, 1, 1, 'paid')",
    "UPDATE shop.orders SET status = 'paid' WHERE id = 1",
    "DELETE FROM shop.orders WHERE id = 1",
]
PII = "SELECT id, ssn, email, phone, card_number FROM shop.customers WHERE id <= 2 ORDER BY id"
CLEAR = [
    (1, "131-27-8907", "ken.berners-lee1@shop.test", "+1-555-037-7919", "4000000001126483"),
    (2, "162-44-7814", "hedy.allen2@corp.example", "+1-555-074-5838", "4000000001205675"),
]


@pytest.mark.parametrize("statement", DML, ids=["insert", "update", "delete"])
async def test_analyst_may_not_run_dml(any_gateway: RunningGateway, statement: str) -> None:
    async with connect(any_gateway, roles=ANALYST) as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.execute(statement)
        assert caught.value.sqlstate == "42501"
        assert "analyst" in str(caught.value)
        # The session survives the refusal (a small scan: no approval for the analyst).
        assert await conn.fetchval("SELECT count(*) FROM shop.customers WHERE id = 1") == 1


def test_analyst_dml_is_refused_over_psql_too(any_gateway: RunningGateway) -> None:
    done = psql(any_gateway, DML[2], roles=ANALYST)
    assert done.returncode != 0 and "permission denied" in done.stderr


async def test_support_sees_only_its_country(any_gateway: RunningGateway) -> None:
    sql = "SELECT country, count(*) AS n FROM shop.customers GROUP BY country ORDER BY country"
    germany = await fetch(any_gateway, sql, roles=SUPPORT, country="DE")
    france = await fetch(any_gateway, sql, roles=SUPPORT, country="FR")
    everyone = dict(await fetch(any_gateway, sql, roles=ADMIN))
    assert germany == [("DE", everyone["DE"])] and france == [("FR", everyone["FR"])]
    assert sum(everyone.values()) == 100_000 and len(everyone) == 10


async def test_support_row_filter_holds_for_a_parameterised_lookup(any_gateway: RunningGateway) -> None:
    # Customer 1 is in DE: a FR support agent asking for it by id gets nothing back.
    sql = "SELECT id, name FROM shop.customers WHERE id = $1"
    assert await fetch(any_gateway, sql, 1, roles=SUPPORT, country="DE") == [(1, "Ken Berners-Lee")]
    assert await fetch(any_gateway, sql, 1, roles=SUPPORT, country="FR") == []


async def test_support_may_not_read_products(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway, roles=SUPPORT, country="DE") as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT count(*) FROM shop.products")
    assert caught.value.sqlstate == "42501"


async def test_analyst_sees_masked_personal_data(any_gateway: RunningGateway) -> None:
    rows = await fetch(any_gateway, PII, roles=ANALYST)
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (1, "****8907", "****@shop.test", "****6483"),
        (2, "****7814", "****@corp.example", "****5675"),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[3]) for r in rows)  # phone: keyed hash
    assert rows[0][3] != rows[1][3]


async def test_admin_sees_personal_data_in_clear(any_gateway: RunningGateway) -> None:
    assert await fetch(any_gateway, PII, roles=ADMIN) == CLEAR


def test_masking_follows_lineage_not_column_names(any_gateway: RunningGateway) -> None:
    rows = psql_rows(
        any_gateway,
        "SELECT c.ssn AS note, upper(c.email) AS contact FROM shop.customers c WHERE c.id = 1",
        roles=ANALYST,
    )
    note, contact = rows[0].split("|")
    assert note == "****8907"
    assert "KEN" not in contact and "131-27" not in note  # a transformed masked column is redacted


async def test_masked_column_in_where_filters_its_masked_value(any_gateway: RunningGateway) -> None:
    """ssn is masked in the warehouse: a filter on it sees '****1234', never the clear value;
    phone is a keyed hash, which may only be returned as is."""
    async with connect(any_gateway, roles=ANALYST) as conn:
        assert await conn.fetch("SELECT id FROM shop.customers WHERE ssn LIKE '1%' LIMIT 5") == []
        tail = await conn.fetchval("SELECT right(ssn, 4) FROM shop.customers WHERE id = 7")
        hit = await conn.fetch("SELECT id FROM shop.customers WHERE id = 7 AND ssn = '****' || $1", tail)
        assert [r["id"] for r in hit] == [7]
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT id FROM shop.customers WHERE phone LIKE '1%'")
    assert caught.value.sqlstate == "42501"
