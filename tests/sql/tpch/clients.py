"""The 22 queries through psql (unaligned text) and asyncpg (binary), on either side."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import asyncpg

from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer


def psql_postgres(server: PostgresServer, sql: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGOPTIONS": "-c search_path=tpch"}
    argv = [
        "psql",
        "-X",
        "-A",
        "-h",
        server.host,
        "-p",
        str(server.port),
        "-U",
        server.user,
        "-d",
        server.database,
    ]
    return subprocess.run([*argv, "-c", sql], env=env, capture_output=True, text=True, timeout=120)


def psql_gateway(gateway: RunningGateway, sql: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": gateway.token(), "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "10"}
    argv = ["psql", "-X", "-A", "-h", gateway.host, "-p", str(gateway.port), "-U", "alice", "-d", "pgbridge"]
    return subprocess.run([*argv, "-c", sql], env=env, capture_output=True, text=True, timeout=120)


async def asyncpg_postgres(server: PostgresServer, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        database=server.database,
        server_settings={"search_path": "tpch"},
    )
    try:
        return await _typed_rows(conn, sql)
    finally:
        await conn.close()


async def asyncpg_gateway(gateway: RunningGateway, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(
        host=gateway.host,
        port=gateway.port,
        user="alice",
        database="pgbridge",
        password=gateway.token(),
        ssl="require",
        timeout=10,
    )
    try:
        return await _typed_rows(conn, sql)
    finally:
        await conn.close(timeout=10)


async def _typed_rows(conn: asyncpg.Connection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Each column's type name (RowDescription, binary results) and the decoded rows."""
    statement = await conn.prepare(sql)
    types = [attribute.type.name for attribute in statement.get_attributes()]
    rows = [tuple(record) for record in await statement.fetch()]
    return types, rows
