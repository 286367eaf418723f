"""SIGTERM, sent to a real gateway process: not ready at once, no new clients, idle sessions
told why they end, a running statement finishes within the grace period, one still running
after it is cancelled, the audit log closes cleanly, and the process exits 0."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from tests.audit_wire.support import of_type, read_records
from tests.ops.support import log_lines, ops_gateway, start_waiting
from tests.support.cli import approve, run_cli
from tests.support.clients import asyncpg_connect

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

GRACE_S = 6.0
WAITS_ROWS = 3_000_000  # what the approval-waiting count returns once approved


async def _until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_sigterm_drains_finishes_cancels_and_exits_zero(demo_copy: Callable[[str], Path]) -> None:
    with ops_gateway(demo_copy("ops-drain"), f"shutdown_grace_s = {GRACE_S}\n") as og:
        gw = og.gw
        idle = await asyncpg_connect(gw, "ivy", ("admin",))
        assert await idle.fetchval("SELECT count(*) FROM shop.products") == 1000
        finishing_conn = await asyncpg_connect(gw, "fin", ("analyst",))
        finishing, finishing_id = await start_waiting(finishing_conn)
        cut_conn = await asyncpg_connect(gw, "cut", ("analyst",))
        cut, _ = await start_waiting(cut_conn)

        sent = time.monotonic()
        gw.process.send_signal(signal.SIGTERM)
        await _until(lambda: og.ready()[0] == 503)
        status, ready = og.ready()
        assert ready["checks"]["draining"] != "ok" and ready["ready"] is False
        with pytest.raises((OSError, asyncpg.PostgresError)):  # the listening socket is closed
            await asyncpg_connect(gw, "late", ("admin",), timeout=5)
        # the idle session ends at once (its FATAL 57P01 is checked in the audit below)
        await _until(idle.is_closed)

        # a statement that can finish within the grace period finishes, and its rows arrive
        assert approve(gw, finishing_id, "carol").returncode == 0
        assert await asyncio.wait_for(finishing, 30) == WAITS_ROWS
        # one that cannot is cancelled when the grace period ends, with PostgreSQL's message
        with pytest.raises((asyncpg.AdminShutdownError, asyncpg.ConnectionDoesNotExistError)) as ended:
            await asyncio.wait_for(cut, GRACE_S + 30)
        assert "terminating connection due to administrator command" in str(ended.value)
        assert time.monotonic() - sent >= GRACE_S - 0.5

        assert await asyncio.to_thread(gw.process.wait, 30) == 0
        for conn in (finishing_conn, cut_conn, idle):
            conn.terminate()

        records = read_records(gw.data_dir / "audit")
        assert records[-1]["type"] == "log_closed"
        done = run_cli("audit", "verify", "--audit-dir", str(gw.data_dir / "audit"))
        assert done.returncode == 0, done.stdout + done.stderr
        completed = of_type(records, "statement_completed")
        assert any(r["rows"] == 1 and r["sqlstate"] is None and r["job_id"] for r in completed)  # finishing
        closed = of_type(records, "connection_closed")
        # idle, finishing (ended after its statement) and cut were each told why
        assert sum("57P01" in str(r.get("reason")) for r in closed) == 3
        lines = [line for line in log_lines(gw) if line.get("event") == "drain"]
        assert lines and lines[0]["running"] == 2
