"""What auditing costs: appends/s by fsync policy, and the small-query path with audit on vs off.

Part 1 appends bare records from N concurrent sessions for a fixed time, per fsync policy.
Part 2 runs the small-query path of the gateway as it will be wired: a tiny real DuckDB query
(in a worker thread, as the backend does), and with audit on the write-ahead `statement`
record before it and a `statement_completed` record with the recorded (1-row) result after it.
Both variants run in the same process, alternating, on the same disk.

    .venv/bin/python -m bench.audit_bench [--seconds 2] [--dir /tmp/x]     (from the repo root)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import duckdb

from pgbridge.audit.log import AuditLog
from pgbridge.audit.settings import AuditSettings, generate_signing_key


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


def _ms(latencies: list[float], quantile: float) -> float:
    if len(latencies) < 2:
        return latencies[0] * 1000 if latencies else 0.0
    return statistics.quantiles(latencies, n=100)[int(quantile * 100) - 1] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp dir on /tmp's disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as raw:
        await appends(Path(raw), args.seconds)
        await small_queries(Path(raw), args.seconds)


if __name__ == "__main__":
    asyncio.run(main())
