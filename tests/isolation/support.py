"""What the isolation tests share: long statements, and connections that run them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg

from tests.support.clients import asyncpg_connect
from tests.support.gateway import RunningGateway

ANALYST = ("analyst",)
# 10^12 pairs, 16 MB scanned: under the analyst's cost limit, and minutes of DuckDB work.
LONG_BACKEND = "SELECT count(*) FROM shop.orders a, shop.orders b WHERE (a.id * 7 + b.id) % 1000003 = 5"
# 354 rows of pg_settings to the fourth power: minutes of work for the catalog's DuckDB.
LONG_CATALOG = (
    "SELECT count(*) FROM pg_settings a, pg_settings b, pg_settings c, pg_settings d "
    "WHERE a.name || b.name < c.name || d.name"
)


async def open_connection(
    gateway: RunningGateway, user: str, roles: tuple[str, ...] = ANALYST, **claims: object
) -> asyncpg.Connection:
    return await asyncpg_connect(gateway, user, roles, timeout=30, **claims)


async def login_and_select_one(gateway: RunningGateway, user: str = "bob") -> float:
    """Milliseconds from connecting to the answer of `SELECT 1` on a fresh connection."""
    started = time.monotonic()
    conn = await open_connection(gateway, user)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        return (time.monotonic() - started) * 1000
    finally:
        await conn.close()


async def stop(conn: asyncpg.Connection, task: asyncio.Task[object]) -> None:
    """Cancel the statement and wait until it is over, then drop the connection. (A statement
    whose client just goes away runs on until it ends, as in PostgreSQL.)"""
    task.cancel()  # asyncpg sends a CancelRequest, in the background
    await asyncio.gather(task, return_exceptions=True)
    with contextlib.suppress(Exception):  # the next statement starts once the cancel is done
        await asyncio.wait_for(conn.fetchval("SELECT 1"), 30)
    conn.terminate()


@contextlib.asynccontextmanager
async def running(gateway: RunningGateway, user: str, sql: str) -> AsyncIterator[asyncio.Task[object]]:
    """`sql` running for `user` on its own connection for the body; cancelled after."""
    conn = await open_connection(gateway, user)
    task = asyncio.create_task(conn.fetch(sql))
    try:
        await asyncio.sleep(0.5)
        assert not task.done(), task
        yield task
    finally:
        await stop(conn, task)


async def _keep_running(conn: asyncpg.Connection, sql: str) -> None:
    while True:  # the catalog's time limit ends each catalog query: start it again
        with contextlib.suppress(asyncpg.PostgresError):
            await conn.fetch(sql)


@contextlib.asynccontextmanager
async def saturated(gateway: RunningGateway, backend: int = 6, catalog: int = 3) -> AsyncIterator[None]:
    """Principal mallory's long statements, running (or waiting for its slots) for the body."""
    statements = [LONG_BACKEND] * backend + [LONG_CATALOG] * catalog
    conns = [await open_connection(gateway, "mallory") for _ in statements]
    tasks = [asyncio.create_task(_keep_running(c, sql)) for c, sql in zip(conns, statements, strict=True)]
    try:
        await asyncio.sleep(1.5)
        yield
    finally:
        await asyncio.gather(*(stop(conn, task) for conn, task in zip(conns, tasks, strict=True)))
