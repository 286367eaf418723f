"""Catalog answers through the gateway against a real PostgreSQL 15 holding the same tables.

Measures two things a user feels: psql's `\\d public.customers` (8 catalog queries) and
SQLAlchemy's full reflection of the demo dataset (MetaData.reflect(schema="public") over
psycopg 3; the gateway lists the default dataset `shop` as public, PostgreSQL holds `shop`).
Each runs against a real `pgbridge serve` on the demo warehouse (TLS, JWT) and
against a throwaway PostgreSQL 15 where the shop tables are created with equivalent types;
the ratio gateway / PostgreSQL is reported. psql is timed two ways: one `\\d` per process
(connect, TLS and authentication included) and many `\\d` in one session (catalog only).

Run: `.venv/bin/python bench/catalog_bench.py [rounds]` (default 20).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support.demo import build_demo  # noqa: E402
from tests.support.gateway import RunningGateway, running_gateway  # noqa: E402
from tests.support.postgres import PostgresServer, running_postgres  # noqa: E402

SHOP_DDL = """
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id bigint, name text, email text, phone text, ssn text, card_number text,
    country text, created_at timestamptz, lifetime_value numeric);
CREATE TABLE shop.orders (id bigint, customer_id bigint, product_id bigint, ordered_at timestamptz,
    amount double precision, status text);
CREATE TABLE shop.products (id bigint, name text, category text, price numeric, tags text[], attrs jsonb);
"""


def median_ms(rounds: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _psql_argv(host: str, port: int, user: str, database: str, commands: list[str]) -> list[str]:
    argv = ["psql", "-X", "-q", "-h", host, "-p", str(port), "-U", user, "-d", database]
    for command in commands:
        argv += ["-c", command]
    return argv


# host, port, user, database, environment, SQLAlchemy URL, the schema holding the demo tables
Target = tuple[str, int, str, str, dict[str, str], str, str]


def _psql(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or "customers" not in done.stdout:
        raise RuntimeError(f"psql failed: {done.stderr}")


def _reflect(url: str, schema: str) -> Callable[[], object]:
    engine = sa.create_engine(url)
    connection = engine.connect()

    def reflect() -> object:
        metadata = sa.MetaData()
        metadata.reflect(connection, schema=schema)
        if len(metadata.tables) != 3:
            raise RuntimeError(f"reflected {sorted(metadata.tables)}")
        return metadata

    return reflect


def measure(label: str, rounds: int, target: Target) -> dict[str, float]:
    # The gateway lists the demo's default dataset as public (README); PostgreSQL holds `shop`.
    host, port, user, database, env, url, schema = target
    describe = rf"\d {schema}.customers"
    session = [describe] * 10
    results = {
        "psql per process": median_ms(
            rounds, lambda: _psql(_psql_argv(host, port, user, database, [describe]), env)
        ),
        "psql in session": median_ms(
            max(3, rounds // 4), lambda: _psql(_psql_argv(host, port, user, database, session), env)
        )
        / len(session),
        "sqlalchemy reflect": median_ms(rounds, _reflect(url, schema)),
    }
    print(f"{label}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in results.items()), flush=True)
    return results


def gateway_target(gateway: RunningGateway) -> Target:
    token = gateway.token("bench")
    env = {**os.environ, "PGPASSWORD": token, "PGSSLMODE": "require"}
    url = f"postgresql+psycopg://bench:{token}@{gateway.host}:{gateway.port}/pgbridge?sslmode=require"
    return gateway.host, gateway.port, "bench", "pgbridge", env, url, "public"


def _postgres_target(server: PostgresServer) -> Target:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(SHOP_DDL)  # type: ignore[arg-type]
    url = f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{server.database}"
    return server.host, server.port, server.user, server.database, dict(os.environ), url, "shop"


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pgbridge-catalog-bench-") as folder:
        with running_gateway(build_demo(Path(folder) / "demo")) as gateway:
            through = measure("gateway   ", rounds, gateway_target(gateway))
        with running_postgres() as server:
            direct = measure("postgres15", rounds, _postgres_target(server))
    for key in through:
        print(f"ratio {key}: {through[key] / direct[key]:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
