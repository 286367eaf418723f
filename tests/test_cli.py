"""The command line as a new user meets it: help for every command, the demo's banner and
the exact psql command it prints, tokens."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import PGBRIDGE, run_cli
from tests.support.demo import copy_demo
from tests.support.postgres import free_port


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["demo"],
        ["token"],
        ["approvals"],
        ["approvals", "approve"],
        ["audit"],
        ["audit", "verify"],
        ["audit", "replay"],
        ["audit", "report"],
    ],
)
@pytest.mark.slow  # a Python process per command
def test_help_is_complete(command: list[str]) -> None:
    done = run_cli(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage: pgbridge" in done.stdout
    assert len(done.stdout.splitlines()) >= 4


def test_token_requires_the_demo_key(tmp_path: Path) -> None:
    done = run_cli("token", "--sub", "a", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "no signing key" in done.stderr


def test_demo_prints_a_psql_command_that_works(demo_dir: Path, tmp_path: Path) -> None:
    data_dir = copy_demo(demo_dir, tmp_path / "demo")  # the demo reuses the files it finds
    port = free_port()
    process = subprocess.Popen(
        [*PGBRIDGE, "demo", "--data-dir", str(data_dir), "--port", str(port), "--admin-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _read_banner(process)
        command = next(line.strip() for line in banner if line.strip().startswith("PGPASSWORD="))
        assert f"port={port}" in command and "sslmode=verify-full" in command
        done = subprocess.run(
            ["bash", "-c", command + " -X -At -c 'SELECT count(*) FROM shop.orders'"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path.cwd(),
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "1000000"
    finally:
        process.terminate()
        process.wait(10)


def _read_banner(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if re.search(r"Press Ctrl-C", line):
            return lines
    raise AssertionError("demo banner not printed:\n" + "".join(lines))
