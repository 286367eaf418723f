"""Helpers for the compatibility tests: each module drives one real client program or
library against the session's running gateway (tests/conftest.py `gateway`)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.gateway import RunningGateway


def psql(
    gateway: RunningGateway,
    *args: str,
    user: str = "alice",
    roles: tuple[str, ...] = ("admin",),
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run psql 15 (no psqlrc) with the JWT as password over TLS; returns the finished process."""
    env = {
        **os.environ,
        "PGPASSWORD": gateway.token(user, roles),
        "PGSSLMODE": "require",
        "PGCONNECT_TIMEOUT": "10",
        "PAGER": "cat",
        "COLUMNS": "200",
    }
    argv = ["psql", "-X", "-h", gateway.host, "-p", str(gateway.port), "-U", user, "-d", "pgbridge", *args]
    return subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def audit_records(gateway: RunningGateway) -> Iterator[dict[str, Any]]:
    """Every record of the gateway's audit log so far, oldest first."""
    for path in sorted((gateway.data_dir / "audit").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                yield json.loads(line)


def statement_records(gateway: RunningGateway, sql: str) -> list[dict[str, Any]]:
    return [r for r in audit_records(gateway) if r["type"] == "statement" and r["data"].get("sql") == sql]


NODE_DIR = Path(__file__).parent / "node"
