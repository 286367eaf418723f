"""Parameter types a Describe reports, held to a real PostgreSQL 15's ParameterDescription.

Drivers that leave parameter types to the server (asyncpg, SQLAlchemy's asyncpg dialect,
pgjdbc) encode each argument by the type described, so a wrong guess is a client error
("expected str, got int"), not a cosmetic difference.
"""

from __future__ import annotations

import psycopg
import pytest

from pgbridge.catalog.engine import CatalogEngine
from pgbridge.wire.values import Interval
from tests.catalog.conftest import make_session
from tests.support.postgres import PostgresServer

QUERIES = [
    "SELECT t.oid, t.typname FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])",  # asyncpg introspection
    "SELECT $1::INTEGER + 1 AS x, $2::VARCHAR AS y",  # SQLAlchemy asyncpg reflection style
    "SELECT relname FROM pg_class WHERE oid = $1 AND relname = $2 AND relkind IN ($3, $4)",
    "SELECT typname FROM pg_type WHERE typname = ANY($1)",
    "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > $2::SMALLINT",
    "SELECT $1::interval AS i, $2::numeric AS n, $3::timestamptz AS t",
    "SELECT c.relname FROM pg_class c WHERE c.relname LIKE $1",
    "SELECT nspname FROM pg_namespace WHERE (nspname = $1)",
    'SELECT relname FROM pg_class WHERE relpersistence != $1::CHAR AND relkind = $2::"char"',
    "SELECT $1::varchar(10) AS v, $2::numeric(10, 2) AS n",
    "SELECT pg_get_constraintdef(c.oid, $1::BOOLEAN) AS d FROM pg_constraint c WHERE c.conname = $2",
]


def _pg_param_types(server: PostgresServer, sql: str) -> tuple[int, ...]:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.pgconn.prepare(b"probe", sql.encode())
        described = conn.pgconn.describe_prepared(b"probe")
        return tuple(described.param_type(i) for i in range(described.nparams))


@pytest.mark.parametrize("sql", QUERIES)
async def test_parameter_types_match_postgres(
    sql: str, shop_pg: PostgresServer, engine: CatalogEngine
) -> None:
    oids, _ = await engine.describe(sql, [], make_session(shop_pg.user))
    assert oids == _pg_param_types(shop_pg, sql)


async def test_declared_types_win(engine: CatalogEngine) -> None:
    oids, _ = await engine.describe("SELECT relname FROM pg_class WHERE oid = $1", [25], make_session("al"))
    assert oids == (25,)


async def test_reg_casts_are_described_as_text_and_resolved_from_the_name(engine: CatalogEngine) -> None:
    session = make_session("al")
    sql = "SELECT $1::regclass::oid AS o"
    assert (await engine.describe(sql, [], session))[0] == (25,)  # the wire layer decodes no reg* values
    result = await engine.run(sql, ["pg_catalog.pg_class"], session)
    assert result.batches[0].column(0).to_pylist() == [1259]


async def test_values_of_described_types_run(engine: CatalogEngine) -> None:
    session = make_session("al")
    result = await engine.run(
        "SELECT t.typname FROM pg_type t WHERE t.oid = ANY($1::oid[]) ORDER BY t.oid", [[25, 23]], session
    )
    assert result.batches[0].column(0).to_pylist() == ["int4", "text"]
    result = await engine.run("SELECT $1::interval AS i", [Interval(14, 3, 4_000_001)], session)
    value = result.batches[0].column(0)[0].as_py()
    assert (value.months, value.days, value.nanoseconds) == (14, 3, 4_000_001_000)
