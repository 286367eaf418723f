"""The gateway under load and faults, measured against the demo (issue 15, item 4).

One run, one temporary demo folder, one gateway process (`pgbridge serve`, the same command
each time it is started):

1. For each N in --clients (1, 16, 64, 500): N concurrent sessions, half asyncpg and half
   psycopg, each its own principal, run a mix for --duration seconds (bench/load_clients.py:
   point queries, 200k-row streams, client cancels, refused statements). Reported: operations/s,
   point-query p50/p99, errors by SQLSTATE (only 42501 and 57014 are intended), the gateway's
   peak RSS and open file descriptors (sampled from /proc every 50 ms), and
   `pgbridge audit verify` afterwards.
2. The same point-query load (asyncpg) against a real PostgreSQL 15 with TLS, for the ratio
   (N above its max_connections of 200 is left out).
3. --idle authenticated connections held open: RSS per connection, and a new client's login
   and `SELECT 1` timed while they are held.
4. kill -9 in the middle of a load run, then the same command again: the time until it
   listens, `audit verify`, and whether every statement a client saw succeed has its
   write-ahead and completion records.

Run: .venv/bin/python bench/load_bench.py [--duration 15] [--clients 1,16,64,500] [--idle 1000]
     [--skip-postgres] [--skip-idle] [--skip-kill]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import duckdb
import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from gateway_bench import PRODUCTS_DDL, enable_postgres_tls  # noqa: E402
from load_clients import INTENDED, Session, Tally, close, point_only, run_on  # noqa: E402

from pgbridge.auth.jwt import sign_token  # noqa: E402
from pgbridge.cli import DEMO_AUDIENCE, DEMO_ISSUER  # noqa: E402
from pgbridge.demo.config_text import render  # noqa: E402
from pgbridge.demo.setup import TOKEN_KEY, ensure_demo  # noqa: E402
from tests.support.gateway import wait_for_port  # noqa: E402
from tests.support.postgres import PostgresServer, free_port, running_postgres  # noqa: E402

LOAD_ROLE = """
[policy.roles.load]
datasets = ["shop"]
statements = ["select"]
max_bytes = 200_000_000
max_connections = 5
queries_per_minute = 1_000_000
"""


@dataclass
class Gateway:
    folder: Path
    port: int
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "gateway.log"

    def start(self) -> float:
        """Start (or restart) with the same command; seconds until it listens."""
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        wait_for_port("127.0.0.1", self.port, self.process, self.log_path, timeout=120)
        return time.monotonic() - started

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def token(self, sub: str) -> str:
        key = (self.folder / TOKEN_KEY).read_bytes()
        return sign_token(key, sub, ("load",), 7200, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)

    async def asyncpg(self, sub: str) -> asyncpg.Connection:
        return await asyncpg.connect(host="127.0.0.1", port=self.port, user=sub, database="pgbridge",
                                     password=self.token(sub), ssl="require", timeout=120)

    def conninfo(self, sub: str) -> str:
        return (f"host=127.0.0.1 port={self.port} dbname=pgbridge user={sub} sslmode=require "
                f"password={self.token(sub)} connect_timeout=120")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(120)


def make_gateway(folder: Path) -> Gateway:
    port = free_port()
    config = ensure_demo(folder, "127.0.0.1", port)
    text = render("127.0.0.1", port, 0).replace(
        "[server]\n", "[server]\nmax_connections = 3000\nmax_unauthenticated_connections = 1000\n", 1)
    config.write_text(text + LOAD_ROLE)
    argv = [sys.executable, "-m", "pgbridge.cli", "serve", "--config", str(config)]
    return Gateway(folder, port, argv)


class ProcSampler:
    """Peak RSS and open file descriptors of a process, from /proc every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_rss, self.peak_fds = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, rss(self.pid))
                self.peak_fds = max(self.peak_fds, len(os.listdir(f"/proc/{self.pid}/fd")))
            except OSError:
                return
            time.sleep(0.05)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def audit_verify(folder: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "pgbridge.cli", "audit", "verify", "--audit-dir",
                           str(folder / "audit")], capture_output=True, text=True, timeout=600)
    first = (done.stdout or done.stderr).strip().splitlines()[:1]
    return ("OK" if done.returncode == 0 else "FAILED") + (f" ({first[0][:60]})" if first else "")


async def open_sessions(gw: Gateway, clients: int) -> list[Session]:
    """N sessions, half asyncpg and half psycopg, each its own principal; 50 logins at a time."""
    gate = asyncio.Semaphore(50)

    async def one(index: int) -> Session:
        sub = f"load{clients}_{index}"
        async with gate:
            if index % 2:
                return await psycopg.AsyncConnection.connect(gw.conninfo(sub), autocommit=True)
            return await gw.asyncpg(sub)

    return list(await asyncio.gather(*(one(i) for i in range(clients))))


async def load_level(gw: Gateway, clients: int, duration: float) -> dict[str, object]:
    with ProcSampler(gw.pid) as sampler:
        started = time.monotonic()
        sessions = await open_sessions(gw, clients)
        login_s = time.monotonic() - started
        deadline = time.monotonic() + duration
        started = time.monotonic()
        tallies = await asyncio.gather(*(run_on(conn, deadline, i) for i, conn in enumerate(sessions)))
        elapsed = time.monotonic() - started
        await asyncio.gather(*(close(conn) for conn in sessions))
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return {"N": clients, "elapsed": elapsed, "tally": total, "rss": sampler.peak_rss, "login": login_s,
            "fds": sampler.peak_fds, "verify": audit_verify(gw.folder)}


def level_line(result: dict[str, object]) -> str:
    tally = result["tally"]
    assert isinstance(tally, Tally)
    ops = sum(tally.ops.values())
    unintended = {k: v for k, v in tally.errors.items() if k not in INTENDED}
    lat = tally.point_latencies
    seconds = float(result["elapsed"])  # type: ignore[arg-type]
    login = float(result["login"])  # type: ignore[arg-type]
    return (f"| {result['N']} | {login:.1f} | {ops / seconds:.0f} | {len(lat) / seconds:.0f} "
            f"| {percentile(lat, 0.5) * 1000:.1f} | {percentile(lat, 0.99) * 1000:.1f} "
            f"| {dict(sorted(tally.errors.items()))} | {unintended or 'none'} "
            f"| {int(result['rss']) / 2**20:.0f} | {result['fds']} | {result['verify']} |")


def read_products(folder: Path) -> list[tuple[object, ...]]:
    """shop.products from the warehouse, read before the gateway locks the file."""
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT id, name, category, price, tags, attrs FROM shop.products").fetchall()
    finally:
        con.close()


async def postgres_point_load(
    pg: PostgresServer, folder: Path, products: list[tuple[object, ...]], levels: list[int], duration: float
) -> list[str]:
    """The point-query load against PostgreSQL 15 with TLS (the demo's certificate)."""
    conn = await asyncpg.connect(pg.dsn)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS shop")
        await conn.execute(PRODUCTS_DDL)
        await conn.copy_records_to_table("products", schema_name="shop", records=products)
    finally:
        await conn.close()
    await enable_postgres_tls(pg, folder)
    lines = []
    for clients in [n for n in levels if n <= 190]:
        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(pg.dsn, ssl="require", timeout=60)

        deadline = time.monotonic() + duration
        started = time.monotonic()
        tallies = await asyncio.gather(*(point_only(connect, deadline, i) for i in range(clients)))
        elapsed = time.monotonic() - started
        lat = [x for t in tallies for x in t.point_latencies]
        lines.append(f"| {clients} | {len(lat) / elapsed:.0f} | {percentile(lat, 0.5) * 1000:.2f} "
                     f"| {percentile(lat, 0.99) * 1000:.2f} |")
    return lines


async def gateway_point_load(gw: Gateway, levels: list[int], duration: float) -> list[str]:
    """The same point-query-only load through the gateway, for the ratio."""
    lines = []
    for clients in levels:
        deadline = time.monotonic() + duration
        started = time.monotonic()
        subs = [f"point{clients}_{i}" for i in range(clients)]
        tallies = await asyncio.gather(*(
            point_only(lambda sub=sub: gw.asyncpg(sub), deadline, i) for i, sub in enumerate(subs)))
        elapsed = time.monotonic() - started
        lat = [x for t in tallies for x in t.point_latencies]
        lines.append(f"| {clients} | {len(lat) / elapsed:.0f} | {percentile(lat, 0.5) * 1000:.2f} "
                     f"| {percentile(lat, 0.99) * 1000:.2f} |")
    return lines


async def idle_connections(gw: Gateway, count: int) -> list[str]:
    before = rss(gw.pid)
    held: list[asyncpg.Connection] = []
    opened = time.monotonic()
    for start in range(0, count, 50):  # 50 logins at a time: the unauthenticated cap is 1000
        held += await asyncio.gather(*(gw.asyncpg(f"idle{i}") for i in range(start, min(count, start + 50))))
    opened = time.monotonic() - opened
    await asyncio.sleep(2)
    after = rss(gw.pid)
    fds = len(os.listdir(f"/proc/{gw.pid}/fd"))
    logins, queries = [], []
    for attempt in range(20):
        started = time.perf_counter()
        conn = await gw.asyncpg(f"newcomer{attempt}")
        logged_in = time.perf_counter()
        await conn.fetchval("SELECT 1")
        queries.append(time.perf_counter() - logged_in)
        logins.append(logged_in - started)
        await conn.close()
    await asyncio.gather(*(conn.close(timeout=30) for conn in held))
    both = [a + b for a, b in zip(logins, queries, strict=True)]
    return [
        f"- {count} idle authenticated connections opened in {opened:.1f} s; "
        f"gateway RSS {before / 2**20:.0f} MiB "
        f"-> {after / 2**20:.0f} MiB: {(after - before) / count / 1024:.0f} KiB per connection; {fds} fds",
        f"- a new client meanwhile (20 tries): login (TLS + JWT) median "
        f"{statistics.median(logins) * 1000:.1f} ms, "
        f"max {max(logins) * 1000:.1f} ms; `SELECT 1` median {statistics.median(queries) * 1000:.1f} ms, "
        f"max {max(queries) * 1000:.1f} ms; login + query max {max(both) * 1000:.1f} ms",
    ]


async def kill_and_restart(gw: Gateway, clients: int, after: float) -> list[str]:
    """kill -9 during a load run, then the same command again; check the records of every
    statement a client saw succeed."""
    succeeded: list[str] = []

    async def client(index: int) -> None:
        conn = await gw.asyncpg(f"victim{index}")
        seq = 0
        try:
            while True:
                tag = f"k{index}-{seq}"
                sql = f"SELECT id FROM shop.products WHERE id = {1 + seq % 1000} AND name <> '{tag}'"
                await conn.fetch(sql)
                succeeded.append(tag)
                seq += 1
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return  # the gateway died under it

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.sleep(after)
    os.kill(gw.pid, signal.SIGKILL)
    await asyncio.wait(tasks, timeout=60)
    assert gw.process is not None
    gw.process.wait(30)
    restart_s = gw.start()
    verify = audit_verify(gw.folder)
    statements, completed = {}, set()
    for path in sorted((gw.folder / "audit").glob("audit-*.jsonl")):
        for raw in path.read_bytes().splitlines():
            record = json.loads(raw)
            data = record.get("data", {})
            if record["type"] == "statement" and "name <> 'k" in str(data.get("sql")):
                statements[str(data["sql"]).rsplit("'", 2)[1]] = data["statement_id"]
            elif record["type"] == "statement_completed":
                completed.add(data["statement_id"])
    recorded = [tag for tag in succeeded if tag in statements]
    finished = [tag for tag in recorded if statements[tag] in completed]
    recovered = "log_recovered" in "".join(p.read_text() for p in (gw.folder / "audit").glob("audit-*.jsonl"))
    return [
        f"- {clients} asyncpg clients, kill -9 after {after:g} s: {len(succeeded)} statements had succeeded",
        f"- restart with the same command, no clean-up: listening again after {restart_s:.1f} s; "
        f"torn tail recovered: {'yes (log_recovered record)' if recovered else 'nothing to recover'}",
        f"- `audit verify` after the restart: {verify}",
        f"- of the {len(succeeded)} statements clients saw succeed: {len(recorded)} have their write-ahead "
        f"`statement` record, {len(finished)} their `statement_completed` record",
    ]


async def run(args: argparse.Namespace) -> list[str]:
    levels = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="pgbridge-load-") as tmp:
        gw = make_gateway(Path(tmp) / "demo")
        products = read_products(gw.folder)
        gw.start()
        try:
            out = ["## Mixed load", "",
                   "| N | logins s | ops/s | point q/s | p50 ms | p99 ms | errors by SQLSTATE | unintended "
                   "| peak RSS MiB | peak fds | audit verify |", "| --- " * 11 + "|"]
            for clients in levels:
                out.append(level_line(await load_level(gw, clients, args.duration)))
                print(out[-1], flush=True)
            if not args.skip_postgres:
                out += ["", "## Point queries only: gateway vs PostgreSQL 15 (TLS)", "",
                        "| N | gateway q/s | p50 ms | p99 ms |", "| --- " * 4 + "|"]
                out += await gateway_point_load(gw, levels, args.duration)
                with running_postgres() as pg:
                    out += ["", "| N | postgres q/s | p50 ms | p99 ms |", "| --- " * 4 + "|"]
                    out += await postgres_point_load(pg, gw.folder, products, levels, args.duration)
            if not args.skip_idle:
                out += ["", "## Idle connections", ""] + await idle_connections(gw, args.idle)
            if not args.skip_kill:
                out += ["", "## kill -9 and restart", ""] + await kill_and_restart(gw, 16, args.kill_after)
        finally:
            gw.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load level")
    parser.add_argument("--clients", default="1,16,64,500", help="comma-separated N")
    parser.add_argument("--idle", type=int, default=1000, help="idle connections to hold")
    parser.add_argument("--kill-after", type=float, default=5.0, help="seconds of load before kill -9")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    print("\n".join(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
