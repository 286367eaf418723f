"""Cancel across gateways (issue 16, item 2): a CancelRequest that lands on another gateway
than its session's is forwarded to the owner, which cancels the statement.

Three gateway processes, peers 1, 2 and 3 of one [cluster], each with the same peers table;
gateway 1 runs two workers (`serve --workers 2`), so a forwarded request may also take the
owner's worker relay. Sessions on gateway 1 are cancelled by raw CancelRequests sent straight to
gateway 2 or 3 (deterministic: never the owner), and by asyncpg's and psycopg's own cancels
through the round-robin proxy, whose turn makes the cancel's new connection land on the next
gateway. Each cancelled statement answers 57014 within seconds (the DuckDB job was interrupted:
the trillion-row product would run for hours), its session goes on, and the owner's audit chain
records the cancel and the statement's completion with 57014.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest

from pgbridge.demo.setup import demo_config
from pgbridge.server.cancel_keys import peer_of
from tests.multi.support import log_records
from tests.ops.support import log_lines
from tests.support.clients import asyncpg_connect, psycopg_connect
from tests.support.gateway import RunningGateway, running_gateway, wait_for_workers
from tests.support.postgres import free_port
from tests.support.proxy import round_robin_proxy

# Gateway processes side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

CANCEL_CODE = 80877102
# Every session's backstop: a lost cancel fails a test (too slow, no cancel record) instead of
# hanging it on a statement that runs for hours.
BACKSTOP = "SET statement_timeout = '15s'"


def _slow_query() -> str:
    """A trillion-row cross product, its text unique so the audit finds this very statement."""
    tag = uuid.uuid4().int % 1_000_000
    return f"SELECT sum(a.amount * b.amount) + {tag} FROM shop.orders a CROSS JOIN shop.orders b"


def peered_config(peer_id: int, ports: list[int]) -> str:
    """The demo config as peer `peer_id` of a cluster whose gateways listen on `ports`."""
    text = demo_config("127.0.0.1", 0).replace("\nport = 0\n", "\nport = {port}\n", 1)
    text = text.replace("[audit]\n", f'[audit]\ngateway_id = "gw{peer_id}"\n', 1)
    database = 'database = "warehouse.duckdb"\n'  # several workers share it read-only
    text = text.replace(database, database + "read_only = true\n", 1)
    peers = ", ".join(f'{n} = "127.0.0.1:{port}"' for n, port in enumerate(ports, 1))
    return f"{text}\n[cluster]\npeer_id = {peer_id}\npeers = {{ {peers} }}\n"


@pytest.fixture(scope="module")
def cluster(demo_copy: Callable[[str], Path]) -> Iterator[list[RunningGateway]]:
    ports = [free_port() for _ in range(3)]
    with ExitStack() as stack:
        gateways = []
        for peer_id, port in enumerate(ports, 1):
            workers = ["--workers", "2"] if peer_id == 1 else []
            gateway = running_gateway(
                demo_copy(f"peer{peer_id}"), peered_config(peer_id, ports), serve_args=workers, port=port
            )
            gateways.append(stack.enter_context(gateway))
        wait_for_workers(gateways[0], 2)
        yield gateways


def _send_cancel(gateway: RunningGateway, process_id: int, secret: int) -> None:
    """A raw CancelRequest to this gateway; returns once it closes the connection (after acting)."""
    with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
        sock.sendall(struct.pack("!iiii", 16, CANCEL_CODE, process_id, secret))
        assert sock.recv(1) == b""  # closed without a reply, as PostgreSQL does


def _audit(gateway: RunningGateway) -> list[dict[str, Any]]:
    """Every record of the gateway's chains (worker k of `--workers` writes audit/worker-k)."""
    audit = gateway.data_dir / "audit"
    return [r for folder in (audit, *sorted(audit.glob("worker-*"))) for r in log_records(folder)]


def _of(records: list[dict[str, Any]], kind: str, statement_id: str) -> list[dict[str, Any]]:
    return [r["data"] for r in records if r["type"] == kind and r["data"]["statement_id"] == statement_id]


def _assert_cancel_recorded(gateway: RunningGateway, sql: str) -> None:
    """The owner's audit: the statement, a cancel naming it, and its completion with 57014."""
    deadline = time.monotonic() + 10
    while True:
        records = _audit(gateway)
        [statement] = [r["data"] for r in records if r["type"] == "statement" and r["data"].get("sql") == sql]
        sid = statement["statement_id"]
        cancels = _of(records, "cancel", sid)
        done = _of(records, "statement_completed", sid)
        if (cancels and done) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert cancels and cancels[0]["session_id"] == statement["session_id"], cancels
    assert [d["sqlstate"] for d in done] == ["57014"], done


async def _cancelled_through(
    conn: asyncpg.Connection, target: RunningGateway, process_id: int, secret: int
) -> str:
    """Run a slow statement, cancel it by a raw request to `target`; the statement's text."""
    sql = _slow_query()
    running = asyncio.ensure_future(conn.fetchval(sql))
    await asyncio.sleep(1.2)  # running for a while (and past the peers' repeat window)
    assert not running.done()
    started = time.monotonic()
    await asyncio.to_thread(_send_cancel, target, process_id, secret)
    with pytest.raises(asyncpg.QueryCanceledError) as caught:
        await asyncio.wait_for(running, 10)
    assert caught.value.sqlstate == "57014" and time.monotonic() - started < 5
    return sql


async def test_a_cancel_sent_to_another_gateway_cancels_the_statement(cluster: list[RunningGateway]):
    owner, second, third = cluster
    conn = await asyncpg_connect(owner)
    try:
        await conn.execute(BACKSTOP)
        process_id, secret = conn._protocol.backend_pid, conn._protocol.backend_secret
        assert peer_of(process_id) == 1  # the key names gateway 1
        # Four cancels, through gateway 2 and 3 in turn; each reaches one of gateway 1's two
        # workers, which relays it to the session's worker when it is not that one.
        statements = []
        for target in (second, third, second, third):
            statements.append(await _cancelled_through(conn, target, process_id, secret))
            assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()
    for sql in statements:
        _assert_cancel_recorded(owner, sql)
    assert "forwarded to peer 1" in second.log() and "forwarded to peer 1" in third.log()
    assert not [r for gw in (second, third) for r in _audit(gw) if r["type"] == "cancel"]


async def test_a_wrong_secret_forwarded_to_the_owner_cancels_nothing(cluster: list[RunningGateway]):
    owner, second, third = cluster
    conn = await asyncpg_connect(owner)
    try:
        await conn.execute(BACKSTOP)
        process_id, secret = conn._protocol.backend_pid, conn._protocol.backend_secret
        sql = _slow_query()
        running = asyncio.ensure_future(conn.fetchval(sql))
        await asyncio.sleep(0.5)
        forwarded = second.log().count("forwarded to peer 1")
        for target in (second, third, second):
            await asyncio.to_thread(_send_cancel, target, process_id, secret ^ 1)
            await asyncio.sleep(1.1)  # past the repeat window: each one is forwarded
        assert second.log().count("forwarded to peer 1") == forwarded + 2  # it reached the owner
        assert not running.done()  # which ignored it: still running
        await asyncio.to_thread(_send_cancel, third, process_id, secret)
        with pytest.raises(asyncpg.QueryCanceledError):
            await asyncio.wait_for(running, 10)
    finally:
        await conn.close()
    _assert_cancel_recorded(owner, sql)


async def test_client_cancels_through_the_load_balancer_land_elsewhere_and_arrive(
    cluster: list[RunningGateway],
):
    async with round_robin_proxy([(gw.host, gw.port) for gw in cluster]) as proxy:
        balancer = dataclasses.replace(cluster[0], host=proxy.host, port=proxy.port)
        # psycopg (libpq): the session is the proxy's first connection (gateway 1), its cancel
        # the second (gateway 2)
        sql = await asyncio.to_thread(_psycopg_cancelled, balancer)
        assert proxy.counts == [1, 1, 0]
        _assert_cancel_recorded(cluster[0], sql)
        # asyncpg: the session is the third (gateway 3), its cancel the fourth (gateway 1)
        conn = await asyncpg_connect(balancer)
        try:
            assert peer_of(conn.get_server_pid()) == 3
            await conn.execute(BACKSTOP)
            sql = _slow_query()
            running = asyncio.ensure_future(conn.fetchval(sql))
            await asyncio.sleep(1.0)
            started = time.monotonic()
            running.cancel()  # asyncpg sends a CancelRequest on a new connection, and waits
            with pytest.raises(asyncio.CancelledError):
                await running
            assert time.monotonic() - started < 5
            assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
        finally:
            await conn.close()
        assert proxy.counts == [2, 1, 1]
    _assert_cancel_recorded(cluster[2], sql)


def _psycopg_cancelled(balancer: RunningGateway) -> str:
    sql = _slow_query()
    with psycopg_connect(balancer, autocommit=True) as conn:
        assert peer_of(conn.info.backend_pid) == 1
        conn.execute(BACKSTOP)
        timer = threading.Timer(1.0, conn.cancel_safe)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            conn.execute(sql)
        timer.join()
        assert caught.value.sqlstate == "57014" and time.monotonic() - started < 6
        assert "statement timeout" not in str(caught.value)
        assert conn.execute("SELECT count(*) FROM shop.products").fetchone() == (1000,)
    return sql


async def _hup(gateway: RunningGateway) -> dict[str, Any]:
    """SIGHUP, and the reload's log line once it is written (it must say applied)."""
    seen = len([line for line in log_lines(gateway) if line.get("event") == "reload"])
    gateway.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while True:
        reloads = [line for line in log_lines(gateway) if line.get("event") == "reload"]
        if len(reloads) > seen:
            assert reloads[seen]["result"] == "applied", reloads[seen]
            return reloads[seen]
        assert time.monotonic() < deadline, "no reload line in the log"
        await asyncio.sleep(0.05)


async def test_a_reload_applies_new_peer_addresses_and_keeps_the_peer_id(cluster: list[RunningGateway]):
    owner, _, third = cluster
    original = third.config_path.read_text()
    right = f'1 = "127.0.0.1:{owner.port}"'
    assert right in original
    try:
        third.config_path.write_text(original.replace(right, f'1 = "127.0.0.1:{free_port()}"'))
        reload = await _hup(third)
        assert "cluster peers changed (2 other peers)" in reload["changes"] and not reload["restart_needed"]
        conn = await asyncpg_connect(owner)
        try:
            await conn.execute(BACKSTOP)
            process_id, secret = conn._protocol.backend_pid, conn._protocol.backend_secret
            running = asyncio.ensure_future(conn.fetchval(_slow_query()))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(_send_cancel, third, process_id, secret)  # to the wrong address
            await asyncio.sleep(1.1)
            assert not running.done() and "could not forward a cancel request" in third.log()
            third.config_path.write_text(original)
            await _hup(third)
            await asyncio.to_thread(_send_cancel, third, process_id, secret)  # to the right one again
            with pytest.raises(asyncpg.QueryCanceledError):
                await asyncio.wait_for(running, 10)
        finally:
            await conn.close()
        # a new peer_id needs a restart: the keys handed out name the old one, which stays
        renumbered = original.replace("peer_id = 3", "peer_id = 4").replace(" 3 = ", " 4 = ")
        third.config_path.write_text(renumbered)
        assert (await _hup(third))["restart_needed"] == ["cluster.peer_id"]
        conn = await asyncpg_connect(third)
        assert peer_of(conn.get_server_pid()) == 3
        await conn.close()
    finally:
        third.config_path.write_text(original)
