"""Real drivers over real sockets against a running gateway on the demo warehouse:
psql (simple protocol), asyncpg (prepared statements, binary, cursors), psycopg 3 (text and
binary), psycopg2, pg8000 and SQLAlchemy 2 (asyncpg and psycopg dialects)."""

from __future__ import annotations

import datetime
import decimal
import ssl
import subprocess

import asyncpg
import pg8000.native
import psycopg
import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.clients import asyncpg_connect
from tests.support.psql import ROWS, run_psql

CUSTOMER_1 = (1, "Ken Berners-Lee", "DE")


def _psql(gateway, sql: str) -> subprocess.CompletedProcess[str]:
    return run_psql(gateway, "-v", "ON_ERROR_STOP=0", *ROWS, "-c", sql)


def test_psql_simple_query(gateway):
    done = _psql(gateway, "SELECT id, name, country FROM shop.customers WHERE id <= 2 ORDER BY id")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "1|Ken Berners-Lee|DE"
    assert len(done.stdout.splitlines()) == 2


def test_psql_several_statements_stop_at_first_error(gateway):
    done = _psql(gateway, "SELECT 1 AS a; SELECT * FROM shop.no_such_table; SELECT 3 AS c")
    assert "1" in done.stdout.splitlines()
    assert "3" not in done.stdout.splitlines()
    assert 'relation "shop.no_such_table" does not exist' in done.stderr or "no_such_table" in done.stderr


def test_psql_verifies_the_demo_certificate(gateway):
    verify = {"PGSSLMODE": "verify-full", "PGSSLROOTCERT": str(gateway.cert)}
    done = run_psql(gateway, "-At", "-c", "SELECT count(*) FROM shop.products", env=verify)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1000"


async def test_asyncpg_prepared_statement_with_parameters_and_binary_results(gateway):
    conn = await asyncpg_connect(gateway)
    try:
        rows = await conn.fetch(
            "SELECT id, name, country, created_at, lifetime_value FROM shop.customers "
            "WHERE id = $1 OR name = $2 ORDER BY id",
            1,
            "Hedy Allen",
        )
        assert rows[0]["id"] == 1 and rows[0]["name"] == "Ken Berners-Lee"
        assert (
            isinstance(rows[0]["created_at"], datetime.datetime) and rows[0]["created_at"].tzinfo is not None
        )
        assert rows[0]["lifetime_value"] == decimal.Decimal("79.19")
        statement = await conn.prepare("SELECT count(*) FROM shop.orders WHERE amount > $1 AND status = $2")
        assert [p.name for p in statement.get_parameters()] == ["float8", "text"]
        first = await statement.fetchval(500.0, "paid")
        assert first == await statement.fetchval(500.0, "paid") and first > 0
    finally:
        await conn.close()


async def test_asyncpg_parameters_of_every_mapped_type(gateway):
    conn = await asyncpg_connect(gateway)
    try:
        values = [
            ("$1::bigint", 2**62),
            ("$1::float8", 1.5),
            ("$1::numeric", decimal.Decimal("12345.678900001")),
            ("$1::boolean", True),
            ("$1::text", "héllo ✓"),
            ("$1::date", datetime.date(1999, 12, 31)),
            ("$1::timestamp", datetime.datetime(2024, 2, 29, 12, 30, 1, 5)),
            ("$1::timestamptz", datetime.datetime(2024, 2, 29, 12, 30, 1, 5, tzinfo=datetime.UTC)),
        ]
        for expression, value in values:
            assert (
                await conn.fetchval(f"SELECT {expression} AS v FROM shop.products WHERE id = 1", value)
                == value
            ), expression
    finally:
        await conn.close()


async def test_asyncpg_cursor_fetches_in_chunks(gateway):
    conn = await asyncpg_connect(gateway)
    try:
        async with conn.transaction():
            seen = [
                row["id"]
                async for row in conn.cursor(
                    "SELECT id FROM shop.orders ORDER BY id LIMIT 2500", prefetch=300
                )
            ]
        assert seen == list(range(1, 2501))
        async with conn.transaction():
            cursor = await conn.cursor("SELECT id FROM shop.customers ORDER BY id")
            assert [r["id"] for r in await cursor.fetch(3)] == [1, 2, 3]
            assert [r["id"] for r in await cursor.fetch(2)] == [4, 5]
    finally:
        await conn.close()


async def test_asyncpg_error_keeps_the_session_usable(gateway):
    conn = await asyncpg_connect(gateway)
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT no_such_column FROM shop.customers")
        assert caught.value.sqlstate == "42703"
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()


def test_psycopg3_text_and_binary(gateway):
    with psycopg.connect(gateway.dsn()) as conn:
        text_row = conn.execute("SELECT id, name, country FROM shop.customers WHERE id = %s", (1,)).fetchone()
        assert text_row == CUSTOMER_1
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT id, amount, ordered_at, status FROM shop.orders WHERE id = %s", (1,))
            row = cur.fetchone()
        assert row is not None and row[0] == 1 and row[1] == 60.07 and row[3] == "delivered"
        assert row[2] == datetime.datetime(2022, 1, 1, 2, 11, 47, 131, tzinfo=datetime.UTC)


def test_psycopg3_server_side_cursor(gateway):
    with psycopg.connect(gateway.dsn()) as conn, conn.cursor(name="big") as cur:
        cur.itersize = 1000
        cur.execute("SELECT id FROM shop.orders ORDER BY id LIMIT 5000")
        assert sum(1 for _ in cur) == 5000


def test_psycopg2(gateway):
    conn = psycopg2.connect(gateway.dsn())
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, name, country FROM shop.customers WHERE id = %s", (1,))
        assert cur.fetchone() == CUSTOMER_1
        cur.execute("SELECT tags FROM shop.products WHERE id = 1")
        assert cur.fetchone() == (["sale", "bulk"],)
    finally:
        conn.close()


def test_pg8000(gateway):
    context = ssl.create_default_context(cafile=str(gateway.cert))
    conn = pg8000.native.Connection(
        "alice",
        host=gateway.host,
        port=gateway.port,
        database="pgbridge",
        password=gateway.token("alice"),
        ssl_context=context,
    )
    try:
        assert conn.run("SELECT id, name, country FROM shop.customers WHERE id = :i", i=1) == [
            list(CUSTOMER_1)
        ]
    finally:
        conn.close()


def _sqlalchemy_url(gateway, driver: str) -> str:
    token = gateway.token("alice")
    query = "ssl=require" if driver == "asyncpg" else "sslmode=require"
    return f"postgresql+{driver}://alice:{token}@{gateway.host}:{gateway.port}/pgbridge?{query}"


def test_sqlalchemy_psycopg_core_select(gateway):
    engine = sa.create_engine(_sqlalchemy_url(gateway, "psycopg"))
    customers = sa.table("customers", sa.column("id"), sa.column("name"), sa.column("country"), schema="shop")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.country)
            .where(customers.c.id <= 3)
            .order_by(customers.c.id)
        ).all()
    engine.dispose()
    assert rows[0] == CUSTOMER_1 and len(rows) == 3


async def test_sqlalchemy_asyncpg_core_select(gateway):
    engine = create_async_engine(_sqlalchemy_url(gateway, "asyncpg"))
    orders = sa.table("orders", sa.column("status"), sa.column("id"), schema="shop")
    async with engine.connect() as conn:
        result = await conn.execute(
            sa.select(orders.c.status, sa.func.count().label("n"))
            .group_by(orders.c.status)
            .order_by(orders.c.status)
        )
        counts = dict(result.all())
    await engine.dispose()
    assert sum(counts.values()) == 1_000_000
    assert set(counts) == {"pending", "paid", "shipped", "delivered", "returned"}


async def test_numeric_parameter_with_trailing_zeros_is_refused_not_trimmed(gateway):
    # PostgreSQL prints $1 = 1.50 as 1.50; the gateway prints a NUMERIC's digits (1.5), so a
    # parameter printed as it is must not end in zeros: refused at Bind, the session lives on.
    conn = await asyncpg_connect(gateway)
    try:
        with pytest.raises(asyncpg.FeatureNotSupportedError, match=r"\$1 with trailing zeros"):
            await conn.fetchval("SELECT $1::numeric AS v", decimal.Decimal("1.50"))
        one_and_a_half = decimal.Decimal("1.5")
        assert str(await conn.fetchval("SELECT $1::numeric AS v", one_and_a_half)) == "1.5"
        assert str(await conn.fetchval("SELECT $1::numeric(6,2) AS v", one_and_a_half)) == "1.50"
        where = "SELECT count(*) FROM shop.products WHERE price > $1"  # compared, never printed
        assert await conn.fetchval(where, decimal.Decimal("1.50")) > 0
    finally:
        await conn.close()
