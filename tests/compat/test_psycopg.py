"""psycopg 3: TypeInfo.fetch for
every type a gateway query returns, held to what a real PostgreSQL 15 answers for the same
names; then the fetched info used as psycopg uses it, to register a loader."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types import TypeInfo

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.compat

QUERY = (
    "SELECT o.id, o.amount, o.ordered_at, o.status, p.price, p.tags, p.attrs, c.lifetime_value, "
    "c.created_at::date AS day FROM shop.orders o JOIN shop.products p ON p.id = o.product_id "
    "JOIN shop.customers c ON c.id = o.customer_id WHERE o.id = %s"
)


def _info(info: TypeInfo | None) -> tuple[object, ...] | None:
    if info is None:
        return None
    return info.name, info.oid, info.array_oid, info.regtype, info.delimiter


@pytest.fixture(scope="module")
def returned(gateway) -> tuple[list[int], dict[str, tuple[object, ...] | None], tuple]:
    with psycopg.connect(gateway.dsn()) as conn:
        cursor = conn.execute(QUERY, (1,))
        assert cursor.description is not None
        oids = [d.type_code for d in cursor.description]
        row = cursor.fetchone()
        assert row is not None
        names = {name: _info(TypeInfo.fetch(conn, name)) for name in _names(conn, oids)}
        names["no_such_type"] = _info(TypeInfo.fetch(conn, "no_such_type"))
        return oids, names, row


def _names(conn: psycopg.Connection, oids: list[int]) -> list[str]:
    # psycopg's own registry names the builtin OIDs; fetch them by name as applications do.
    return [conn.adapters.types[oid].name for oid in oids]


def test_typeinfo_matches_postgres(returned, postgres: PostgresServer) -> None:
    oids, names, _ = returned
    assert oids == [20, 701, 1184, 25, 1700, 1009, 3802, 1700, 1082]
    with psycopg.connect(postgres.dsn) as conn:
        for name, info in names.items():
            assert info == _info(TypeInfo.fetch(conn, name)), name
    assert names["no_such_type"] is None


def test_values_decode_with_fetched_info(returned, gateway) -> None:
    _, _, row = returned
    assert row[0] == 1 and row[3] == "delivered" and isinstance(row[6], dict)
    with psycopg.connect(gateway.dsn()) as conn:
        info = TypeInfo.fetch(conn, "jsonb")
        assert info is not None
        info.register(conn)  # what an application does to use a type it looked up
        value = conn.execute("SELECT attrs FROM shop.products WHERE id = %s", (1,)).fetchone()
        assert value == ({"color": "green", "fragile": False, "weight_g": 37},)
        binary = conn.cursor(binary=True).execute("SELECT attrs FROM shop.products WHERE id = 2").fetchone()
        assert binary is not None and binary[0]["color"] == "blue"


async def test_async_typeinfo(gateway) -> None:
    async with await psycopg.AsyncConnection.connect(gateway.dsn()) as conn:
        info = await TypeInfo.fetch(conn, "numeric[]")
        assert info is not None and (info.name, info.oid) == ("_numeric", 1231)
