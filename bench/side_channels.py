"""How many hidden characters each side channel recovers from a demo gateway (issue 10).

Starts a demo gateway from a checkout (--repo, default this one): `pgbridge demo
--setup-only` builds the demo into a temporary folder, then `python -m pgbridge.cli serve`
runs from that checkout with PYTHONPATH set to it, so the gateway is the checkout's code
while the attack is this one's (tests/side_channels). Tokens come from the checkout's own
`pgbridge token`. Then, as the analyst, every channel reads the hidden characters of one
customer's ssn, card_number, phone and email local part, position after position, until
its budget (queries or seconds per channel and column) runs out, and a table shows

    channel x column -> characters recovered / positions attempted, wrong answers, queries, time

A character counts as recovered when the channel's answer is the clear character (read
from the warehouse file, never from the gateway). Each channel-and-column runs as its own
principal on its own connection, and its query budget stays under the analyst's 600
queries a minute: a patient attacker would pace itself the same way.

Run: .venv/bin/python bench/side_channels.py [--repo PATH] [--customer 4242]
     [--channels timeout,timing-replace] [--columns ssn] [--budget-queries 500] [--budget-seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.masking_wire.clear_values import ClearValues, load  # noqa: E402
from tests.side_channels.attacks import CHANNELS, Channel  # noqa: E402
from tests.side_channels.oracle import Spot, read  # noqa: E402
from tests.side_channels.runner import Endpoint, Prober  # noqa: E402
from tests.side_channels.targets import COLUMNS, TARGET_CUSTOMER  # noqa: E402
from tests.support.gateway import wait_for_port  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402

HERE = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    channel: str
    column: str
    attempted: int = 0
    recovered: int = 0
    wrong: int = 0
    queries: int = 0
    seconds: float = 0.0
    error: str = ""


def checkout_env(repo: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(repo), "PYTHONUNBUFFERED": "1"}


def cli(repo: Path, *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pgbridge.cli", *argv],
        cwd=repo,
        env=checkout_env(repo),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout


def start_gateway(repo: Path, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    cli(repo, "demo", "--setup-only", "--data-dir", str(data_dir), "--port", str(port), "--admin-port", "0")
    log_path = data_dir / "gateway.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pgbridge.cli", "serve", "--config", str(data_dir / "pgbridge.toml")],
            cwd=repo,
            env=checkout_env(repo),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_for_port("127.0.0.1", port, process, log_path)
    return process


def endpoint(repo: Path, data_dir: Path, port: int) -> Endpoint:
    @functools.cache
    def token(subject: str) -> str:
        return cli(repo, "token", "--sub", subject, "--role", "analyst", "--data-dir", str(data_dir)).strip()

    return Endpoint("127.0.0.1", port, data_dir / "server.crt", token)


async def attack_cell(
    target: Endpoint, channel: Channel, column: str, clear_value: str, args: argparse.Namespace
) -> Row:
    """Read the column's hidden positions through the channel until the budget is spent."""
    row = Row(channel.name, column)
    start = time.perf_counter()
    prober = await Prober.connect(target, f"bench-{channel.name}-{column}", channel.session)
    try:
        for position in COLUMNS[column].hidden(clear_value):
            spent = time.perf_counter() - start
            if prober.queries >= args.budget_queries or spent >= args.budget_seconds:
                break
            spot = Spot.of(COLUMNS[column], args.customer, clear_value, position, f"c.{column}")
            reading = await read(prober, channel, spot, rounds=2)
            row.attempted += 1
            row.recovered += reading.recovered
            row.wrong += reading.answer is not None and not reading.recovered
    finally:
        row.queries = prober.queries
        await prober.close()
    row.seconds = time.perf_counter() - start
    return row


async def campaign(target: Endpoint, clear: ClearValues, args: argparse.Namespace) -> list[Row]:
    customer = clear.customers[args.customer]
    rows = []
    for name in args.channels:
        for column in args.columns:
            try:
                row = await attack_cell(target, CHANNELS[name], column, getattr(customer, column), args)
            except Exception as exc:  # one broken cell must not hide the rest of the table
                row = Row(name, column, error=f"{type(exc).__name__}: {exc}"[:80])
            rows.append(row)
            print(
                f"  {name} {column}: {row.recovered}/{row.attempted} {row.error}", file=sys.stderr, flush=True
            )
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| channel | column | recovered / attempted | wrong | queries | seconds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    total = Row("**all**", "")
    for r in rows:
        total.recovered, total.attempted, total.wrong = (
            total.recovered + r.recovered,
            total.attempted + r.attempted,
            total.wrong + r.wrong,
        )
        total.queries, total.seconds = total.queries + r.queries, total.seconds + r.seconds
    for r in [*rows, total]:
        result = r.error or f"{r.recovered} / {r.attempted}"
        lines.append(f"| {r.channel} | {r.column} | {result} | {r.wrong} | {r.queries} | {r.seconds:.1f} |")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=HERE, help="checkout whose gateway is attacked")
    parser.add_argument("--customer", type=int, default=TARGET_CUSTOMER)
    parser.add_argument("--channels", type=lambda s: s.split(","), default=list(CHANNELS))
    parser.add_argument("--columns", type=lambda s: s.split(","), default=list(COLUMNS))
    parser.add_argument("--budget-queries", type=int, default=500, help="per channel and column")
    parser.add_argument("--budget-seconds", type=float, default=15.0, help="per channel and column")
    args = parser.parse_args()
    unknown = [c for c in args.channels if c not in CHANNELS] + [c for c in args.columns if c not in COLUMNS]
    if unknown:
        parser.error(f"unknown channel or column: {', '.join(unknown)}")
    args.repo = args.repo.resolve()
    return args


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="pgbridge-side-channels-") as tmp:
        data_dir, port = Path(tmp) / "demo", free_port()
        process = start_gateway(args.repo, data_dir, port)
        try:
            clear = load(data_dir / "warehouse.duckdb", Path(tmp))
            rows = asyncio.run(campaign(endpoint(args.repo, data_dir, port), clear, args))
        finally:
            process.terminate()
            process.wait(30)
    commit = subprocess.run(
        ["git", "-C", str(args.repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"gateway from {args.repo} ({commit or 'no git'}), customer {args.customer}, analyst role\n")
    print(table(rows))


if __name__ == "__main__":
    main()
