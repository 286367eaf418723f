"""Errors raised while a query runs reach the client with the same SQLSTATE on both backends.

A value that does not convert is asked of the `boundary` gateway on the bigquery side: the
emulator words that error unlike BigQuery (tests/e2e/boundary.py). Integer division by zero is
not asked of the emulator at all: it evaluates DIV(x, 0) to a number instead of failing
(tests/bigquery/test_http_boundary.py shows BigQuery's error reaching the client as 22012).
"""

from __future__ import annotations

import asyncpg
import pytest

from tests.e2e.clients import connect
from tests.support.gateway import RunningGateway

RUNTIME_ERRORS = {
    "division_by_zero": ("SELECT amount / (amount - amount) FROM shop.orders WHERE id = 1", "22012"),
    "missing_table": ("SELECT * FROM shop.nothing_here", "42P01"),
    "missing_schema": ("SELECT * FROM nowhere.customers", "3F000"),
}


@pytest.mark.parametrize("name", sorted(RUNTIME_ERRORS))
async def test_runtime_error_sqlstate(any_gateway: RunningGateway, name: str) -> None:
    sql, sqlstate = RUNTIME_ERRORS[name]
    async with connect(any_gateway) as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch(sql)
        assert caught.value.sqlstate == sqlstate, caught.value.as_dict()
        assert await conn.fetchval("SELECT 1 + 1") == 2  # the session survives


async def test_value_that_does_not_convert_is_22p02(any_boundary_gateway: RunningGateway) -> None:
    async with connect(any_boundary_gateway) as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT CAST(name AS bigint) FROM shop.products WHERE id = 1")
        assert caught.value.sqlstate == "22P02", caught.value.as_dict()
        assert "Games item 1" in str(caught.value)
        assert await conn.fetchval("SELECT 1 + 1") == 2


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT (-2147483648)::int4 / -1", "integer out of range"),
        ("SELECT 200::int2 * 200::int2", "smallint out of range"),
        ("SELECT 1.49999999999::numeric(2,0) * 1000 + 99.5::numeric(2,0)", "numeric field overflow"),
    ],
)
async def test_translation_overflow_checks_are_22003(
    gateway: RunningGateway, sql: str, message: str
) -> None:
    # The translator's own run-time checks (ERROR('...') in its SQL) arrive as PostgreSQL's
    # error, not as the engine's generic "Invalid Input Error" (22000).
    async with connect(gateway) as conn:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch(sql)
        assert (caught.value.sqlstate, str(caught.value)) == ("22003", message)
        assert await conn.fetchval("SELECT 1 + 1") == 2
