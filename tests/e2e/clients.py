"""The real clients the suite drives: psql (simple protocol) and asyncpg (extended, binary)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from tests.support.gateway import RunningGateway

ADMIN = ("admin",)


def psql(
    gateway: RunningGateway,
    *commands: str,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    **claims: Any,
) -> subprocess.CompletedProcess[str]:
    """psql -At with one -c per command; unaligned rows, fields separated by '|'."""
    env = {
        **os.environ,
        "PGPASSWORD": gateway.token(user, roles, **claims),
        "PGSSLMODE": "require",
        "PGCONNECT_TIMEOUT": "10",
    }
    argv = [
        "psql",
        "-X",
        "-h",
        gateway.host,
        "-p",
        str(gateway.port),
        "-U",
        user,
        "-d",
        "pgbridge",
        "-v",
        "ON_ERROR_STOP=1",
        "-A",
        "-t",
        "-F",
        "|",
    ]
    for command in commands:
        argv += ["-c", command]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def psql_rows(gateway: RunningGateway, sql: str, **kwargs: Any) -> list[str]:
    done = psql(gateway, sql, **kwargs)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@contextlib.asynccontextmanager
async def connect(
    gateway: RunningGateway, user: str = "alice", roles: tuple[str, ...] = ADMIN, **claims: Any
) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(
        host=gateway.host,
        port=gateway.port,
        user=user,
        database="pgbridge",
        password=gateway.token(user, roles, **claims),
        ssl="require",
        timeout=10,
    )
    try:
        yield conn
    finally:
        await conn.close(timeout=10)


async def fetch(
    gateway: RunningGateway, sql: str, *args: object, roles: tuple[str, ...] = ADMIN, **claims: Any
) -> list[tuple[Any, ...]]:
    async with connect(gateway, roles=roles, **claims) as conn:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
