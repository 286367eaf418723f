"""Per-principal caps and the catalog's default time limit, over the wire (issue 10, item 3).

The tight gateway gives the analyst role one backend slot and one catalog slot, and catalog
queries 3 s. Waiting for a slot is part of the statement: statement_timeout and CancelRequest
end it, and another principal never waits for it.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.isolation.conftest import TIGHT_CATALOG_TIMEOUT_MS
from tests.isolation.support import LONG_BACKEND, LONG_CATALOG, open_connection, running
from tests.support.gateway import RunningGateway


async def test_a_principal_waits_for_its_own_slot_until_its_statement_timeout(
    tight_gateway: RunningGateway,
) -> None:
    async with running(tight_gateway, "mallory", LONG_BACKEND):
        conn = await open_connection(tight_gateway, "mallory")
        try:
            await conn.execute("SET statement_timeout = 700")
            started = time.monotonic()
            with pytest.raises(asyncpg.QueryCanceledError) as caught:
                await conn.fetchval("SELECT 1")
            assert "statement timeout" in str(caught.value)
            assert time.monotonic() - started < 5
            # Another principal of the same role has its own slot.
            other = await open_connection(tight_gateway, "bob")
            try:
                assert await asyncio.wait_for(other.fetchval("SELECT 1"), 5) == 1
            finally:
                await other.close()
        finally:
            await conn.close()
    # The long statement is gone with its connection: the slot is free again.
    conn = await open_connection(tight_gateway, "mallory")
    try:
        assert await asyncio.wait_for(conn.fetchval("SELECT 1"), 10) == 1
    finally:
        await conn.close()


async def test_a_cancel_request_ends_the_wait_for_a_slot(tight_gateway: RunningGateway) -> None:
    async with running(tight_gateway, "mallory", LONG_BACKEND):
        conn = await open_connection(tight_gateway, "mallory")
        try:
            waiting = asyncio.create_task(conn.fetchval("SELECT 1"))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # it waits for mallory's one slot
            waiting.cancel()  # asyncpg sends a CancelRequest
            with pytest.raises(asyncio.CancelledError):
                await waiting
        finally:
            await conn.close()


async def test_catalog_queries_have_a_default_time_limit(tight_gateway: RunningGateway) -> None:
    conn = await open_connection(tight_gateway, "mallory")
    try:
        assert await conn.fetchval("SHOW statement_timeout") == "0"  # the session sets none
        started = time.monotonic()
        with pytest.raises(asyncpg.QueryCanceledError) as caught:
            await asyncio.wait_for(conn.fetchval(LONG_CATALOG), 60)
        took = time.monotonic() - started
        assert f"at most {TIGHT_CATALOG_TIMEOUT_MS} ms" in str(caught.value.detail)
        assert TIGHT_CATALOG_TIMEOUT_MS / 1000 - 0.5 < took < TIGHT_CATALOG_TIMEOUT_MS / 1000 + 5
        assert await conn.fetchval("SELECT count(*) FROM pg_namespace") > 0  # the session goes on
    finally:
        await conn.close()


async def test_catalog_slots_are_per_principal(tight_gateway: RunningGateway) -> None:
    async with running(tight_gateway, "mallory", LONG_CATALOG):
        conn = await open_connection(tight_gateway, "mallory")
        try:
            await conn.execute("SET statement_timeout = 500")
            with pytest.raises(asyncpg.QueryCanceledError):
                await conn.fetchval("SELECT count(*) FROM pg_namespace")
        finally:
            await conn.close()
        other = await open_connection(tight_gateway, "bob")
        try:
            started = time.monotonic()
            assert await other.fetchval("SELECT count(*) FROM pg_namespace") > 0
            assert time.monotonic() - started < 2
        finally:
            await other.close()
