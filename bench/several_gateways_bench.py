"""Throughput through a TCP round-robin proxy with 1, 2 and 3 gateways (issue 16, item 6).

    .venv/bin/python bench/several_gateways_bench.py [--seconds 8] [--clients 12]

Each gateway runs on its own copy of the demo, with the setting several gateways need: the
approvals store and the audit anchors in one PostgreSQL 15 (started here), its own audit log.
The proxy is a process of its own (tests/support/proxy.py); the clients are asyncpg in this
process, each its own subject with role admin (the demo analyst's per-principal limits, which
each gateway counts on its own, would cap the figures). Workloads, each for --seconds:
- `point`: `SELECT id, name, price FROM shop.products WHERE id = $1` on persistent connections;
- `connect`: connect (TLS, JWT), one point query, disconnect;
- `scan`: `SELECT status, count(*) FROM shop.orders GROUP BY status` (about 9 MB scanned).
Everything shares this machine's cores: the figures say how the gateway count changes
throughput here, not what separate machines would give.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgbridge.audit.anchor_pg import setup as anchors_setup  # noqa: E402
from tests.multi.support import several_config  # noqa: E402
from tests.support.demo import build_demo, copy_demo  # noqa: E402
from tests.support.gateway import RunningGateway, running_gateway  # noqa: E402
from tests.support.postgres import PostgresServer, running_postgres  # noqa: E402

POINT = "SELECT id, name, price FROM shop.products WHERE id = $1"
SCAN = "SELECT status, count(*) FROM shop.orders GROUP BY status"


@contextlib.contextmanager
def proxy_process(gateways: list[RunningGateway]) -> Iterator[int]:
    argv = [sys.executable, "-m", "tests.support.proxy", *(f"{gw.host}:{gw.port}" for gw in gateways)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(10)


def stores(server: PostgresServer) -> tuple[str, str]:
    """(anchors URL for an INSERT-only role, approvals store URL) on fresh databases."""
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        for name in ("bench_anchor", "bench_store"):
            conn.execute(f'CREATE ROLE "{name}" LOGIN')  # type: ignore[arg-type]
        conn.execute("CREATE DATABASE bench_anchors")
        conn.execute("CREATE DATABASE bench_store OWNER bench_store")
    base = f"postgresql://{server.user}@{server.host}:{server.port}"
    anchors_setup(f"{base}/bench_anchors", "bench_anchor")
    at = f"{server.host}:{server.port}"
    return f"postgresql://bench_anchor@{at}/bench_anchors", f"postgresql://bench_store@{at}/bench_store"


async def run_for(
    seconds: float, clients: int, step: Callable[[int], Awaitable[None]]
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            await step(n * 1000 + i)
            latencies.append(time.perf_counter() - start)
            i += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    return len(latencies), latencies


async def measure(
    port: int, gw: RunningGateway, seconds: float, clients: int
) -> dict[str, tuple[float, float, float]]:
    tokens = [gw.token(f"bench{n}", ("admin",)) for n in range(clients)]

    async def connect(n: int) -> asyncpg.Connection:
        return await asyncpg.connect(
            host="127.0.0.1",
            port=port,
            user=f"bench{n}",
            database="pgbridge",
            password=tokens[n],
            ssl="require",
            timeout=60,
        )

    pool = [await connect(n) for n in range(clients)]
    results: dict[str, tuple[float, float, float]] = {}

    async def point(i: int) -> None:
        await pool[i // 1000].fetchrow(POINT, i % 1000 + 1)

    async def scan(i: int) -> None:
        await pool[i // 1000].fetch(SCAN)

    async def fresh(i: int) -> None:
        conn = await connect(i // 1000)
        await conn.fetchrow(POINT, i % 1000 + 1)
        await conn.close()

    for name, step in (("point", point), ("connect", fresh), ("scan", scan)):
        count, latencies = await run_for(seconds, clients, step)
        cuts = statistics.quantiles(latencies, n=100)
        results[name] = (count / seconds, cuts[49] * 1000, cuts[98] * 1000)
    for conn in pool:
        await conn.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--counts", default="1,2,3", help="gateway counts to measure")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as server:
        template = build_demo(Path(tmp) / "template")
        anchor_url, store_url = stores(server)
        for count in (int(n) for n in args.counts.split(",")):
            with contextlib.ExitStack() as stack:
                gateways = [
                    stack.enter_context(
                        running_gateway(
                            copy_demo(template, Path(tmp) / f"gw{count}-{n}"),
                            several_config(anchor_url, store_url, f"bench-{count}-{n}", interval_s=10),
                        )
                    )
                    for n in range(count)
                ]
                port = stack.enter_context(proxy_process(gateways))
                results = asyncio.run(measure(port, gateways[0], args.seconds, args.clients))
                rows.append((count, results))
    print(f"{args.clients} clients, {args.seconds:g} s per workload, {os.cpu_count()} cores\n")
    cells = ("point q/s", "p50 ms", "p99 ms", "connect/s", "p50 ms", "p99 ms", "scan q/s", "p50 ms", "p99 ms")
    print("| gateways | " + " | ".join(cells) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for count, results in rows:
        cells = [f"{rate:.0f} | {p50:.1f} | {p99:.1f}" for rate, p50, p99 in results.values()]
        print(f"| {count} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
