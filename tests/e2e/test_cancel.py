"""CancelRequest and statement_timeout on both backends.

duckdb: the shared duckdb gateway runs a query that would take hours, and the client cancels it.
bigquery: the emulator finishes every query inside jobs.insert and ignores jobs.cancel, so
this is the `boundary` gateway, whose REST endpoint is a pass-through proxy to the emulator
that answers for the long query as BigQuery does (RUNNING until jobs.cancel); everything
else (metadata, other queries) is the emulator's (tests/e2e/boundary.py). The test asserts what BigQuery would
be sent: jobs.cancel for the job BigQuery made for the gateway's jobs.query.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import pytest

from tests.e2e.boundary import Boundary
from tests.e2e.clients import connect
from tests.e2e.conftest import BACKENDS
from tests.e2e.hold_proxy import HoldProxy
from tests.support.gateway import RunningGateway

# A trillion-row cross product: runs far longer than any test waits.
SLOW_QUERY = "SELECT sum(a.amount * b.amount) FROM shop.orders a CROSS JOIN shop.orders b"


@dataclass
class Target:
    gateway: RunningGateway
    proxy: HoldProxy | None  # bigquery: what the gateway sent BigQuery


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "duckdb":
        return Target(request.getfixturevalue("duckdb_gateway"), None)
    boundary: Boundary = request.getfixturevalue("boundary")
    return Target(boundary.gateway, boundary.proxy)


def wait_for_cancel(proxy: HoldProxy, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while not proxy.cancels() and time.monotonic() < deadline:
        time.sleep(0.05)
    return proxy.cancels()


def assert_job_cancelled(target: Target, before: set[str]) -> None:
    if target.proxy is None:
        return
    new_jobs = set(target.proxy.held) - before
    assert len(new_jobs) == 1, target.proxy.held
    (job_id,) = new_jobs
    # The query went through jobs.query: the job that ran long is the one BigQuery made.
    assert job_id.startswith("held_")
    assert job_id in wait_for_cancel(target.proxy)


async def test_cancel_request_stops_the_query_and_the_session_survives(target: Target) -> None:
    before = set(target.proxy.held) if target.proxy else set()
    async with connect(target.gateway) as conn:
        task = asyncio.ensure_future(conn.fetchval(SLOW_QUERY))
        await asyncio.sleep(1.0)
        assert not task.done()
        started = time.monotonic()
        task.cancel()  # asyncpg sends a CancelRequest on a new connection
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 5
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    assert_job_cancelled(target, before)


async def test_statement_timeout_cancels_the_query(target: Target) -> None:
    before = set(target.proxy.held) if target.proxy else set()
    async with connect(target.gateway) as conn:
        await conn.execute("SET statement_timeout = '700ms'")
        started = time.monotonic()
        with pytest.raises(asyncpg.QueryCanceledError) as caught:
            await conn.fetchval(SLOW_QUERY)
        assert time.monotonic() - started < 5
        assert "statement timeout" in str(caught.value)
        await conn.execute("SET statement_timeout = 0")
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    assert_job_cancelled(target, before)
