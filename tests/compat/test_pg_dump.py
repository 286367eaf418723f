"""pg_dump 15 against the gateway, restored by psql into a real PostgreSQL 15 (the run's
cluster, a database of its own): `--schema-only` gives a CREATE TABLE with PostgreSQL types for
every table the role may read, and `--data-only -t public.products` gives rows that restore
into PostgreSQL and equal the gateway's, row for row. Issue 12: pg_dump stopped at
`SET synchronize_seqscans TO off`, and 43 of its 63 statements failed."""

from __future__ import annotations

import subprocess
from typing import Any

import psycopg
import pytest

from tests.compat.conftest import audit_records
from tests.support.clients import psycopg_connect
from tests.support.gateway import RunningGateway
from tests.support.postgres import PostgresServer
from tests.support.psql import psql_env

pytestmark = pytest.mark.compat


def pg_dump(
    gateway: RunningGateway, *args: str, user: str = "alice", roles: tuple[str, ...] = ("admin",)
) -> str:
    argv = ["pg_dump", "-h", gateway.host, "-p", str(gateway.port), "-U", user, "-d", "pgbridge", *args]
    env = psql_env(gateway, user, roles)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def target(postgres: PostgresServer) -> PostgresServer:
    server = postgres.database_for("pg_dump_restore")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        # The dump says ALTER TABLE ... OWNER TO pgbridge, the catalog's owner.
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'pgbridge'").fetchone() is None:
            conn.execute("CREATE ROLE pgbridge")
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return server


def restore(server: PostgresServer, script: str) -> None:
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", server.host, "-p", str(server.port)]
    argv += ["-U", server.user, "-d", server.database]
    done = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _columns(server: PostgresServer) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(server.dsn) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def test_schema_only_restores_every_table_with_postgresql_types(
    gateway: RunningGateway, target: PostgresServer
) -> None:
    script = pg_dump(gateway, "--schema-only")
    for table in ("customers", "orders", "products"):
        assert f"CREATE TABLE public.{table} (" in script
    restore(target, script)
    columns = _columns(target)
    assert sorted(columns) == ["customers", "orders", "products"]
    assert columns["orders"] == [
        ("id", "bigint"),
        ("customer_id", "bigint"),
        ("product_id", "bigint"),
        ("ordered_at", "timestamp with time zone"),
        ("amount", "double precision"),
        ("status", "text"),
    ]
    assert ("tags", "ARRAY") in columns["products"] and ("attrs", "jsonb") in columns["products"]
    assert ("lifetime_value", "numeric") in columns["customers"]


def test_schema_only_lists_only_what_the_role_may_read(gateway: RunningGateway) -> None:
    # support may not read products (demo policy): its dump does not describe it.
    script = pg_dump(gateway, "--schema-only", user="carol", roles=("support",))
    assert "CREATE TABLE public.customers (" in script
    assert "public.products" not in script


def _rows(conn: Any) -> list[tuple[Any, ...]]:
    columns = "id, name, category, price, tags, attrs, unit_cost"
    return conn.execute(f"SELECT {columns} FROM products ORDER BY id").fetchall()


def test_data_only_restores_row_for_row(gateway: RunningGateway, target: PostgresServer) -> None:
    # Runs after the schema test (module order): the tables exist in the target.
    script = pg_dump(gateway, "--data-only", "-t", "public.products")
    assert "COPY public.products (id, name, category, price, tags, attrs, unit_cost) FROM stdin;" in script
    assert "LOCK TABLE" not in script  # pg_dump's lock was a statement it sent, not output
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE public.products")
    restore(target, script)
    with psycopg.connect(target.dsn) as restored, psycopg_connect(gateway, "alice", ("admin",)) as served:
        expected = _rows(served)
        assert len(expected) > 100
        assert _rows(restored) == expected


def test_data_of_masked_columns_is_dumped_masked_and_audited(gateway: RunningGateway) -> None:
    # COPY public.customers (...) TO stdout runs as COPY (SELECT ...): the same policy and masks.
    script = pg_dump(gateway, "--data-only", "-t", "public.customers", user="dana", roles=("analyst",))
    lines = script.split("FROM stdin;\n", 1)[1].splitlines()
    first = lines[0].split("\t")
    assert first[0] == "1" and first[4].startswith("****") and first[2].startswith("****@")
    assert len([line for line in lines if line and line[0].isdigit()]) == 100_000
    copies = [
        r["data"]
        for r in audit_records(gateway)
        if r["type"] == "statement"
        and r["data"]["principal"]["subject"] == "dana"
        and "FROM public.customers" in r["data"]["sql"]  # recorded as the SELECT it ran
    ]
    assert copies and {"ssn", "email", "card_number"} <= {m["column"] for m in copies[-1]["masked_columns"]}
