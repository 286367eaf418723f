"""Driver connections to a running gateway, as an application opens them: the JWT as the
password, TLS required, database `pgbridge`. The suite's one asyncpg and one psycopg helper.

Keywords beyond the named ones are claims of the minted token (a row filter's `country`, a
padded token), as for `RunningGateway.token`; other driver options go in `options`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import psycopg

from tests.support.gateway import RunningGateway

ADMIN = ("admin",)


async def asyncpg_connect(
    gateway: RunningGateway,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    *,
    password: str | None = None,
    ssl: object = "require",
    timeout: float = 10,
    application_name: str | None = None,
    options: Mapping[str, Any] | None = None,
    **claims: object,
) -> asyncpg.Connection:
    """An asyncpg connection; `password` replaces the minted token (a foreign or broken one)."""
    extra = dict(options or {})
    if application_name is not None:
        extra["server_settings"] = {**extra.get("server_settings", {}), "application_name": application_name}
    return await asyncpg.connect(
        host=gateway.host,
        port=gateway.port,
        user=user,
        database="pgbridge",
        password=password if password is not None else gateway.token(user, roles, **claims),
        ssl=ssl,
        timeout=timeout,
        **extra,
    )


@asynccontextmanager
async def asyncpg_session(
    gateway: RunningGateway, user: str = "alice", roles: tuple[str, ...] = ADMIN, **kwargs: Any
) -> AsyncIterator[asyncpg.Connection]:
    """`asyncpg_connect` (same arguments) as a context manager that closes the connection."""
    conn = await asyncpg_connect(gateway, user, roles, **kwargs)
    try:
        yield conn
    finally:
        await conn.close(timeout=10)


def psycopg_connect(
    gateway: RunningGateway,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    *,
    password: str | None = None,
    sslmode: str = "require",
    dbname: str = "pgbridge",
    autocommit: bool = False,
    **claims: object,
) -> psycopg.Connection[Any]:
    """A psycopg 3 connection (libpq); `password` replaces the minted token."""
    return psycopg.connect(
        host=gateway.host,
        port=gateway.port,
        dbname=dbname,
        user=user,
        password=password if password is not None else gateway.token(user, roles, **claims),
        sslmode=sslmode,
        connect_timeout=10,
        autocommit=autocommit,
    )
