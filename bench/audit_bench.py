"""What auditing costs: appends/s by fsync policy, and the small-query path with audit on vs off.

Part 1 appends bare records from N concurrent sessions for a fixed time, per fsync policy.
Part 2 runs the small-query path in process: a tiny real DuckDB query (in a worker thread, as
the backend does), and with audit on the write-ahead `statement` record before it and a
`statement_completed` record with the recorded (1-row) result after it.
Part 3 is the real thing: two `pgbridge serve` processes on copies of the demo, one with the demo's
[audit] (fsync = "batch") and one with `enabled = false`, and asyncpg clients running a prepared
one-row query against each in turn (alternating rounds, so drift on a shared machine hits both).

    .venv/bin/python -m bench.audit_bench [--seconds 2] [--dir /tmp/x] [--part gateway]   (repo root)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import duckdb

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings, generate_signing_key
from pgbridge.demo.setup import ensure_demo
from tests.audit_wire.support import demo_config_with
from tests.support.clients import asyncpg_connect
from tests.support.demo import copy_demo
from tests.support.gateway import RunningGateway, running_gateway

ONE_ROW = "SELECT id, name FROM shop.products WHERE id = $1"


def settings_for(root: Path, name: str, fsync: str, batch_ms: int) -> AuditSettings:
    key = root / "key.pem"
    if not key.exists():
        generate_signing_key(key)
    return AuditSettings(
        enabled=True, directory=root / name, signing_key_file=key, fsync=fsync,  # type: ignore[arg-type]
        fsync_batch_ms=batch_ms, rotate_bytes=64 * 1024 * 1024, rotate_daily=True, retention_days=None,
        record_results=True, record_max_rows=1000, record_max_bytes=1024 * 1024,
    )


async def for_seconds(seconds: float, sessions: int, step: Callable[[int], Awaitable[None]]) -> list[float]:
    """Run `step` in a loop in each session; return every step's latency in seconds."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def session(number: int) -> None:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            await step(number)
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(session(number) for number in range(sessions)))
    return latencies


async def appends(root: Path, seconds: float) -> None:
    print("## appends/s (one record per append; latency per append)")
    print(f"{'fsync':<12}{'sessions':>9}{'appends/s':>12}{'p50 ms':>9}{'p99 ms':>9}")
    for fsync, batch_ms in (("always", 0), ("batch", 0), ("batch", 2)):
        for sessions in (1, 16, 64):
            log = await AuditLog.open(settings_for(root, f"a-{fsync}{batch_ms}-{sessions}", fsync, batch_ms))

            async def step(number: int, log: AuditLog = log) -> None:
                fields = {"session_id": f"s{number}", "sql": "SELECT 1", "decision": "allow"}
                await log.append("statement", fields)

            latencies = await for_seconds(seconds, sessions, step)
            await log.close()
            label = fsync if fsync == "always" else f"batch {batch_ms}ms"
            print(f"{label:<12}{sessions:>9}{len(latencies) / seconds:>12,.0f}{_ms(latencies, 0.5):>9.2f}"
                  f"{_ms(latencies, 0.99):>9.2f}")


async def small_queries(root: Path, seconds: float) -> None:
    print("\n## small-query path: DuckDB `SELECT 42` per statement, audit off vs on (same run)")
    print(f"{'variant':<22}{'sessions':>9}{'stmts/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'added p50 ms':>14}")
    database = duckdb.connect()
    for sessions in (1, 16):
        cursors = [database.cursor() for _ in range(sessions)]
        baseline: float | None = None
        for fsync, batch_ms in ((None, 0), ("always", 0), ("batch", 0), ("batch", 2)):
            log = None
            if fsync is not None:
                name = f"q-{fsync}{batch_ms}-{sessions}"
                log = await AuditLog.open(settings_for(root, name, fsync, batch_ms))
            step = statement_step(cursors, log)
            latencies = await for_seconds(seconds, sessions, step)
            if log is not None:
                await log.close()
            p50 = _ms(latencies, 0.5)
            baseline = p50 if baseline is None else baseline
            label = "audit off" if fsync is None else f"audit {fsync}"
            label += f" {batch_ms}ms" if fsync == "batch" else ""
            print(f"{label:<22}{sessions:>9}{len(latencies) / seconds:>10,.0f}{p50:>9.2f}"
                  f"{_ms(latencies, 0.99):>9.2f}{p50 - baseline:>14.2f}")


def statement_step(
    cursors: list[duckdb.DuckDBPyConnection], log: AuditLog | None
) -> Callable[[int], Awaitable[None]]:
    counter = iter(range(10**9))

    async def step(number: int) -> None:
        statement_id = f"st-{next(counter)}"
        session = f"s{number}"
        if log is not None:
            fields = {"session_id": session, "statement_id": statement_id, "sql": "SELECT 42",
                      "translated_sql": "SELECT 42", "decision": "allow", "rule": "default"}
            await log.append("statement", fields)
        table = await asyncio.to_thread(lambda: cursors[number].sql("SELECT 42 AS answer").to_arrow_table())
        if log is not None:
            recording = log.recording(statement_id)
            for batch in table.to_batches():
                recording.add(batch, ["answer"])
            done = {"session_id": session, "statement_id": statement_id, "rows": table.num_rows,
                    "duration_ms": 0.1, "sqlstate": None, "recording": recording.finish()}
            await log.append("statement_completed", done)

    return step


async def through_gateway(root: Path, seconds: float, rounds: int) -> None:
    print("\n## through the gateway: asyncpg prepared one-row query, audit off vs on (batch fsync);")
    print("## 'on-shm' puts the audit directory on /dev/shm (fsync costs nothing): the CPU part alone")
    print(f"{'variant':<14}{'clients':>8}{'queries/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'added p50':>11}{'added p99':>11}")
    base = root / "demo-base"
    ensure_demo(base, "127.0.0.1", 0)
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm, contextlib.ExitStack() as stack:
        gateways = {
            "off": stack.enter_context(running_gateway(copy_demo(base, root / "off"),
                                                       demo_config_with({"enabled": "false"}))),
            "on": stack.enter_context(running_gateway(copy_demo(base, root / "on"))),
            "on-shm": stack.enter_context(running_gateway(copy_demo(base, root / "on-shm"),
                                                          demo_config_with({"directory": f'"{shm}/audit"'}))),
        }
        for clients in (1, 8):
            measured: dict[str, tuple[list[float], float]] = {name: ([], 0.0) for name in gateways}
            for _ in range(rounds):
                for name, gateway in gateways.items():
                    latencies, elapsed = await one_row_clients(gateway, clients, seconds / rounds)
                    measured[name] = (measured[name][0] + latencies, measured[name][1] + elapsed)
            _print_gateway_rows(clients, measured)
    audit_files = sorted((root / "on" / "audit").glob("audit-*.jsonl"))
    records = sum(path.read_bytes().count(b"\n") for path in audit_files)
    print(f"(audit on wrote {records} records; audit off wrote none: "
          f"{not (root / 'off' / 'audit').exists()})")


def _print_gateway_rows(clients: int, measured: dict[str, tuple[list[float], float]]) -> None:
    off_p50, off_p99 = _ms(measured["off"][0], 0.5), _ms(measured["off"][0], 0.99)
    for name, (latencies, elapsed) in measured.items():
        p50, p99 = _ms(latencies, 0.5), _ms(latencies, 0.99)
        print(f"{'audit ' + name:<14}{clients:>8}{len(latencies) / elapsed:>11,.0f}{p50:>9.2f}{p99:>9.2f}"
              f"{p50 - off_p50:>11.2f}{p99 - off_p99:>11.2f}")


async def one_row_clients(gateway: RunningGateway, clients: int, seconds: float) -> tuple[list[float], float]:
    """`clients` sessions, each running the prepared query in a loop; latencies and wall time."""
    connections = [
        await asyncpg_connect(gateway, application_name=f"bench-{n}", timeout=60) for n in range(clients)
    ]
    try:
        statements = [await conn.prepare(ONE_ROW) for conn in connections]
        for statement in statements:  # warm: plan cache, type introspection
            for key in range(20):
                await statement.fetchrow(key + 1)
        began = time.perf_counter()
        latencies = await for_seconds(seconds, clients, _fetch_step(statements))
        return latencies, time.perf_counter() - began
    finally:
        for conn in connections:
            await conn.close()


def _fetch_step(
    statements: list[asyncpg.prepared_stmt.PreparedStatement],
) -> Callable[[int], Awaitable[None]]:
    async def step(number: int) -> None:
        row = await statements[number].fetchrow(number % 1000 + 1)
        assert row is not None

    return step


def _ms(latencies: list[float], quantile: float) -> float:
    if len(latencies) < 2:
        return latencies[0] * 1000 if latencies else 0.0
    return statistics.quantiles(latencies, n=100)[int(quantile * 100) - 1] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp dir on /tmp's disk)")
    parser.add_argument("--part", choices=("appends", "inprocess", "gateway", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=3, help="alternating on/off rounds in part 3")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as raw:
        if args.part in ("appends", "all"):
            await appends(Path(raw), args.seconds)
        if args.part in ("inprocess", "all"):
            await small_queries(Path(raw), args.seconds)
        if args.part in ("gateway", "all"):
            await through_gateway(Path(raw), args.seconds * args.rounds, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
