"""The load bench's clients: asyncpg and psycopg sessions that run a mix of operations until a
deadline and count what happened (bench/load_bench.py runs them).

The mix, per operation: a point query (prepared, `SELECT * FROM shop.products WHERE id = $1`),
a 200,000-row stream, a statement cancelled by the client 50 ms after it started (57014 is the
intended answer) and a statement the policy refuses (an INSERT: 42501). Only point queries go
into the latency percentiles; every error is counted by SQLSTATE.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import psycopg

POINT = "SELECT * FROM shop.products WHERE id = $1"
STREAM = "SELECT id, status FROM shop.orders LIMIT 200000"
SLOW = "SELECT * FROM shop.orders"  # started, then cancelled
REFUSED = "INSERT INTO shop.products (id) VALUES (0)"
INTENDED = frozenset({"42501", "57014"})  # the refusals and cancels the mix asks for
MIX = (("point", 0.94), ("refused", 0.03), ("cancel", 0.02), ("stream", 0.01))


@dataclass
class Tally:
    ops: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    point_latencies: list[float] = field(default_factory=list)
    rows: int = 0

    def add(self, other: Tally) -> None:
        self.ops.update(other.ops)
        self.errors.update(other.errors)
        self.point_latencies.extend(other.point_latencies)
        self.rows += other.rows


Mix = tuple[tuple[str, float], ...]


def pick(rng: random.Random, mix: Mix) -> str:
    roll, total = rng.random(), 0.0
    for name, share in mix:
        total += share
        if roll < total:
            return name
    return mix[0][0]


def sqlstate_of(error: BaseException) -> str:
    state = getattr(error, "sqlstate", None) or getattr(getattr(error, "diag", None), "sqlstate", None)
    return str(state) if state else type(error).__name__


async def run_mix(
    ops: dict[str, Callable[[], Awaitable[int]]], deadline: float, seed: int, mix: Mix = MIX
) -> Tally:
    """Run the mix on one session until `deadline` (time.monotonic())."""
    rng, tally = random.Random(seed), Tally()
    while time.monotonic() < deadline:
        name = pick(rng, mix)
        started = time.perf_counter()
        try:
            tally.rows += await ops[name]()
        except (asyncpg.PostgresError, psycopg.Error) as error:
            tally.errors[sqlstate_of(error)] += 1
        except (OSError, asyncpg.InterfaceError, asyncpg.InternalClientError) as error:
            tally.errors[type(error).__name__] += 1
            break
        if name == "point":
            tally.point_latencies.append(time.perf_counter() - started)
        tally.ops[name] += 1
    return tally


def asyncpg_ops(conn: asyncpg.Connection, rng: random.Random) -> dict[str, Callable[[], Awaitable[int]]]:
    async def point() -> int:
        return 1 if await conn.fetchrow(POINT, rng.randint(1, 1000)) is not None else 0

    async def stream() -> int:
        return len(await conn.fetch(STREAM))

    async def cancel() -> int:
        try:  # asyncpg sends a CancelRequest when its timeout passes, then raises TimeoutError
            await conn.fetch(SLOW, timeout=0.05)
        except TimeoutError:
            raise asyncpg.QueryCanceledError("cancelled by the client") from None
        return 0

    async def refused() -> int:
        await conn.execute(REFUSED)
        return 0

    return {"point": point, "stream": stream, "cancel": cancel, "refused": refused}


def psycopg_ops(conn: psycopg.AsyncConnection, rng: random.Random) -> dict[str, Callable[[], Awaitable[int]]]:
    point_sql = POINT.replace("$1", "%s")

    async def point() -> int:
        cursor = await conn.execute(point_sql, (rng.randint(1, 1000),), prepare=True)
        return len(await cursor.fetchall())

    async def stream() -> int:
        cursor = await conn.execute(STREAM)
        return len(await cursor.fetchall())

    async def cancel() -> int:
        running = asyncio.ensure_future(conn.execute(SLOW))
        await asyncio.sleep(0.05)
        await conn.cancel_safe()
        cursor = await running  # raises QueryCanceled (57014) unless it finished first
        return len(await cursor.fetchall())

    async def refused() -> int:
        await conn.execute(REFUSED)
        return 0

    return {"point": point, "stream": stream, "cancel": cancel, "refused": refused}


Connect = Callable[[], Awaitable[asyncpg.Connection]]
Session = asyncpg.Connection | psycopg.AsyncConnection


async def run_on(conn: Session, deadline: float, seed: int) -> Tally:
    """The mix on an open session (asyncpg or psycopg) until `deadline`."""
    rng = random.Random(seed)
    ops = asyncpg_ops(conn, rng) if isinstance(conn, asyncpg.Connection) else psycopg_ops(conn, rng)
    return await run_mix(ops, deadline, seed)


async def close(conn: Session) -> None:
    if isinstance(conn, asyncpg.Connection):
        await conn.close(timeout=10)
    else:
        await conn.close()


async def point_only(connect: Connect, deadline: float, seed: int) -> Tally:
    """Point queries only, for the PostgreSQL comparison."""
    conn = await connect()
    rng = random.Random(seed)
    try:
        return await run_mix({"point": asyncpg_ops(conn, rng)["point"]}, deadline, seed, (("point", 1.0),))
    finally:
        await conn.close(timeout=10)
