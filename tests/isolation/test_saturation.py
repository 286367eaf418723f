"""One principal saturating its share does not slow another principal down (issue 10, item 3).

Principal A (mallory, analyst) keeps six long warehouse statements and three long catalog
queries going at once — more than its share of four and two, so some of them wait — on a real
gateway with the demo configuration. Principal B (bob) then logs in and runs `SELECT 1`, again
and again. Before each stage had its own worker pool and per-principal caps, B's login waited
for A's queries to give back the shared threads (11-22 s measured, over 120 s with this load);
now it takes what it takes on an idle gateway, plus the CPU A's queries leave.

The machine is shared (two cores, other test runs): a round of seven samples passes when its
median is under 100 ms, and up to three rounds are tried; no sample may take a second.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import asyncpg
import pytest

from tests.isolation.support import login_and_select_one, open_connection, saturated
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.slow  # saturates the gateway for seconds at a time

LIMIT_MS = 100.0


async def test_another_principal_logs_in_fast_while_one_saturates_its_share(
    demo_gateway: RunningGateway,
) -> None:
    idle = [await login_and_select_one(demo_gateway) for _ in range(5)]
    rounds: list[list[float]] = []
    async with saturated(demo_gateway):
        await _assert_share_is_full(demo_gateway)
        for _ in range(3):
            samples = [await asyncio.wait_for(login_and_select_one(demo_gateway), 10) for _ in range(7)]
            rounds.append(samples)
            assert max(samples) < 1_000, samples
            if statistics.median(samples) < LIMIT_MS:
                break
    print(f"\nidle login+SELECT 1 ms: {_fmt(idle)}")
    for samples in rounds:
        print(f"saturated login+SELECT 1 ms: {_fmt(samples)}, median {statistics.median(samples):.0f}")
    assert statistics.median(rounds[-1]) < LIMIT_MS, rounds


async def test_another_principal_reads_the_catalog_while_one_saturates_it(
    demo_gateway: RunningGateway,
) -> None:
    # Same role, hence the same catalog database as A's long queries: it used to hold a lock.
    async with saturated(demo_gateway, backend=0, catalog=3):
        conn = await open_connection(demo_gateway, "bob")
        try:
            samples = []
            for _ in range(5):
                started = time.monotonic()
                await asyncio.wait_for(conn.fetch("SELECT relname FROM pg_class ORDER BY 1"), 10)
                samples.append((time.monotonic() - started) * 1000)
        finally:
            await conn.close()
    print(f"\ncatalog query ms while another principal saturates the catalog: {_fmt(samples)}")
    assert statistics.median(samples) < 500, samples


async def _assert_share_is_full(gateway: RunningGateway) -> None:
    """A itself now waits for a slot: its fifth statement runs into its statement_timeout."""
    conn = await open_connection(gateway, "mallory")
    try:
        await conn.execute("SET statement_timeout = 500")
        with pytest.raises(asyncpg.QueryCanceledError):
            await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


def _fmt(samples: list[float]) -> str:
    return ", ".join(f"{s:.0f}" for s in samples)
