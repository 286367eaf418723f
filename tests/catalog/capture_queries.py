"""Record the catalog queries real clients send, into tests/catalog/fixtures/*.json.

Run by hand (`.venv/bin/python -m tests.catalog.capture_queries`) when a client upgrades.
It starts a real PostgreSQL 15, creates the shop tables and drives each client against it:
psql 15 with -E (which prints every query behind a backslash command), SQLAlchemy 2
reflection over psycopg2 (the SQL recorded after psycopg2 interpolated the parameters, i.e.
the text that went over the wire), asyncpg and psycopg 3 (their statements and parameters
read back from the server's own log, log_statement=all). The fixtures are what the
comparison tests replay against both the real server and the catalog engine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

from tests.catalog.shop import SHOP_DDL
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.psql import run_psql_on

FIXTURES = Path(__file__).parent / "fixtures"
PSQL_COMMANDS = (
    "\\l",
    "\\dn",
    "\\dt",
    "\\dt shop.*",
    "\\d shop.customers",
    "\\dv",
    "\\df",
    "\\d+ shop.orders",
)
_PSQL_QUERY = re.compile(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}", re.S)


def capture_psql(server: PostgresServer) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for command in PSQL_COMMANDS:
        run = run_psql_on(server, "-E", "-c", command, check=True)
        queries = _PSQL_QUERY.findall(run.stdout)
        out.append({"command": command, "queries": [{"sql": q, "params": []} for q in queries]})
    return out


def capture_sqlalchemy(server: PostgresServer) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, event, inspect

    engine = create_engine(
        f"postgresql+psycopg2://{server.user}@{server.host}:{server.port}/{server.database}"
    )
    recorded: list[dict[str, Any]] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        recorded.append({"sql": cursor.query.decode(), "params": []})

    calls = [
        ("get_schema_names", lambda i: i.get_schema_names()),
        ("get_table_names", lambda i: i.get_table_names(schema="shop")),
        ("get_view_names", lambda i: i.get_view_names(schema="shop")),
        ("get_columns", lambda i: i.get_columns("customers", schema="shop")),
        ("get_columns_products", lambda i: i.get_columns("products", schema="shop")),
        ("get_pk_constraint", lambda i: i.get_pk_constraint("orders", schema="shop")),
        ("get_foreign_keys", lambda i: i.get_foreign_keys("orders", schema="shop")),
        ("get_indexes", lambda i: i.get_indexes("orders", schema="shop")),
    ]
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for name, call in calls:
            recorded.clear()
            call(inspect(conn))
            out.append({"command": name, "queries": list(recorded)})
    engine.dispose()
    return out


def _log_path(server: PostgresServer) -> str:
    return os.path.join(os.path.dirname(server.data_dir), "log")


_LOG_STATEMENT = re.compile(r"LOG:  (?:statement|execute [^:]*): (.*?)(?=\n\S|\Z)", re.S)
_LOG_PARAMS = re.compile(r"^\S.*DETAIL:  parameters: (.*)$", re.M)


def _read_log_queries(text: str) -> list[dict[str, Any]]:
    """Statements (with their $n parameters) that the server logged, in order."""
    out: list[dict[str, Any]] = []
    for match in _LOG_STATEMENT.finditer(text):
        sql = re.sub(r"\n\t", "\n", match.group(1))
        params: list[str] = []
        rest = text[match.end() :].split("\n", 2)
        if len(rest) > 1 and "DETAIL:  parameters:" in rest[1]:
            params = [v.strip("'") for v in re.findall(r"\$\d+ = ('(?:[^']|'')*'|NULL)", rest[1])]
        out.append({"sql": sql, "params": params})
    return out


async def _asyncpg_types(server: PostgresServer) -> None:
    import asyncpg

    conn = await asyncpg.connect(server.dsn, server_settings={"log_statement": "all"})
    try:
        # The common way to reach introspection: a custom codec for json (TYPE_BY_NAME).
        await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        # asyncpg knows built-in types, so its type-tree query runs only for types it lacks;
        # drive that same query (its exact text and $1) for an array and a json type.
        await conn._introspect_types([1009, 3802], 10)
    finally:
        await conn.close()


def _psycopg_typeinfo(server: PostgresServer) -> None:
    import psycopg
    from psycopg.types import TypeInfo

    with psycopg.connect(server.dsn, options="-c log_statement=all") as conn:
        TypeInfo.fetch(conn, "jsonb")
        TypeInfo.fetch(conn, "text[]")


def capture_logged(server: PostgresServer) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, run in (
        ("asyncpg_introspection", lambda: asyncio.run(_asyncpg_types(server))),
        ("psycopg_typeinfo", lambda: _psycopg_typeinfo(server)),
    ):
        start = os.path.getsize(_log_path(server))
        run()
        with open(_log_path(server)) as log:
            log.seek(start)
            queries = [q for q in _read_log_queries(log.read()) if "pg_type" in q["sql"]]
        out.append({"command": name, "queries": queries})
    return out


def _oid_placeholders(server: PostgresServer, captured: list[dict[str, Any]]) -> None:
    """Replace the shop tables' OIDs in captured SQL with {oid:schema.table} (OIDs differ)."""
    run = run_psql_on(
        server,
        "-At",
        "-c",
        "SELECT c.oid, n.nspname || '.' || c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('shop', 'hr')",
        check=True,
    )
    for line in run.stdout.splitlines():
        oid, name = line.split("|")
        for command in captured:
            for query in command["queries"]:
                query["sql"] = re.sub(rf"\b{oid}\b", "{oid:" + name + "}", query["sql"])
                query["params"] = [re.sub(rf"\b{oid}\b", "{oid:" + name + "}", p) for p in query["params"]]


def main() -> None:
    with running_postgres() as server:
        run_psql_on(server, "-q", "-v", "ON_ERROR_STOP=1", "-c", SHOP_DDL, check=True)
        FIXTURES.mkdir(exist_ok=True)
        for name, captured in (
            ("psql", capture_psql(server)),
            ("sqlalchemy", capture_sqlalchemy(server)),
            ("drivers", capture_logged(server)),
        ):
            _oid_placeholders(server, captured)
            (FIXTURES / f"{name}.json").write_text(json.dumps(captured, indent=1) + "\n")
            print(name, sum(len(c["queries"]) for c in captured), "queries")


if __name__ == "__main__":
    main()
