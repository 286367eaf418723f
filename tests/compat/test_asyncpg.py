"""asyncpg against the gateway: the types it decodes in binary (arrays, json/jsonb, numeric,
interval), the introspection query it sends for types it has no codec for yet (arrays of
core types), and set_type_codec, which looks a type up by name in pg_type.

Queries that read no warehouse table are answered by the catalog engine; those that do go
through the data path. Both are covered where the gateway supports the type."""

from __future__ import annotations

import datetime
import decimal
import json

import asyncpg
import pytest


class RecordingConnection(asyncpg.Connection):
    """A real asyncpg connection that notes which type OIDs it introspects."""

    introspected: list[list[int]]

    async def _introspect_types(self, typeoids, timeout):  # type: ignore[no-untyped-def]
        self.introspected.append(sorted(typeoids))
        return await super()._introspect_types(typeoids, timeout)


@pytest.fixture
async def conn(gateway):
    connection = await asyncpg.connect(
        host=gateway.host,
        port=gateway.port,
        user="alice",
        database="pgbridge",
        password=gateway.token("alice"),
        ssl="require",
        timeout=10,
        connection_class=RecordingConnection,
    )
    connection.introspected = []
    yield connection
    await connection.close()


async def test_arrays_need_and_survive_introspection(conn) -> None:
    assert await conn.fetchval("SELECT ARRAY[1, 2, 3] AS a") == [1, 2, 3]
    assert await conn.fetchval("SELECT tags FROM shop.products WHERE id = 1") == ["sale", "bulk"]
    assert await conn.fetchval("SELECT $1::int8[] AS a", [5, None, 7]) == [5, None, 7]
    assert [1007] in conn.introspected  # int4[]: asyncpg asked pg_type about it through the gateway


async def test_json_and_jsonb(conn) -> None:
    assert await conn.fetchval("""SELECT '{"a": [1, 2]}'::json AS j""") == '{"a": [1, 2]}'
    assert json.loads(await conn.fetchval("SELECT attrs FROM shop.products WHERE id = 1")) == {
        "color": "green",
        "fragile": False,
        "weight_g": 37,
    }
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    assert await conn.fetchval("SELECT $1::json AS j", {"x": [1, "y"]}) == {"x": [1, "y"]}
    assert (await conn.fetchval("SELECT attrs FROM shop.products WHERE id = 2"))["color"] == "blue"


async def test_numeric(conn) -> None:
    assert await conn.fetchval("SELECT price FROM shop.products WHERE id = 1") == decimal.Decimal("80.19")
    assert await conn.fetchval(
        "SELECT $1::numeric AS n", decimal.Decimal("-12345.000678")
    ) == decimal.Decimal("-12345.000678")
    values = await conn.fetchval("SELECT ARRAY[1.5, 2.25]::numeric[] AS a")
    assert values == [decimal.Decimal("1.5"), decimal.Decimal("2.25")]


async def test_interval(conn) -> None:
    expected = datetime.timedelta(days=1, hours=2, microseconds=3)
    assert await conn.fetchval("SELECT '1 day 02:00:00.000003'::interval AS i") == expected
    assert await conn.fetchval("SELECT $1::interval AS i", expected) == expected


async def test_prepared_catalog_statement_with_untyped_parameters(conn) -> None:
    statement = await conn.prepare(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind = ANY($2) ORDER BY 1"
    )
    # As PostgreSQL describes them; asyncpg encodes "char" (the one-byte type) from bytes.
    assert [p.name for p in statement.get_parameters()] == ["name", "char[]"]
    assert [r[0] for r in await statement.fetch("shop", [b"r"])] == ["customers", "orders", "products"]
