"""Helpers for proving the audit log through a running gateway: demo configs with the [audit]
table changed, reading the JSON lines back, and the `pgbridge` CLI run as a real subprocess.
(Copies of the demo and connections come from tests/support.)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pgbridge.demo.setup import demo_config

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def demo_config_with(audit_lines: dict[str, str]) -> str:
    """The demo config (port left as `{port}` for running_gateway) with [audit] keys replaced."""
    text = re.sub(r"(?m)^port = 0$", "port = {port}", demo_config("127.0.0.1", 0), count=1)
    head, marker, tail = text.partition("[audit]\n")
    assert marker, "the demo config has no [audit] table"
    section, rest = tail.split("\n\n", 1)
    for key, value in audit_lines.items():
        section, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", section)
        assert count == 1, f"[audit] {key} not found in the demo config"
    return head + marker + section + "\n\n" + rest


def read_records(audit_dir: Path) -> list[dict[str, Any]]:
    """Every complete record of the log, in chain order."""
    found: list[dict[str, Any]] = []
    for path in sorted(audit_dir.glob("audit-*.jsonl")):
        for raw in path.read_bytes().splitlines(keepends=True):
            if raw.endswith(b"\n"):
                found.append(json.loads(raw))
    return found


def of_type(records: list[dict[str, Any]], event_type: str, **match: Any) -> list[dict[str, Any]]:
    return [r["data"] for r in records if r["type"] == event_type
            and all(r["data"].get(name) == value for name, value in match.items())]


def wait_until(check: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def all_bytes_under(*roots: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for root in roots
            for path in ([root] if root.is_file() else sorted(root.rglob("*"))) if path.is_file()]
