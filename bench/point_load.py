"""The point-query load of issue 14: N asyncpg clients, each running a prepared
`SELECT * FROM shop.products WHERE id = $1` back to back for a fixed time.

Every client opens its connection and prepares the statement before the clock starts, then
runs the statement with ids 1..1000 in turn until the time is up. What is reported: statements
per second over all clients, and p50 / p99 of every statement's latency (milliseconds). The
load generator is one asyncio process (uvloop when installed), the same for every server, so
its own cost is the same on both sides of a comparison.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

POINT = "SELECT * FROM shop.products WHERE id = $1"


@dataclass(frozen=True)
class LoadResult:
    clients: int
    seconds: float
    statements: int
    latencies: list[float]  # seconds, every statement of every client

    @property
    def rate(self) -> float:
        return self.statements / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def row(self, label: str) -> str:
        return (
            f"  {label:<20} {self.clients:>7} {self.rate:>10,.0f} "
            f"{self.percentile_ms(0.5):>8.2f} {self.percentile_ms(0.99):>8.2f}"
        )


async def point_load(
    connect: Callable[[], Awaitable[asyncpg.Connection]], clients: int, seconds: float
) -> LoadResult:
    """`clients` connections running the point query for `seconds`."""
    connections = await asyncio.gather(*(connect() for _ in range(clients)))
    try:
        statements = [await conn.prepare(POINT) for conn in connections]
        for statement in statements:  # warm: the first execution plans and dry-runs
            await statement.fetchrow(1)
        start = asyncio.Event()
        stop_at: list[float] = []
        per_client = await asyncio.gather(
            *(_client(statement, index, start, stop_at) for index, statement in enumerate(statements)),
            _starter(start, stop_at, seconds),
        )
    finally:
        await asyncio.gather(*(conn.close() for conn in connections), return_exceptions=True)
    latencies = [t for times in per_client[:-1] for t in times]
    return LoadResult(clients, seconds, len(latencies), latencies)


async def _starter(start: asyncio.Event, stop_at: list[float], seconds: float) -> list[float]:
    stop_at.append(time.perf_counter() + seconds)
    start.set()
    return []


async def _client(
    statement: asyncpg.prepared_stmt.PreparedStatement, index: int, start: asyncio.Event, stop_at: list[float]
) -> list[float]:
    await start.wait()
    deadline = stop_at[0]
    times: list[float] = []
    key = index * 37
    while True:
        began = time.perf_counter()
        if began >= deadline:
            return times
        key = key % 1000 + 1
        row = await statement.fetchrow(key)
        times.append(time.perf_counter() - began)
        if row is None or row["id"] != key:
            raise SystemExit(f"point query for id {key} returned {row!r}")


def median_of(results: list[LoadResult]) -> LoadResult:
    """The run with the median rate (its latencies kept whole, not mixed with other runs')."""
    ordered = sorted(results, key=lambda r: r.rate)
    return ordered[len(ordered) // 2]


def summary(results: list[LoadResult]) -> str:
    rates = [r.rate for r in results]
    return f"rates {', '.join(f'{r:,.0f}' for r in rates)} (median {statistics.median(rates):,.0f})"
