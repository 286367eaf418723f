"""psql 15, the real program, against a running gateway or the run's PostgreSQL.

One way to build its command line and environment: no psqlrc (-X), the JWT as PGPASSWORD,
TLS required, a connect timeout. Callers add their own psql options (output format,
ON_ERROR_STOP, VERBOSITY) and statements; `commands` turns statements into `-c` pairs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from typing import Any

from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer

ADMIN = ("admin",)
# Unaligned tuples only, fields split by '|': one line a row, for tests that compare rows.
ROWS = ("-A", "-t", "-F", "|")


def commands(statements: Iterable[str]) -> list[str]:
    """One `-c` per statement: psql runs each as its own simple Query, in order."""
    return [arg for sql in statements for arg in ("-c", sql)]


def psql_env(
    gateway: RunningGateway,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    *,
    extra: Mapping[str, str] | None = None,
    **claims: object,
) -> dict[str, str]:
    """The environment psql reads its password and TLS mode from: a token for user, roles
    and claims; `extra` adds variables (PGAPPNAME, PAGER...)."""
    return {
        **os.environ,
        "PGPASSWORD": gateway.token(user, roles, **claims),
        "PGSSLMODE": "require",
        "PGCONNECT_TIMEOUT": "10",
        **(extra or {}),
    }


def psql_argv(gateway: RunningGateway | PostgresServer, *args: str, user: str = "alice") -> list[str]:
    """psql's command line for the gateway (database pgbridge) or a PostgreSQL database."""
    database = gateway.database if isinstance(gateway, PostgresServer) else "pgbridge"
    return ["psql", "-X", "-h", gateway.host, "-p", str(gateway.port), "-U", user, "-d", database, *args]


def run_psql(
    gateway: RunningGateway,
    *args: str,
    user: str = "alice",
    roles: tuple[str, ...] = ADMIN,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    text: bool = True,
    timeout: float = 60,
    **claims: object,
) -> subprocess.CompletedProcess[Any]:
    """Run psql against the gateway as user, roles and claims and wait for it to exit;
    `env` adds variables (see psql_env), text=False keeps stdout and stderr as bytes."""
    return subprocess.run(
        psql_argv(gateway, *args, user=user),
        env=psql_env(gateway, user, roles, extra=env, **claims),
        input=stdin,
        capture_output=True,
        text=text,
        timeout=timeout,
    )


def run_psql_on(
    server: PostgresServer, *args: str, check: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """psql against a PostgreSQL database (trust authentication, no TLS), as its user;
    check=True raises when psql fails."""
    argv = psql_argv(server, *args, user=server.user)
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)
