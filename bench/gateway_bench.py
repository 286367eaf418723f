"""The gateway beside a real PostgreSQL 15, same rows, same clients, same run (issue 2, item 9).

Builds the demo folder in a temporary directory, loads the same shop.orders (1,000,000 rows)
and shop.products rows into a throwaway PostgreSQL 15, starts `pgbridge serve` over the demo
warehouse (role admin, so no masking), and measures:

- asyncpg `fetch("SELECT * FROM shop.orders")`: rows/s, best and median of --runs;
- psql `-c 'SELECT * FROM shop.orders' -o /dev/null` wall time, aligned and with -A -t;
- p50 / p99 latency of `SELECT 1` and `SELECT * FROM shop.products WHERE id = 1` through
  asyncpg, prepared (extended protocol, statement prepared once) and simple protocol;
- with --stream-rows N (default 10,000,000): one N-row result read by a raw client that
  stops reading for --pause seconds, with the gateway's peak RSS growth (item 6).

The gateway requires TLS, so PostgreSQL is measured with TLS too (the demo's certificate),
and once without, to show what TLS alone costs. The machine has two cores shared by the
client, the server and anything else running: compare figures from the same run only.

- the point-query load of issue 14 (bench/point_load.py): 1, 16 and 64 asyncpg clients each
  running a prepared `SELECT * FROM shop.products WHERE id = $1` for --load-seconds, gateway and
  PostgreSQL-with-TLS alternately, --load-runs times: statements/s, p50 / p99;
- catalog commands (bench/catalog_bench.py): psql `\\d shop.customers` per process and in one
  session, SQLAlchemy reflection of the shop schema; gateway / PostgreSQL ratio.

Run: .venv/bin/python bench/gateway_bench.py [--runs 3] [--iterations 1000] [--stream-rows 0]
     [--only load,catalog,scan,psql,latency] [--load-clients 1,16,64] [--load-seconds 20]
     [--workers N] [--gateway-tree DIR]   (run the gateway from another copy of the source, for
     an A/B test)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import catalog_bench  # noqa: E402
import point_load  # noqa: E402

from pgbridge.demo.setup import ensure_demo  # noqa: E402
from tests.streaming.memory import RssSampler  # noqa: E402
from tests.support.gateway import RunningGateway, running_gateway, wait_for_workers  # noqa: E402
from tests.support.postgres import PostgresServer, running_postgres  # noqa: E402
from tests.support.rawclient import RawClient  # noqa: E402

FULL_SCAN = "SELECT * FROM shop.orders"
ONE_ROW = "SELECT * FROM shop.products WHERE id = 1"
ORDERS_DDL = (
    "CREATE TABLE shop.orders (id bigint, customer_id bigint, product_id bigint, "
    "ordered_at timestamptz, amount float8, status text)"
)
PRODUCTS_DDL = (
    "CREATE TABLE shop.products (id bigint, name text, category text, price numeric, "
    "tags text[], attrs jsonb, unit_cost numeric(12, 2))"
)
CUSTOMERS_DDL = (  # empty: for the catalog commands only
    "CREATE TABLE shop.customers (id bigint, name text, email text, phone text, ssn text, "
    "card_number text, country text, created_at timestamptz, lifetime_value numeric)"
)
SECTIONS = ("scan", "psql", "latency", "load", "catalog")


@dataclass
class Target:
    """One server to measure: how asyncpg and psql reach it."""

    label: str
    connect: Callable[[], Awaitable[asyncpg.Connection]]
    psql_conninfo: str
    psql_env: dict[str, str]


# -- setting up both servers ------------------------------------------------------------------


def export_warehouse(warehouse: Path, folder: Path) -> tuple[Path, list[tuple[Any, ...]]]:
    """shop.orders as CSV and shop.products as rows, read before the gateway locks the file."""
    orders_csv = folder / "orders.csv"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY (SELECT * FROM shop.orders ORDER BY id) TO '{orders_csv}' (HEADER false)")
        products = [
            (*row[:3], _undeclared_scale(row[3]), *row[4:])
            for row in con.execute(
                "SELECT id, name, category, price, tags, attrs, unit_cost FROM shop.products ORDER BY id"
            ).fetchall()
        ]
    finally:
        con.close()
    return orders_csv, products


def _undeclared_scale(value: Decimal) -> Decimal:
    """price is NUMERIC without a declared scale in BigQuery's terms: the gateway shows its
    significant digits (80.19, not DuckDB's 80.190000000), and so must PostgreSQL's copy."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


async def load_postgres(pg: PostgresServer, orders_csv: Path, products: list[tuple[Any, ...]]) -> None:
    conn = await asyncpg.connect(pg.dsn)
    try:
        await conn.execute("CREATE SCHEMA shop")
        await conn.execute(ORDERS_DDL)
        await conn.execute(PRODUCTS_DDL)
        await conn.execute(CUSTOMERS_DDL)
        await conn.copy_to_table("orders", schema_name="shop", source=str(orders_csv), format="csv")
        await conn.copy_records_to_table("products", schema_name="shop", records=products)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def enable_postgres_tls(pg: PostgresServer, demo_dir: Path) -> None:
    """Serve TLS with the demo's certificate (ssl is reloadable: no restart needed)."""
    owner = os.stat(pg.data_dir)
    for name in ("server.crt", "server.key"):
        target = Path(pg.data_dir) / f"bench-{name}"
        shutil.copyfile(demo_dir / name, target)
        os.chown(target, owner.st_uid, owner.st_gid)
        os.chmod(target, 0o600)
    conn = await asyncpg.connect(pg.dsn)
    try:
        await conn.execute(f"ALTER SYSTEM SET ssl_cert_file = '{Path(pg.data_dir) / 'bench-server.crt'}'")
        await conn.execute(f"ALTER SYSTEM SET ssl_key_file = '{Path(pg.data_dir) / 'bench-server.key'}'")
        await conn.execute("ALTER SYSTEM SET ssl = on")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()
    await asyncio.sleep(0.5)


def _no_verify() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def targets(gateway: RunningGateway, pg: PostgresServer) -> list[Target]:
    token = gateway.token("alice", ("admin",))

    def to_gateway() -> Awaitable[asyncpg.Connection]:
        return asyncpg.connect(
            host=gateway.host,
            port=gateway.port,
            user="alice",
            database="pgbridge",
            password=token,
            ssl=_no_verify(),
            timeout=30,
        )

    def to_pg(tls: bool) -> Callable[[], Awaitable[asyncpg.Connection]]:
        return lambda: asyncpg.connect(
            host=pg.host,
            port=pg.port,
            user=pg.user,
            database=pg.database,
            ssl=_no_verify() if tls else False,
            timeout=30,
        )

    base = {**os.environ, "PGCONNECT_TIMEOUT": "30"}
    return [
        Target(
            "gateway (TLS)",
            to_gateway,
            f"host={gateway.host} port={gateway.port} dbname=pgbridge user=alice sslmode=require",
            {**base, "PGPASSWORD": token},
        ),
        Target(
            "postgres (TLS)",
            to_pg(True),
            f"host={pg.host} port={pg.port} dbname={pg.database} user={pg.user} sslmode=require",
            base,
        ),
        Target(
            "postgres (no TLS)",
            to_pg(False),
            f"host={pg.host} port={pg.port} dbname={pg.database} user={pg.user} sslmode=disable",
            base,
        ),
    ]


# -- measurements ------------------------------------------------------------------------------


async def check_same_rows(gateway: Target, pg: Target) -> None:
    sample = "SELECT * FROM shop.orders WHERE id IN (1, 424242, 1000000) ORDER BY id"
    seen = []
    for target in (gateway, pg):
        conn = await target.connect()
        try:
            seen.append(
                (
                    [tuple(r) for r in await conn.fetch(sample)],
                    await conn.fetchval("SELECT count(*) FROM shop.orders"),
                    [tuple(r) for r in await conn.fetch(ONE_ROW)],
                )
            )
        finally:
            await conn.close()
    if seen[0] != seen[1]:
        raise SystemExit(f"gateway and PostgreSQL disagree on the rows:\n{seen[0]}\n{seen[1]}")


async def asyncpg_scan(target: Target) -> float:
    """Seconds for asyncpg to fetch every row of shop.orders (connection made beforehand)."""
    conn = await target.connect()
    try:
        started = time.perf_counter()
        rows = await conn.fetch(FULL_SCAN)
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    if len(rows) != 1_000_000:
        raise SystemExit(f"{target.label}: expected 1,000,000 rows, got {len(rows)}")
    return elapsed


def psql_scan(target: Target, *flags: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        ["psql", "-X", *flags, target.psql_conninfo, "-c", FULL_SCAN, "-o", "/dev/null"],
        env=target.psql_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"psql against {target.label} failed: {done.stderr}")
    return elapsed


async def latencies(target: Target, sql: str, prepared: bool, iterations: int) -> list[float]:
    conn = await target.connect()
    try:
        statement = await conn.prepare(sql) if prepared else None

        async def once() -> None:
            if statement is not None:
                await statement.fetch()
            else:
                await conn.execute(sql)  # no arguments: asyncpg sends a simple Query

        for _ in range(max(10, iterations // 20)):
            await once()
        times = []
        for _ in range(iterations):
            started = time.perf_counter()
            await once()
            times.append(time.perf_counter() - started)
        return times
    finally:
        await conn.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- streaming (item 6) ------------------------------------------------------------------------


def stream_query(rows: int) -> str:
    """`rows` rows (a multiple of 1,000,000): shop.orders crossed with a VALUES list."""
    if rows % 1_000_000:
        raise SystemExit("--stream-rows must be a multiple of 1,000,000")
    values = ", ".join(f"({i})" for i in range(rows // 1_000_000))
    return f"SELECT o.* FROM shop.orders o CROSS JOIN (VALUES {values}) AS x(k)"


def stream_with_pause(gateway: RunningGateway, rows: int, pause: float) -> tuple[Any, RssSampler]:
    paused: list[bool] = []

    def stall(received: int) -> None:
        if not paused and received > 4_000_000:
            paused.append(True)
            time.sleep(pause)

    client = RawClient.login(gateway)
    with client, RssSampler(gateway.process.pid) as sampler:
        result = client.stream(stream_query(rows), stall if pause else None)
    return result, sampler


def streaming_lines(gateway: RunningGateway, args: argparse.Namespace) -> list[str]:
    result, sampler = stream_with_pause(gateway, args.stream_rows, args.pause)
    return [
        "",
        f"streaming {args.stream_rows:,} rows (SELECT o.* ... CROSS JOIN VALUES) to a raw client "
        f"that stops reading for {args.pause:.0f} s",
        f"  {result.rows:,} rows, {result.payload_bytes / 1e6:,.0f} MB in {result.seconds:.1f} s; "
        f"gateway RSS {sampler.baseline / 1e6:.0f} MB before, peak growth {sampler.growth / 1e6:.0f} MB "
        f"({sampler.samples} samples)",
    ]


# -- the run --------------------------------------------------------------------------------------


async def measure(all_targets: list[Target], args: argparse.Namespace, gateway: RunningGateway) -> list[str]:
    lines: list[str] = []
    await check_same_rows(all_targets[0], all_targets[1])
    sections = {
        "scan": scan_lines,
        "psql": psql_lines,
        "latency": latency_lines,
        "load": load_lines,
    }
    for name, section in sections.items():
        if name in args.only:
            lines += await section(all_targets, args)
            lines.append("")
    if "catalog" in args.only:
        lines += catalog_lines(gateway, all_targets, args)
    return lines


async def scan_lines(all_targets: list[Target], args: argparse.Namespace) -> list[str]:
    gateway, pg_tls = all_targets[0], all_targets[1]
    scans: dict[str, list[float]] = {t.label: [] for t in all_targets}
    for _ in range(args.runs):  # interleaved, so load from elsewhere hits every target alike
        for target in all_targets:
            scans[target.label].append(await asyncpg_scan(target))
    lines = [f"asyncpg fetch('{FULL_SCAN}'), 1,000,000 rows, {args.runs} runs"]
    lines.append(f"  {'server':<20} {'best rows/s':>12} {'median rows/s':>14} {'best s':>8} {'median s':>9}")
    for label, times in scans.items():
        best, median = min(times), statistics.median(times)
        lines.append(f"  {label:<20} {1e6 / best:>12,.0f} {1e6 / median:>14,.0f} {best:>8.3f} {median:>9.3f}")
    ratio = min(scans[pg_tls.label]) / min(scans[gateway.label])
    ratio_median = statistics.median(scans[pg_tls.label]) / statistics.median(scans[gateway.label])
    ratio_plain = min(scans[all_targets[2].label]) / min(scans[gateway.label])
    lines.append(
        f"  gateway / postgres rows/s: {ratio:.2f} best, {ratio_median:.2f} median vs TLS; "
        f"{ratio_plain:.2f} best vs no TLS"
    )
    return lines


async def psql_lines(all_targets: list[Target], args: argparse.Namespace) -> list[str]:
    aligned: dict[str, list[float]] = {t.label: [] for t in all_targets}
    unaligned: dict[str, list[float]] = {t.label: [] for t in all_targets}
    for _ in range(args.runs):  # interleaved
        for target in all_targets:
            aligned[target.label].append(psql_scan(target))
            unaligned[target.label].append(psql_scan(target, "-A", "-t"))
    lines = [f"psql -c '{FULL_SCAN}' -o /dev/null, wall seconds, {args.runs} runs"]
    lines.append(f"  {'server':<20} {'aligned best':>13} {'median':>8} {'-A -t best':>11} {'median':>8}")
    for target in all_targets:
        a, u = aligned[target.label], unaligned[target.label]
        lines.append(
            f"  {target.label:<20} {min(a):>13.3f} {statistics.median(a):>8.3f} "
            f"{min(u):>11.3f} {statistics.median(u):>8.3f}"
        )
    gw, pg = unaligned[all_targets[0].label], unaligned[all_targets[1].label]
    lines.append(
        f"  gateway / postgres (TLS) -A -t time: {min(gw) / min(pg):.2f} best, "
        f"{statistics.median(gw) / statistics.median(pg):.2f} median"
    )
    return lines


async def latency_lines(all_targets: list[Target], args: argparse.Namespace) -> list[str]:
    lines = [f"asyncpg latency, {args.iterations} iterations, milliseconds"]
    lines.append(f"  {'query':<44} {'protocol':<9} {'server':<20} {'p50':>7} {'p99':>7}")
    for sql in ("SELECT 1", ONE_ROW):
        for prepared in (True, False):
            for target in all_targets:
                times = await latencies(target, sql, prepared, args.iterations)
                lines.append(
                    f"  {sql:<44} {'prepared' if prepared else 'simple':<9} {target.label:<20} "
                    f"{percentile(times, 0.5) * 1000:>7.3f} {percentile(times, 0.99) * 1000:>7.3f}"
                )
    return lines


async def load_lines(all_targets: list[Target], args: argparse.Namespace) -> list[str]:
    """Issue 14's point-query load, gateway and PostgreSQL (TLS) alternately, median run kept."""
    pair = all_targets[:2]
    lines = [
        f"point-query load: prepared '{point_load.POINT}', {args.load_seconds:g} s per run, "
        f"{args.load_runs} runs alternating, median run shown"
    ]
    lines.append(f"  {'server':<20} {'clients':>7} {'q/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for clients in args.load_clients:
        runs: dict[str, list[point_load.LoadResult]] = {t.label: [] for t in pair}
        for _ in range(args.load_runs):
            for target in pair:
                result = await point_load.point_load(target.connect, clients, args.load_seconds)
                runs[target.label].append(result)
        for target in pair:
            lines.append(point_load.median_of(runs[target.label]).row(target.label))
        gateway = point_load.median_of(runs[pair[0].label])
        pg = point_load.median_of(runs[pair[1].label])
        lines.append(
            f"  {clients} clients: gateway {point_load.summary(runs[pair[0].label])}; "
            f"p50 overhead {gateway.percentile_ms(0.5) - pg.percentile_ms(0.5):.2f} ms"
        )
    return lines


def catalog_lines(gateway: RunningGateway, all_targets: list[Target], args: argparse.Namespace) -> list[str]:
    """psql \\d and SQLAlchemy reflection, gateway and PostgreSQL (TLS) alternately."""
    pg_target = all_targets[1]
    env = {**pg_target.psql_env, "PGSSLMODE": "require"}
    conninfo = dict(part.split("=", 1) for part in pg_target.psql_conninfo.split())
    pg = (
        conninfo["host"],
        int(conninfo["port"]),
        conninfo["user"],
        conninfo["dbname"],
        env,
        f"postgresql+psycopg://{conninfo['user']}@{conninfo['host']}:{conninfo['port']}/{conninfo['dbname']}"
        "?sslmode=require",
        "shop",
    )
    through: list[dict[str, float]] = []
    direct: list[dict[str, float]] = []
    gateway_target = catalog_bench.gateway_target(gateway)
    for _ in range(args.runs):
        through.append(catalog_bench.measure("gateway (TLS)", args.catalog_rounds, gateway_target))
        direct.append(catalog_bench.measure("postgres (TLS)", args.catalog_rounds, pg))
    lines = [f"catalog commands, median ms of {args.catalog_rounds} rounds, best of {args.runs} runs"]
    lines.append(f"  {'command':<22} {'gateway':>9} {'postgres':>9} {'ratio':>6}")
    for key in through[0]:
        g = min(r[key] for r in through)
        d = min(r[key] for r in direct)
        lines.append(f"  {key:<22} {g:>9.1f} {d:>9.1f} {g / d:>6.2f}")
    return lines


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def worker_config_text(demo_dir: Path) -> str:
    """The demo config for several workers: they may share the DuckDB file only read-only."""
    text = re.sub(r"(?m)^port = \d+$", "port = {port}", (demo_dir / "pgbridge.toml").read_text(), count=1)
    database = 'database = "warehouse.duckdb"\n'
    return text.replace(database, database + "read_only = true\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--stream-rows", type=int, default=10_000_000, help="0 skips the streaming run")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds the streaming client stops reading")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help=f"comma-separated sections to run, of {','.join(SECTIONS)} (default all)",
    )
    parser.add_argument("--load-clients", type=_ints, default=[1, 16, 64])
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--load-runs", type=int, default=3)
    parser.add_argument("--catalog-rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, help="gateway worker processes (default: the gateway's own)")
    parser.add_argument(
        "--gateway-tree", type=Path, help="a source tree (holding pgbridge/) to run the gateway from"
    )
    args = parser.parse_args()
    with contextlib.suppress(ImportError):  # the load generator as fast as it can be
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory(prefix="pgbridge-bench-") as tmp:
        demo_dir = Path(tmp) / "demo"
        ensure_demo(demo_dir, "127.0.0.1", 0)
        orders_csv, products = export_warehouse(demo_dir / "warehouse.duckdb", Path(tmp))
        with running_postgres() as pg:
            asyncio.run(load_postgres(pg, orders_csv, products))
            asyncio.run(enable_postgres_tls(pg, demo_dir))
            if args.gateway_tree is not None:
                # `python -m pgbridge.cli` imports pgbridge from its working directory first.
                os.chdir(args.gateway_tree)
            extra = ["--workers", str(args.workers)] if args.workers is not None else []
            config = worker_config_text(demo_dir) if (args.workers or 1) > 1 else None
            with running_gateway(demo_dir, config, serve_args=extra) as gateway:
                wait_for_workers(gateway, args.workers or 1)
                lines = asyncio.run(measure(targets(gateway, pg), args, gateway))
                if args.stream_rows:
                    lines += streaming_lines(gateway, args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
