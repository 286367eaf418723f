"""`pgbridge serve --workers 2` (issue 14, item 3): two processes on one port with SO_REUSEPORT.

Real gateway processes over a read-only copy of the demo warehouse, real asyncpg clients. A
CancelRequest reaches the worker that owns the session whichever worker accepts it; the
per-principal connection limit counts connections of both workers together; each worker writes
its own audit chain and `pgbridge audit verify` checks both.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from pgbridge.demo.setup import demo_config
from pgbridge.server.multiworker import owner_of
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_connect
from tests.support.demo import copy_demo
from tests.support.gateway import RunningGateway, running_gateway, wait_for_workers

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

SLOW_QUERY = "SELECT sum(a.amount * b.amount) FROM shop.orders a CROSS JOIN shop.orders b"
CANCEL_CODE = 80877102


def two_worker_config() -> str:
    text = re.sub(r"(?m)^port = 0$", "port = {port}", demo_config("127.0.0.1", 0), count=1)
    # Several processes may open a DuckDB file only read-only.
    database = 'database = "warehouse.duckdb"\n'
    return text.replace(database, database + "read_only = true\n")


@pytest.fixture(scope="module")
def workers(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    data_dir = copy_demo(demo_dir, tmp_path_factory.mktemp("workers") / "demo")
    with running_gateway(data_dir, two_worker_config(), serve_args=["--workers", "2"]) as gateway:
        wait_for_workers(gateway, 2)
        yield gateway


async def _connect(gateway: RunningGateway, role: str = "admin", user: str = "alice") -> asyncpg.Connection:
    return await asyncpg_connect(gateway, user, (role,))


def _send_cancel(gateway: RunningGateway, process_id: int, secret: int) -> None:
    """A CancelRequest on a new connection, which the kernel hands to either worker."""
    with socket.create_connection((gateway.host, gateway.port), timeout=5) as sock:
        sock.sendall(struct.pack("!iiii", 16, CANCEL_CODE, process_id, secret))
        sock.recv(1)  # the server closes without a reply


async def test_connections_are_spread_over_both_workers(workers: RunningGateway):
    conns = [await _connect(workers) for _ in range(16)]
    try:
        owners = {owner_of(conn.get_server_pid()) for conn in conns}
        for conn in conns:
            assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    assert owners == {0, 1}


async def test_cancel_reaches_the_owning_worker_whichever_accepts_it(workers: RunningGateway):
    conn = await _connect(workers)
    try:
        protocol = conn._protocol  # the BackendKeyData asyncpg keeps for its own CancelRequests
        process_id, secret = protocol.backend_pid, protocol.backend_secret
        # Eight cancels, each on a new connection: without forwarding, half would land on the
        # other worker and be lost (all eight landing on the owner by chance: 1 in 256).
        for _ in range(8):
            running = asyncio.ensure_future(conn.fetchval(SLOW_QUERY))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            await asyncio.to_thread(_send_cancel, workers, process_id, secret)
            with pytest.raises(asyncpg.QueryCanceledError):
                await asyncio.wait_for(running, 10)
            assert time.monotonic() - started < 5
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_a_wrong_secret_cancels_nothing_on_either_worker(workers: RunningGateway):
    conn = await _connect(workers)
    try:
        process_id, secret = conn._protocol.backend_pid, conn._protocol.backend_secret
        running = asyncio.ensure_future(conn.fetchval(SLOW_QUERY))
        await asyncio.sleep(0.3)
        for _ in range(6):
            await asyncio.to_thread(_send_cancel, workers, process_id, secret ^ 1)
        await asyncio.sleep(1.0)
        assert not running.done()  # still running: no worker took a wrong secret
        for _ in range(20):  # then the right one ends it
            await asyncio.to_thread(_send_cancel, workers, process_id, secret)
            with contextlib.suppress(TimeoutError):
                with pytest.raises(asyncpg.QueryCanceledError):
                    await asyncio.wait_for(asyncio.shield(running), 2)
                break
        assert running.done()
    finally:
        await conn.close()


async def test_the_connection_limit_counts_both_workers(workers: RunningGateway):
    # analyst: max_connections = 20 (demo policy), whichever worker holds each connection
    conns = [await _connect(workers, "analyst", "limited") for _ in range(20)]
    try:
        assert {owner_of(conn.get_server_pid()) for conn in conns} == {0, 1}
        with pytest.raises(asyncpg.PostgresError) as refused:
            await _connect(workers, "analyst", "limited")
        assert refused.value.sqlstate == "53300" and "the limit is 20" in str(refused.value)
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    await asyncio.sleep(0.3)
    again = await _connect(workers, "analyst", "limited")  # slots come back when connections close
    await again.close()


async def test_each_worker_writes_its_own_chain_and_verify_checks_both(workers: RunningGateway):
    conns = [await _connect(workers) for _ in range(8)]
    try:
        for index, conn in enumerate(conns):
            assert await conn.fetchval("SELECT id FROM shop.products WHERE id = $1", index + 1) == index + 1
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    audit = workers.data_dir / "audit"
    assert list(audit.glob("audit-*.jsonl")) and list((audit / "worker-1").glob("audit-*.jsonl"))
    done = run_cli("audit", "verify", "--audit-dir", str(audit), "--data-dir", str(workers.data_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 chains verify" in done.stdout
    assert f"chain {audit}:" in done.stdout and f"chain {audit / 'worker-1'}:" in done.stdout
    # each worker's records name its own gateway id, `<gateway_id>/w<k>` (anchors tell them apart)
    named = {k: _gateways(audit if k == 0 else audit / f"worker-{k}") for k in (0, 1)}
    assert len(named[0]) == 1 and len(named[1]) == 1, named
    (first,), (second,) = named[0], named[1]
    assert first.endswith("/w0") and second == first[: -len("/w0")] + "/w1"
    # the several-gateway path (--anchors, or several directories: here the same one twice)
    # checks each worker's chain on its own
    many = run_cli("audit", "verify", "--data-dir", str(workers.data_dir), str(audit), str(audit))
    assert many.returncode == 0 and "4 of 4 gateway log(s) verify" in many.stdout, many.stdout + many.stderr


def _gateways(chain: Path) -> set[str]:
    lines = [line for path in sorted(chain.glob("audit-*.jsonl")) for line in path.read_text().splitlines()]
    return {record["data"]["gateway"] for record in map(json.loads, lines) if "gateway" in record["data"]}


def test_one_worker_unless_asked_and_zero_means_one_per_core(demo_dir: Path) -> None:
    from pgbridge.config import load_config
    from pgbridge.config_base import ConfigError
    from pgbridge.server.multiworker import resolve_workers

    config = load_config(demo_dir / "pgbridge.toml")  # a writable DuckDB warehouse
    assert resolve_workers(config, None) == 1 and resolve_workers(config, 0) == 1
    with pytest.raises(ConfigError, match="read_only"):
        resolve_workers(config, 2)
    duckdb = dataclasses.replace(config.backend.duckdb, read_only=True)
    shared = dataclasses.replace(config, backend=dataclasses.replace(config.backend, duckdb=duckdb))
    assert resolve_workers(shared, 0) == (os.cpu_count() or 1) and resolve_workers(shared, 3) == 3


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait_gone(pids: list[int], timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]
        if not alive:
            return []
        time.sleep(0.1)
    return alive


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_workers_end_with_the_supervisor(
    demo_dir: Path, tmp_path: Path, how: signal.Signals
) -> None:
    data_dir = copy_demo(demo_dir, tmp_path / "demo")
    with running_gateway(data_dir, two_worker_config(), serve_args=["--workers", "2"]) as gateway:
        wait_for_workers(gateway, 2)
        workers = _children(gateway.process.pid)
        assert len(workers) == 2
        gateway.process.send_signal(how)  # SIGKILL: the kernel's PDEATHSIG ends the workers
        gateway.process.wait(15)
        assert _wait_gone(workers) == []
        if how == signal.SIGTERM:
            assert gateway.process.returncode == 0
