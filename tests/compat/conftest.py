"""Helpers for the compatibility tests: each module drives one real client program or
library against the session's running gateway (tests/conftest.py `gateway`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.gateway import RunningGateway
from tests.support.psql import run_psql

TERMINAL = {"PAGER": "cat", "COLUMNS": "200"}


def psql(
    gateway: RunningGateway,
    *args: str,
    user: str = "alice",
    roles: tuple[str, ...] = ("admin",),
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """psql 15 as a person runs it: its default output, no pager, a wide terminal."""
    return run_psql(gateway, *args, user=user, roles=roles, stdin=stdin, env=TERMINAL)


def audit_records(gateway: RunningGateway) -> Iterator[dict[str, Any]]:
    """Every record of the gateway's audit log so far, oldest first."""
    for path in sorted((gateway.data_dir / "audit").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                yield json.loads(line)


def statement_records(gateway: RunningGateway, sql: str) -> list[dict[str, Any]]:
    return [r for r in audit_records(gateway) if r["type"] == "statement" and r["data"].get("sql") == sql]


NODE_DIR = Path(__file__).parent / "node"
