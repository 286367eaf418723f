"""/healthz, /readyz and /metrics on a real gateway's admin listener, scraped while real
asyncpg and psycopg clients run queries: the numbers move by what the clients did."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import psycopg
import pytest

from tests.ops.support import OpsGateway, ops_gateway, start_waiting, value
from tests.support.clients import asyncpg_connect

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

ANALYSTS = 4
MASKED_ROWS = 50
STREAM_ROWS = 200_000


async def _analyst(og: OpsGateway, index: int) -> int:
    conn = await asyncpg_connect(og.gw, f"analyst{index}", ("analyst",))
    try:
        rows = await conn.fetch(f"SELECT name, ssn FROM shop.customers ORDER BY id LIMIT {MASKED_ROWS}")
        assert all(row["ssn"].startswith("****") for row in rows)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO shop.products (id) VALUES (1)")
        return len(rows)
    finally:
        await conn.close()


def _stream(og: OpsGateway) -> int:
    """An admin's 200k-row stream over psycopg (a second driver, server-side rows in batches)."""
    with psycopg.connect(og.gw.dsn("bob", ("admin",))) as conn:
        rows = conn.execute(f"SELECT id, status FROM shop.orders ORDER BY id LIMIT {STREAM_ROWS}").fetchall()
    return len(rows)


async def _until(check: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_health_and_readiness(demo_copy: Callable[[str], Path]) -> None:
    with ops_gateway(demo_copy("ops-health")) as og:
        status, body = og.get("/healthz")
        assert status == 200 and b"ok" in body
        status, ready = og.ready()
        assert status == 200, ready
        assert ready["checks"] == {"backend": "ok", "audit": "ok", "keys": "ok", "draining": "ok"}
        # the approvals API's authentication still guards its own routes
        status, _ = og.get("/approvals")
        assert status == 401


async def test_metrics_move_while_clients_run_queries(demo_copy: Callable[[str], Path]) -> None:
    with ops_gateway(demo_copy("ops-metrics")) as og:
        before = og.metrics()
        waiting_conn = await asyncpg_connect(og.gw, "wendy", ("analyst",))
        waiting, _request = await start_waiting(waiting_conn)
        during = og.metrics()
        # one statement waits for an approval: an active connection, a pending request
        assert value(during, "pgbridge_connections", state="active") >= 1
        assert value(during, "pgbridge_approvals_pending") >= 1

        counts = await asyncio.gather(
            *(_analyst(og, i) for i in range(ANALYSTS)), asyncio.to_thread(_stream, og)
        )
        assert counts == [MASKED_ROWS] * ANALYSTS + [STREAM_ROWS]
        waiting.cancel()
        with pytest.raises((asyncio.CancelledError, asyncpg.QueryCanceledError)):
            await waiting
        await waiting_conn.close()

        cancels_before = value(before, "pgbridge_errors_total", sqlstate="57014")

        def settled() -> bool:
            now = og.metrics()
            return (
                value(now, "pgbridge_errors_total", sqlstate="57014") > cancels_before
                and value(now, "pgbridge_connections", state="active") == 0
                and value(now, "pgbridge_connections", state="idle") == 0
            )

        assert await _until(settled), og.get("/metrics")[1].decode()
        after = og.metrics()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("pgbridge_statements_total", kind="insert", decision="deny") == ANALYSTS
    assert delta("pgbridge_errors_total", sqlstate="42501") == ANALYSTS
    assert delta("pgbridge_statements_total", kind="select", decision="allow") >= ANALYSTS + 1
    assert delta("pgbridge_masked_values_total", rule="shop.customers.ssn") == ANALYSTS * MASKED_ROWS
    assert delta("pgbridge_rows_streamed_total") >= ANALYSTS * MASKED_ROWS + STREAM_ROWS
    assert delta("pgbridge_bytes_streamed_total") > STREAM_ROWS * 10
    assert delta("pgbridge_authentications_total", result="ok") == ANALYSTS + 2
    assert delta("pgbridge_connections_accepted_total") >= ANALYSTS + 2
    assert delta("pgbridge_backend_latency_seconds_count", backend="duckdb") >= ANALYSTS + 1
    assert delta("pgbridge_statement_duration_seconds_count", decision="allow") >= ANALYSTS + 1
    # every statement has a write-ahead and a completion record, each written and fsynced
    assert delta("pgbridge_audit_records_total", result="written") >= 2 * (2 * ANALYSTS + 1)
    assert delta("pgbridge_audit_write_seconds_count") > 0
    assert delta("pgbridge_audit_fsync_seconds_count") > 0
    assert value(after, "pgbridge_worker_threads_max", pool="duckdb") > 0
    assert value(after, "pgbridge_worker_threads_busy", pool="duckdb") == 0
    assert value(after, "process_resident_memory_bytes") > 0
    assert value(after, "process_open_fds") > 0
