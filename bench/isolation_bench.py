"""Isolation between principals and the bounded engine, measured (issue 10, items 3 and 4).

Starts `pgbridge serve` on a fresh demo folder and measures:

- another principal's fresh login + `SELECT 1` (asyncpg, TLS), idle, then while principal
  mallory keeps six long warehouse statements and three long catalog queries going (more than
  its share of 4 and 2);
- EXPLAIN of `SELECT count(*) FROM generate_series(1, 300000000) g` (analyst), and its Parse +
  Describe, each with a per-call limit of --explain-timeout seconds.

Run: .venv/bin/python bench/isolation_bench.py [--samples 7] [--rounds 3] [--explain-timeout 60]
     [--gateway-tree DIR]   (run the gateway from another copy of the source, for an A/B test)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

from pgbridge.demo.setup import ensure_demo  # noqa: E402
from tests.isolation.support import login_and_select_one, open_connection, saturated  # noqa: E402
from tests.support.gateway import RunningGateway, running_gateway  # noqa: E402

BIG_SERIES = "SELECT count(*) FROM generate_series(1, 300000000) g"


async def logins(gateway: RunningGateway, samples: int, limit: float) -> list[str]:
    """Milliseconds per login + SELECT 1; a sample over `limit` seconds is reported as such."""
    found = []
    for _ in range(samples):
        try:
            found.append(f"{await asyncio.wait_for(login_and_select_one(gateway), limit):.0f}")
        except TimeoutError:
            found.append(f">{limit * 1000:.0f}")
            break
    return found


async def isolation(gateway: RunningGateway, args: argparse.Namespace) -> list[str]:
    lines = [f"idle       login+SELECT 1 ms: {', '.join(await logins(gateway, args.samples, 10))}"]
    print(lines[-1], flush=True)
    async with saturated(gateway):
        for index in range(args.rounds):
            found = await logins(gateway, args.samples, args.login_timeout)
            numbers = [float(x) for x in found if not x.startswith(">")]
            median = f"median {statistics.median(numbers):.0f}" if len(numbers) == len(found) else "stalled"
            lines.append(f"saturated  login+SELECT 1 ms (round {index + 1}): {', '.join(found)}; {median}")
            print(lines[-1], flush=True)
    return lines


async def explain(gateway: RunningGateway, limit: float) -> list[str]:
    conn = await open_connection(gateway, "ann")
    lines = []
    try:
        for label, call in (
            ("EXPLAIN", lambda i: conn.fetch(f"EXPLAIN {BIG_SERIES} -- {i}")),
            ("Parse+Describe", lambda i: conn.prepare(f"{BIG_SERIES} -- {i}")),
        ):
            timings = []
            for attempt in range(3):
                started = time.monotonic()
                try:
                    await asyncio.wait_for(call(attempt), limit)
                except TimeoutError:
                    timings.append(f"over {limit:.0f} (stopped)")
                    break
                except asyncpg.PostgresError as error:  # what the old gateway ended with
                    took = time.monotonic() - started
                    timings.append(f"{took:.3f} ({error.sqlstate}: {str(error).splitlines()[0][:60]})")
                    break
                timings.append(f"{time.monotonic() - started:.3f}")
            lines.append(f"{label} of the 300M-row series, s: {', '.join(timings)}")
            print(lines[-1], flush=True)
    finally:
        conn.terminate()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--login-timeout", type=float, default=30.0, help="seconds before a login counts as stalled"
    )
    parser.add_argument("--explain-timeout", type=float, default=60.0)
    parser.add_argument(
        "--gateway-tree", type=Path, help="a source tree (holding pgbridge/) to run the gateway from"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pgbridge-isolation-") as tmp:
        demo_dir = Path(tmp) / "demo"
        ensure_demo(demo_dir, "127.0.0.1", 0)
        if args.gateway_tree is not None:
            os.chdir(args.gateway_tree)  # `python -m pgbridge.cli` imports pgbridge from here first
        with running_gateway(demo_dir) as gateway:
            asyncio.run(isolation(gateway, args))
        with running_gateway(demo_dir) as gateway:  # a fresh gateway: nothing left running
            asyncio.run(explain(gateway, args.explain_timeout))


if __name__ == "__main__":
    main()
