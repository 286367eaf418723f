"""Where a statement's time goes in the gateway: CPU per statement and a py-spy flame graph.

Starts `pgbridge serve` on a fresh demo folder (role admin, audit on with fsync "batch", as
the demo configures it), runs the point-query load of bench/point_load.py for --seconds with
--clients clients, and reports the gateway's CPU time per statement, read from /proc (user +
system, every thread, and every worker process with --workers): unlike latency, that figure
hardly moves when other work shares the machine. With --svg FILE, py-spy samples the gateway
while the load runs and writes a flame graph (py-spy must be installed in the venv).

Run: .venv/bin/python bench/profile_gateway.py [--clients 1] [--seconds 15] [--svg bench/flame.svg]
     [--workers N] [--gateway-tree DIR] [--idle]   (--idle: only the gateway's threads doing work)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import point_load  # noqa: E402

from tests.support.demo import build_demo  # noqa: E402
from tests.support.gateway import RunningGateway, running_gateway  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the worker processes of `--workers`)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        found += process_tree(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _no_verify() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connector(gateway: RunningGateway):  # type: ignore[no-untyped-def]
    token = gateway.token("alice", ("admin",))
    return lambda: asyncpg.connect(
        host=gateway.host, port=gateway.port, user="alice", database="pgbridge", password=token,
        ssl=_no_verify(), timeout=60,
    )  # fmt: skip


async def run_load(gateway: RunningGateway, args: argparse.Namespace) -> None:
    connect = connector(gateway)
    await point_load.point_load(connect, args.clients, 2.0)  # warm every worker's caches
    pids = process_tree(gateway.process.pid)
    spy = None
    if args.svg is not None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        argv = [py_spy, "record", "-p", str(gateway.process.pid), "-o", str(args.svg),
                "-d", str(int(args.seconds)), "-r", "250", "--subprocesses", "--nonblocking"]  # fmt: skip
        if args.idle:
            argv.append("--idle")
        if args.raw:
            argv += ["-f", "raw"]
        if args.gil:
            argv.append("--gil")
        spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await asyncio.sleep(1.0)
    before = cpu_seconds(pids)
    result = await point_load.point_load(connect, args.clients, args.seconds)
    used = cpu_seconds(pids) - before
    print(
        f"{args.clients} clients, {args.seconds:g} s: {result.rate:,.0f} statements/s, "
        f"p50 {result.percentile_ms(0.5):.2f} ms, p99 {result.percentile_ms(0.99):.2f} ms; "
        f"gateway CPU {used * 1000 / max(1, result.statements):.3f} ms per statement "
        f"({len(pids)} process(es))",
        flush=True,
    )
    if spy is not None:
        _, err = spy.communicate(timeout=120)
        if spy.returncode != 0:
            print(f"py-spy failed: {err.decode(errors='replace')}", file=sys.stderr)
        else:
            print(f"flame graph: {args.svg}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=1, help="load runs in a row (CPU per statement each)")
    parser.add_argument("--svg", type=Path)
    parser.add_argument("--idle", action="store_true")
    parser.add_argument("--raw", action="store_true", help="py-spy's raw (collapsed stacks) format, not SVG")
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL (Python CPU)")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--gateway-tree", type=Path)
    args = parser.parse_args()
    if args.svg is not None:
        args.svg = args.svg.resolve()
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory(prefix="pgbridge-profile-") as tmp:
        if args.gateway_tree is not None:
            os.chdir(args.gateway_tree)
        extra = ["--workers", str(args.workers)] if args.workers is not None else []
        demo = build_demo(Path(tmp) / "demo")
        with running_gateway(demo, serve_args=extra) as gateway:
            for _ in range(args.rounds):
                asyncio.run(run_load(gateway, args))


if __name__ == "__main__":
    main()
