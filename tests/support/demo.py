"""The demo's files for tests: built once per run into a template, copied for every gateway.

Building the demo (the 1.1M-row warehouse, keys, certificate) costs seconds; copying its
files costs milliseconds. The template is never served: DuckDB locks its file and a gateway
writes its audit log, approvals and DML into its folder, so each gateway, and each test that
writes, runs on a copy of its own and never sees another's state.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pgbridge.demo.setup import ensure_demo

# What belongs to one gateway run: never copied (the template never runs, this is a guard).
RUN_FILES = ("audit", "gateway-*.log", "approvals.sqlite*", "*.wal")


def build_demo(path: Path) -> Path:
    """Build the demo's files under `path` (the template); return `path`."""
    ensure_demo(path, "127.0.0.1", 5433)
    return path


def copy_demo(template: Path, target: Path) -> Path:
    """A private copy of the template's files at `target` (which must not exist yet);
    `running_gateway` rewrites its config for the port it picks."""
    shutil.copytree(template, target, ignore=shutil.ignore_patterns(*RUN_FILES))
    target.chmod(0o700)
    return target
