"""Every captured client catalog query gets the same answer from the engine as from PostgreSQL.

The fixtures (capture_queries.py) hold the exact SQL psql -E, SQLAlchemy reflection, asyncpg
and psycopg sent to a real PostgreSQL 15 holding the shop tables. Each is replayed on that
server and on the engine (holding the same tables as BigQuery metadata) and the answers are
compared: column names, column types, and rows in order, with values in PostgreSQL's text
form. OIDs of user objects differ by design, so they are compared as "some user object".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.adapt import Loader

from pgbridge.catalog.engine import CatalogEngine
from pgbridge.catalog.facts import load_facts
from tests.catalog.conftest import make_session
from tests.support.postgres import PostgresServer

FIXTURES = Path(__file__).parent / "fixtures"
FIRST_USER_OID = 16384


def _cases() -> list[Any]:
    cases = []
    for client in ("psql", "sqlalchemy", "drivers"):
        for command in json.loads((FIXTURES / f"{client}.json").read_text()):
            for index, query in enumerate(command["queries"]):
                cases.append(pytest.param(query, id=f"{client}:{command['command']}:{index}"))
    return cases


class _Text(Loader):
    def load(self, data: Any) -> str:
        return bytes(data).decode()


def _pg_answer(
    server: PostgresServer, sql: str, params: list[str]
) -> tuple[list[str], list[str], list[tuple]]:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        for oid in load_facts().types_by_oid:
            conn.adapters.register_loader(oid, _Text)
        cursor = conn.execute(re.sub(r"\$\d+", "%s", sql.replace("%", "%%")), params or None)  # type: ignore[arg-type]
        assert cursor.description is not None
        names = [d.name for d in cursor.description]
        types = [load_facts().types_by_oid[d.type_code].name for d in cursor.description]
        return names, types, [tuple(r) for r in cursor.fetchall()]


def _text(value: Any) -> str | None:
    """A Python value from the engine in PostgreSQL's text output form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join("NULL" if v is None else str(_text(v)) for v in value) + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def _engine_answer(
    engine: CatalogEngine, sql: str, params: list[str], user: str
) -> tuple[list[str], list[str], list[tuple]]:
    result = await engine.run(sql, params, make_session(user))
    rows = [tuple(_text(v) for v in row.values()) for b in result.batches for row in b.to_pylist()]
    if result.batches:  # to_pylist folds duplicate names; read by position instead
        rows = [
            tuple(_text(b.column(i)[r].as_py()) for i in range(b.num_columns))
            for b in result.batches
            for r in range(b.num_rows)
        ]
    return [c.name for c in result.columns], [c.type.name for c in result.columns], rows


def _oids(server: PostgresServer) -> dict[str, str]:
    with psycopg.connect(server.dsn) as conn:
        return {
            f"{n}.{r}": str(o)
            for o, n, r in conn.execute(
                "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                "c.relnamespace "
                "WHERE n.nspname IN ('shop', 'hr')"
            ).fetchall()
        }


async def _engine_oids(engine: CatalogEngine, user: str) -> dict[str, str]:
    result = await engine.run(
        "SELECT n.nspname || '.' || c.relname, c.oid FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace",
        [],
        make_session(user),
    )
    return {row["?column?"]: str(row["oid"]) for b in result.batches for row in b.to_pylist()}


def _fill(text: str, oids: dict[str, str]) -> str:
    return re.sub(r"\{oid:([\w.]+)\}", lambda m: oids[m.group(1)], text)


def _normalise(types: list[str], rows: list[tuple]) -> list[tuple]:
    """User-object OIDs differ between the two by design; keep only 'a user object'."""
    out = []
    for row in rows:
        out.append(
            tuple(
                "<user oid>" if t == "oid" and v is not None and int(v) >= FIRST_USER_OID else v
                for t, v in zip(types, row, strict=True)
            )
        )
    return out


@pytest.mark.slow  # every captured client query, on the engine and on PostgreSQL
@pytest.mark.parametrize("query", _cases())
async def test_engine_answers_like_postgres(
    query: dict[str, Any], shop_pg: PostgresServer, engine: CatalogEngine
) -> None:
    pg_sql = _fill(query["sql"], _oids(shop_pg))
    pg_names, pg_types, pg_rows = _pg_answer(
        shop_pg, pg_sql, [_fill(p, _oids(shop_pg)) for p in query["params"]]
    )
    engine_oids = await _engine_oids(engine, shop_pg.user)
    params = [_fill(p, engine_oids) for p in query["params"]]
    names, types, rows = await _engine_answer(engine, _fill(query["sql"], engine_oids), params, shop_pg.user)
    if "pg_database" in query["sql"]:  # PostgreSQL also lists template0/1, which a gateway has not
        pg_rows = [r for r in pg_rows if r[0] == shop_pg.database]
    assert names == pg_names
    assert types == pg_types
    assert _normalise(types, rows) == _normalise(pg_types, pg_rows)
