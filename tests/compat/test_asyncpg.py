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

from tests.support.clients import asyncpg_connect

pytestmark = pytest.mark.compat


class RecordingConnection(asyncpg.Connection):
    """A real asyncpg connection that notes which type OIDs it introspects."""

    introspected: list[list[int]]

    async def _introspect_types(self, typeoids, timeout):  # type: ignore[no-untyped-def]
        self.introspected.append(sorted(typeoids))
        return await super()._introspect_types(typeoids, timeout)


@pytest.fixture
async def conn(gateway):
    connection = await asyncpg_connect(gateway, options={"connection_class": RecordingConnection})
    connection.introspected = []
    yield connection
    await connection.close()


async def test_arrays_need_and_survive_introspection(conn) -> None:
    assert await conn.fetchval("SELECT tags FROM shop.products WHERE id = 1") == ["sale", "bulk"]
    schemas = await conn.fetchval("SELECT current_schemas(true) AS s")  # name[]
    assert schemas[:2] == ["pg_catalog", "public"]
    rows = await conn.fetch(
        "SELECT t.oid, t.typname FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[]) ORDER BY t.oid",
        [25, 20],
    )
    assert [tuple(r) for r in rows] == [(20, "int8"), (25, "text")]
    assert [1003] in conn.introspected  # name[]: asyncpg asked pg_type about it through the gateway


async def test_json_and_jsonb(conn) -> None:
    assert json.loads(await conn.fetchval("SELECT attrs FROM shop.products WHERE id = 1")) == {
        "color": "green",
        "fragile": False,
        "weight_g": 37,
    }
    # set_type_codec looks each type up by name in pg_catalog.pg_type (a catalog query).
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    assert (await conn.fetchval("SELECT attrs FROM shop.products WHERE id = 2"))["color"] == "blue"
    with pytest.raises(ValueError, match="unknown type"):
        await conn.set_type_codec("no_such_type", encoder=str, decoder=str, schema="pg_catalog")


async def test_numeric(conn) -> None:
    assert await conn.fetchval("SELECT price FROM shop.products WHERE id = 1") == decimal.Decimal("80.19")
    cheaper = await conn.fetchval(
        "SELECT count(*) FROM shop.products WHERE price < $1", decimal.Decimal("80.19")
    )
    assert 0 < cheaper < 1000
    total = await conn.fetchval("SELECT sum(lifetime_value) FROM shop.customers WHERE id <= 2")
    assert total == decimal.Decimal("237.57")


async def test_interval(conn) -> None:
    # A DBA's uptime query: the catalog engine answers it, asyncpg decodes the binary interval.
    uptime = await conn.fetchval("SELECT now() - pg_postmaster_start_time() AS uptime")
    assert isinstance(uptime, datetime.timedelta) and uptime >= datetime.timedelta(0)


async def test_prepared_catalog_statement_with_untyped_parameters(conn) -> None:
    statement = await conn.prepare(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind = ANY($2) ORDER BY 1"
    )
    # As PostgreSQL describes them; asyncpg encodes "char" (the one-byte type) from bytes.
    assert [p.name for p in statement.get_parameters()] == ["name", "char[]"]
    assert [r[0] for r in await statement.fetch("public", [b"r"])] == ["customers", "orders", "products"]
