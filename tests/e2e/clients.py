"""The real clients the e2e tests drive: psql (simple protocol) and asyncpg (extended, binary),
in the shapes these tests compare (tests/support holds the runner and the connections)."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.support.clients import ADMIN
from tests.support.clients import asyncpg_session as connect
from tests.support.gateway import RunningGateway
from tests.support.psql import ROWS, commands, run_psql

__all__ = ["ADMIN", "connect", "fetch", "psql", "psql_rows"]


def psql(
    gateway: RunningGateway,
    *statements: str,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    **claims: Any,
) -> subprocess.CompletedProcess[str]:
    """psql -At with one -c per statement, stopping at the first error; fields split by '|'."""
    return run_psql(
        gateway, "-v", "ON_ERROR_STOP=1", *ROWS, *commands(statements), user=user, roles=roles, **claims
    )


def psql_rows(gateway: RunningGateway, sql: str, **kwargs: Any) -> list[str]:
    done = psql(gateway, sql, **kwargs)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


async def fetch(
    gateway: RunningGateway, sql: str, *args: object, roles: tuple[str, ...] = ADMIN, **claims: Any
) -> list[tuple[Any, ...]]:
    async with connect(gateway, roles=roles, **claims) as conn:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
