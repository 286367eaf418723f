"""Limits counted in the PostgreSQL store: several trackers (as several gateways would hold) race
on one real PostgreSQL 15, and the database decides; leases of a tracker that stops heartbeating
expire, and a clean close gives its slots back at once."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg
import pytest

from pgbridge.policy.approvals import StoreUnavailable
from pgbridge.policy.limits_pg import PostgresLimitTracker
from pgbridge.wire.errors import PgError
from tests.multi.support import store_database
from tests.policy.support import principal, settings_from_toml
from tests.support.postgres import PostgresServer

# Leases expiring and a store that does not answer are waited for: the slow lane (make test).
pytestmark = pytest.mark.slow

POLICY = """
[policy.roles.small]
datasets = ["shop"]
max_connections = 3
queries_per_minute = 5
bytes_per_day = 1000
[policy.roles.free]
datasets = ["shop"]
"""


async def _trackers(url: str, count: int, lease_s: float = 15.0) -> list[PostgresLimitTracker]:
    settings = settings_from_toml(POLICY)
    return [await PostgresLimitTracker(settings, url, f"gw{n}", lease_s).open() for n in range(count)]


@pytest.fixture
def store(postgres: PostgresServer) -> str:
    return store_database(postgres, f"limits_{uuid.uuid4().hex[:8]}")


async def _outcomes(calls: list[object]) -> list[str]:
    results = await asyncio.gather(*calls, return_exceptions=True)  # type: ignore[call-overload]
    return sorted("ok" if r is None else r.sqlstate if isinstance(r, PgError) else repr(r) for r in results)


async def test_the_last_connection_slot_is_taken_once_across_gateways(store: str):
    trackers = await _trackers(store, 3)
    alice = principal("small", subject="alice")
    try:
        for _round in range(3):
            calls = [trackers[n % 3].acquire(alice) for n in range(12)]
            assert await _outcomes(calls) == ["53300"] * 9 + ["ok"] * 3
            for tracker in trackers:  # every slot given back, wherever it was taken
                while tracker._held:
                    await tracker.release(alice)
        await trackers[0].acquire(principal("small", subject="bob"))  # limits are per principal
    finally:
        for tracker in trackers:
            await tracker.close()


async def test_queries_per_minute_and_bytes_per_day_are_counted_once_across_gateways(store: str):
    trackers = await _trackers(store, 2)
    alice = principal("small", subject="alice")
    try:
        calls = [trackers[n % 2].count_query(alice, 0) for n in range(11)]
        assert await _outcomes(calls) == ["53400"] * 6 + ["ok"] * 5
        with pytest.raises(PgError) as caught:
            await trackers[1].count_query(alice, 0)
        assert "5 queries per minute" in caught.value.message and "try again in" in (caught.value.hint or "")

        bob = principal("small", subject="bob")
        await trackers[0].count_query(bob, 600)
        with pytest.raises(PgError) as caught:
            await trackers[1].count_query(bob, 600)  # 600 + 600 > 1000, counted on the other gateway
        assert caught.value.sqlstate == "54000" and "600 of 1,000 bytes used" in caught.value.message
        await trackers[1].count_query(bob, 400)  # exactly the rest of the day's budget
    finally:
        for tracker in trackers:
            await tracker.close()


async def test_a_dead_gateways_leases_expire_and_a_closed_ones_are_released_at_once(store: str):
    lease_s = 1.5
    dead, closing, other = await _trackers(store, 3, lease_s)
    alice, bob = principal("small", subject="alice"), principal("small", subject="bob")
    try:
        for _ in range(3):
            await dead.acquire(alice)
            await closing.acquire(bob)
        assert dead._heartbeat is not None
        dead._heartbeat.cancel()  # the process died: nothing refreshes its leases any more
        await closing.close()  # a clean close: bob's slots are free at once
        await other.acquire(bob)
        with pytest.raises(PgError) as caught:
            await other.acquire(alice)
        assert caught.value.sqlstate == "53300"
        stopped = time.monotonic()
        while True:
            try:
                await other.acquire(alice)
                break
            except PgError as refused:
                assert refused.sqlstate == "53300"
                assert time.monotonic() - stopped < lease_s + 2, "a dead gateway's lease outlived lease_s"
                await asyncio.sleep(0.1)
        # a live gateway's leases outlast lease_s: its heartbeat keeps them
        await asyncio.sleep(lease_s * 2)
        await other.acquire(alice)
        await other.acquire(alice)
        with pytest.raises(PgError):
            await other.acquire(alice)
    finally:
        await dead.pool.close()
        await other.close()


async def test_principals_without_limits_cost_no_store_work_and_an_unreachable_store_refuses(
    store: str, postgres: PostgresServer
):
    tracker = (await _trackers(store, 1))[0]
    free, alice = principal("free", subject="fred"), principal("small", subject="alice")
    role = store.rsplit("/", 1)[1]
    try:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{role}" NOLOGIN')  # type: ignore[arg-type]
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        await tracker.acquire(free)  # no limit: no store work, so no failure
        await tracker.count_query(free, 10**12)
        await tracker.release(free)
        with pytest.raises(StoreUnavailable) as caught:
            await tracker.acquire(alice)
        assert caught.value.sqlstate == "58000"
        assert "limits store cannot be reached" in caught.value.message
        assert "connection was not opened" in caught.value.message
        with pytest.raises(StoreUnavailable) as caught:
            await tracker.count_query(alice, 0)
        assert "statement was not run" in caught.value.message
    finally:
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{role}" LOGIN')  # type: ignore[arg-type]
    deadline = time.monotonic() + 30
    while True:  # the pool reconnects once the store is back (after its backoff)
        try:
            await tracker.acquire(alice)
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline, "the pool never reconnected"
    await tracker.close()
