"""The embedded engine is bounded, over the wire (issue 10, item 4).

- A statement that reads no table is costed by the rows it generates: a 300-million-row
  series is refused (support: 54000) or sent for approval (analyst) at once, with a message
  saying why, where it used to run for a minute and end in `Out of Memory`.
- EXPLAIN and Parse/Describe run nothing: EXPLAIN of that series took 41 s.
- A statement over the engine's memory limit is 53200, and the session and gateway live on.
"""

from __future__ import annotations

import time

import asyncpg
import pytest

from tests.isolation.support import open_connection
from tests.support.gateway import RunningGateway

BIG_SERIES = "SELECT count(*) FROM generate_series(1, 300000000) g"
SUPPORT = ("support",)


async def test_a_large_series_is_refused_at_once_with_the_reason(demo_gateway: RunningGateway) -> None:
    conn = await open_connection(demo_gateway, "sam", SUPPORT, country="DE")
    try:
        started = time.monotonic()
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(BIG_SERIES)
        assert time.monotonic() - started < 5
        assert caught.value.sqlstate == "54000"
        assert "generate about 300,000,000 rows (generate_series())" in str(caught.value)
        assert await conn.fetchval("SELECT count(*) FROM generate_series(1, 1000) g") == 1000
    finally:
        await conn.close()


async def test_cross_joined_series_multiply(demo_gateway: RunningGateway) -> None:
    conn = await open_connection(demo_gateway, "sam", SUPPORT, country="DE")
    try:
        assert await conn.fetchval("SELECT count(*) FROM generate_series(1, 20000) a") == 20000
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(
                "SELECT count(*) FROM generate_series(1, 20000) a, generate_series(1, 20000) b"
            )
        assert caught.value.sqlstate == "54000" and "400,000,000 rows" in str(caught.value)
    finally:
        await conn.close()


async def test_a_bound_that_is_not_a_constant_fails_closed(demo_gateway: RunningGateway) -> None:
    conn = await open_connection(demo_gateway, "sam", SUPPORT, country="DE")
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(
                "SELECT count(*) FROM generate_series(1, (SELECT max(id) FROM shop.orders)) g"
            )
        assert caught.value.sqlstate == "54000" and "cannot be known before it runs" in str(caught.value)
    finally:
        await conn.close()


async def test_a_large_series_goes_to_approval_like_a_large_scan(demo_gateway: RunningGateway) -> None:
    conn = await open_connection(demo_gateway, "ann", ("analyst",))
    try:
        await conn.execute("SET pgbridge.approval = ticket")
        started = time.monotonic()
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(BIG_SERIES)
        assert time.monotonic() - started < 5
        assert caught.value.sqlstate == "42501" and "needs approval" in str(caught.value)
        assert "roles.analyst.max_bytes" in str(caught.value.detail)
    finally:
        await conn.close()


async def test_explain_of_a_large_series_runs_nothing(demo_gateway: RunningGateway) -> None:
    conn = await open_connection(demo_gateway, "ann", ("analyst",))
    try:
        timings, plan = [], []
        for _ in range(3):
            started = time.monotonic()
            plan = [row[0] for row in await conn.fetch(f"EXPLAIN {BIG_SERIES}")]
            timings.append(time.monotonic() - started)
        print(f"\nEXPLAIN of the 300M series, seconds: {', '.join(f'{t:.3f}' for t in timings)}")
        assert min(timings) < 1.0
        generated = (
            "Generated rows (estimate): 300,000,000 (generate_series()), counted as 2,400,000,000 bytes"
        )
        assert generated in plan
        cost = next(line for line in plan if line.startswith("Cost rule:"))
        assert cost.startswith("Cost rule: approve (roles.analyst.max_bytes)") and "300,000,000 rows" in cost
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        BIG_SERIES,
        "SELECT g FROM generate_series(1, 300000000) g",
        "SELECT length(repeat('x', 600000000)) AS n",  # binding folds constants: 600 MB of text
    ],
)
async def test_parse_and_describe_run_nothing(demo_gateway: RunningGateway, sql: str) -> None:
    conn = await open_connection(demo_gateway, "ann", ("analyst",))
    try:
        timings = []
        for i in range(3):
            started = time.monotonic()
            statement = await conn.prepare(f"{sql} -- {i}")  # Parse + Describe, no Execute
            timings.append(time.monotonic() - started)
            assert len(statement.get_attributes()) == 1
        assert min(timings) < 1.0, timings
    finally:
        await conn.close()


async def test_out_of_memory_is_53200_and_the_session_lives_on(tight_gateway: RunningGateway) -> None:
    # The tight gateway gives the warehouse 64 MB and 8 MB of spill space; 50 million
    # distinct values need far more. The admin role has no cost limit to stop it first.
    conn = await open_connection(tight_gateway, "root", ("admin",))
    try:
        started = time.monotonic()
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval(
                "SELECT count(DISTINCT a.id * 1000000 + b.id) FROM shop.orders a, "
                "(SELECT id FROM shop.orders LIMIT 50) b"
            )
        assert caught.value.sqlstate == "53200", caught.value
        assert time.monotonic() - started < 30
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()
    other = await open_connection(tight_gateway, "bob")
    try:
        assert await other.fetchval("SELECT 1") == 1
    finally:
        await other.close()
