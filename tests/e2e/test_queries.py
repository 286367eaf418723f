"""Queries through real clients, on both backends: psql's simple protocol, asyncpg's
extended protocol with typed parameters and binary results, cursors, errors, catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg
import pytest

from tests.e2e.clients import connect, psql, psql_rows
from tests.support.gateway import RunningGateway

UTC = dt.UTC


def test_psql_simple_query(any_gateway: RunningGateway) -> None:
    rows = psql_rows(
        any_gateway, "SELECT id, name, country, lifetime_value FROM shop.customers WHERE id <= 3 ORDER BY id"
    )
    assert rows == ["1|Ken Berners-Lee|DE|79.19", "2|Hedy Allen|FR|158.38", "3|Grace Wirth|GB|237.57"]


def test_psql_several_statements_in_one_query(any_gateway: RunningGateway) -> None:
    done = psql(any_gateway, "SELECT count(*) FROM shop.products; SELECT max(id) FROM shop.orders")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1000", "1000000"]


def test_psql_error_names_the_missing_table_and_stops(any_gateway: RunningGateway) -> None:
    done = psql(any_gateway, "SELECT 1 AS a", "SELECT * FROM shop.no_such_table", "SELECT 3 AS c")
    assert done.returncode != 0
    assert done.stdout.splitlines() == ["1"]
    assert "no_such_table" in done.stderr and "does not exist" in done.stderr


def test_psql_describes_the_shop_tables(any_gateway: RunningGateway) -> None:
    # \dt asks pg_catalog, which the gateway answers from the backend's metadata; the default
    # dataset shop is listed as public (README, "The public schema").
    rows = psql_rows(any_gateway, r"\dt public.*")
    assert [row.split("|")[:3] for row in rows] == [
        ["public", "customers", "table"],
        ["public", "orders", "table"],
        ["public", "products", "table"],
    ]


def test_psql_describes_a_table_s_columns(any_gateway: RunningGateway) -> None:
    rows = psql_rows(any_gateway, r"\d public.orders")
    assert [row.split("|")[:2] for row in rows] == [
        ["id", "bigint"],
        ["customer_id", "bigint"],
        ["product_id", "bigint"],
        ["ordered_at", "timestamp with time zone"],
        ["amount", "double precision"],
        ["status", "text"],
    ]


async def test_asyncpg_binary_results_of_each_column_type(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway) as conn:
        customer = await conn.fetchrow(
            "SELECT id, name, created_at, lifetime_value FROM shop.customers WHERE id = 1"
        )
        order = await conn.fetchrow(
            "SELECT amount, ordered_at, amount > 50 AS big FROM shop.orders WHERE id = 1"
        )
        product = await conn.fetchrow("SELECT price, tags FROM shop.products WHERE id = 1")
    assert tuple(customer) == (
        1,
        "Ken Berners-Lee",
        dt.datetime(2020, 1, 2, 5, 5, 29, tzinfo=UTC),
        Decimal("79.19"),
    )
    assert tuple(order) == (60.07, dt.datetime(2022, 1, 1, 2, 11, 47, 131, tzinfo=UTC), True)
    assert tuple(product) == (Decimal("80.19"), ["sale", "bulk"])


async def test_asyncpg_parameters_of_several_types(any_gateway: RunningGateway) -> None:
    where = (
        "customer_id = {} AND status = {} AND amount > {} AND ordered_at >= {} AND ordered_at < {} "
        "AND (amount > 0) = {}"
    )
    sql = f"SELECT id FROM shop.orders WHERE {where} ORDER BY id"
    literal = sql.format(
        "7920", "'delivered'", "10.0", "'2022-01-01 00:00:00+00'", "'2025-01-01 00:00:00+00'", "TRUE"
    )
    async with connect(any_gateway) as conn:
        statement = await conn.prepare(sql.format(*(f"${i}" for i in range(1, 7))))
        assert [p.name for p in statement.get_parameters()] == [
            "int8",
            "text",
            "float8",
            "timestamptz",
            "timestamptz",
            "bool",
        ]
        args = (
            7920,
            "delivered",
            10.0,
            dt.datetime(2022, 1, 1, tzinfo=UTC),
            dt.datetime(2025, 1, 1, tzinfo=UTC),
            True,
        )
        first = [r["id"] for r in await statement.fetch(*args)]
        again = [r["id"] for r in await statement.fetch(*args)]  # the prepared statement runs twice
        none = await statement.fetch(7920, "no-such-status", *args[2:])
        expected = [r["id"] for r in await conn.fetch(literal)]
    assert 1 in first and first == again == expected and none == []


async def test_asyncpg_numeric_and_declared_parameters(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway) as conn:
        rows = await conn.fetch(
            "SELECT id FROM shop.customers WHERE lifetime_value = $1::numeric "
            "AND id IN ($2, $3, $4) ORDER BY id",
            Decimal("158.38"),
            1,
            2,
            3,
        )
        echoed = await conn.fetchrow(
            "SELECT $1::text AS t, $2::bigint AS b, $3::float8 AS f, $4::date AS d, "
            "$5::timestamp AS ts, $6::boolean AS yes FROM shop.products WHERE id = 1",
            "héllo ✓",
            2**62,
            0.25,
            dt.date(1999, 12, 31),
            dt.datetime(2024, 2, 29, 12, 30, 1, 5),
            True,
        )
    assert [r["id"] for r in rows] == [2]
    assert tuple(echoed) == (
        "héllo ✓",
        2**62,
        0.25,
        dt.date(1999, 12, 31),
        dt.datetime(2024, 2, 29, 12, 30, 1, 5),
        True,
    )


async def test_asyncpg_cursor_fetches_in_chunks(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway) as conn, conn.transaction():
        seen = [
            r["id"]
            async for r in conn.cursor("SELECT id FROM shop.orders ORDER BY id LIMIT 2500", prefetch=300)
        ]
        cursor = await conn.cursor("SELECT id FROM shop.customers ORDER BY id")
        first, second = await cursor.fetch(3), await cursor.fetch(2)
    assert seen == list(range(1, 2501))
    assert [r["id"] for r in first] == [1, 2, 3] and [r["id"] for r in second] == [4, 5]


async def test_asyncpg_error_keeps_the_session_usable(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway) as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT no_such_column FROM shop.customers")
        assert caught.value.sqlstate == "42703"
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000


async def test_asyncpg_large_result_streams_whole(any_gateway: RunningGateway) -> None:
    # 100,000 rows: several REST pages on the bigquery backend, several batches on duckdb.
    async with connect(any_gateway) as conn:
        rows = await conn.fetch("SELECT id, amount FROM shop.orders WHERE id <= 100000 ORDER BY id")
    assert len(rows) == 100_000
    assert [r["id"] for r in rows] == list(range(1, 100_001))
    assert sum(r["amount"] for r in rows) == pytest.approx(
        sum(((i * 6007) % 100000) / 100 for i in range(1, 100_001))
    )
