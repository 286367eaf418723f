"""Helpers for the several-gateways tests: the anchor store's roles, configs, reading a log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from pgbridge.audit import records
from pgbridge.demo.setup import demo_config
from tests.support.postgres import PostgresServer

TABLE = "pgbridge_audit_anchors"


@dataclass(frozen=True)
class AnchorStore:
    server: PostgresServer  # on the anchors database, as its owner (a superuser here)

    def url(self, role: str | None = None) -> str:
        user = role or self.server.user
        return f"postgresql://{user}@{self.server.host}:{self.server.port}/{self.server.database}"

    def add_role(self, name: str, *, writer: bool = False) -> str:
        """A LOGIN role; a writer gets INSERT on the checkpoint columns (anchors-setup's grant)."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE ROLE "{name}" LOGIN')  # type: ignore[arg-type]
        if writer:
            from pgbridge.audit.anchor_pg import setup

            setup(self.url(), name)
        return self.url(name)

    def latest(self, gateway: str) -> tuple[int, str] | None:
        with psycopg.connect(self.url()) as conn:
            row = conn.execute(
                f"SELECT seq, reason FROM {TABLE} WHERE gateway_id = %s "
                "ORDER BY seq DESC, received_at DESC LIMIT 1",
                (gateway,),
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def wait_anchored(self, gateway: str, seq: int, timeout: float = 20) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.latest(gateway)
            if found is not None and found[0] >= seq:
                return found
            time.sleep(0.1)
        raise AssertionError(f"gateway {gateway} never anchored seq {seq} (latest: {self.latest(gateway)})")


def anchored_config(
    url: str, gateway_id: str, interval_s: float = 0.5, max_unanchored_s: float = 0, admin_port: int = 0
) -> str:
    """The demo config with a gateway id and [audit.anchors]; `{port}` is filled in by running_gateway."""
    text = demo_config("127.0.0.1", 0, admin_port).replace("\nport = 0\n", "\nport = {port}\n", 1)
    text = text.replace("[audit]\n", f'[audit]\ngateway_id = "{gateway_id}"\n', 1)
    anchors = f'url = "{url}"\ninterval_s = {interval_s}\nmax_unanchored_s = {max_unanchored_s}\n'
    return f"{text}\n[audit.anchors]\n{anchors}"


def log_records(audit_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in records.log_files(audit_dir) for line in path.read_bytes().splitlines()
    ]


def cut_tail(audit_dir: Path, count: int) -> int:
    """Remove the newest file's last `count` records, as root on the host could; return the new last seq."""
    path = records.log_files(audit_dir)[-1]
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) > count, "the newest file is too short to cut"
    path.write_bytes(b"".join(lines[:-count]))
    return int(json.loads(lines[-count - 1])["seq"])


def store_database(postgres: PostgresServer, name: str) -> str:
    """A fresh database owned by a LOGIN role of the same name: the gateways' approvals store URL
    (the gateway migrates it; the role can be locked out to make the store unreachable)."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')  # type: ignore[arg-type]
    return f"postgresql://{name}@{postgres.host}:{postgres.port}/{name}"


def store_config(url: str, admin_port: int = 0) -> str:
    """The demo config with approvals in the shared PostgreSQL store (and an admin port if given)."""
    text = demo_config("127.0.0.1", 0, admin_port).replace("\nport = 0\n", "\nport = {port}\n", 1)
    return f'{text}\n[policy.store]\nurl = "{url}"\n'


def lock_out(postgres: PostgresServer, role: str, locked: bool) -> None:
    """Make the store unreachable for `role` (and drop its open connections), or reachable again."""
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'ALTER ROLE "{role}" {"NOLOGIN" if locked else "LOGIN"}')  # type: ignore[arg-type]
        if locked:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))


def several_config(anchor_url: str, store_url: str, gateway_id: str, interval_s: float = 0.5) -> str:
    """One of several gateways: its own id, the shared anchors and the shared approvals store."""
    return f'{anchored_config(anchor_url, gateway_id, interval_s)}\n[policy.store]\nurl = "{store_url}"\n'
