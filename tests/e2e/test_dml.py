"""Admin DML on both backends: each statement needs an approval, then runs exactly once.

The row is inserted and deleted again within the test, so the shared `shop` rows the other
tests compare stay as they are.
"""

from __future__ import annotations

import re

import asyncpg
import pytest

from tests.e2e.clients import connect
from tests.support.cli import approve as cli_approve
from tests.support.gateway import RunningGateway

ROW_ID = 5_000_001
COUNT = f"SELECT count(*) FROM shop.orders WHERE id = {ROW_ID}"


async def run_approved(conn: asyncpg.Connection, gateway: RunningGateway, sql: str, *args: object) -> str:
    """Ask once (ticket), approve as someone else through the CLI, run again; the command tag."""
    with pytest.raises(asyncpg.PostgresError) as caught:
        await conn.execute(sql, *args)
    found = re.search(r"apr_[0-9a-f]+", str(caught.value.as_dict()))
    assert found is not None, caught.value.as_dict()
    approve = cli_approve(gateway, found.group(0), "bob")
    assert approve.returncode == 0, approve.stdout + approve.stderr
    tag: str = await conn.execute(sql, *args)
    return tag


async def test_admin_dml_runs_once_after_approval(any_gateway: RunningGateway) -> None:
    async with connect(any_gateway) as conn:
        await conn.execute("SET pgbridge.approval = 'ticket'")
        assert await conn.fetchval(COUNT) == 0
        insert = (
            "INSERT INTO shop.orders (id, customer_id, product_id, ordered_at, amount, status) "
            "VALUES ($1, 1, 1, '2024-01-01 00:00:00+00', 1.5::float8, 'pending')"
        )
        assert await run_approved(conn, any_gateway, insert, ROW_ID) == "INSERT 0 1"
        # One row: neither the dry runs nor the refused first attempt wrote anything.
        assert await conn.fetchval(COUNT) == 1
        update = f"UPDATE shop.orders SET status = 'paid' WHERE id = {ROW_ID}"
        assert await run_approved(conn, any_gateway, update) == "UPDATE 1"
        assert await conn.fetchval(f"SELECT status FROM shop.orders WHERE id = {ROW_ID}") == "paid"
        delete = f"DELETE FROM shop.orders WHERE id = {ROW_ID}"
        assert await run_approved(conn, any_gateway, delete) == "DELETE 1"
        assert await conn.fetchval(COUNT) == 0
