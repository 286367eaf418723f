"""`pgbridge` commands as an operator runs them: their own process, this checkout's code."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.gateway import RunningGateway

ROOT = Path(__file__).resolve().parents[2]
PGBRIDGE = (sys.executable, "-m", "pgbridge.cli")
# Where commands run unless a test says otherwise: not the checkout, whose .pgbridge-demo (made by
# `make demo`) would otherwise be every command's default data directory and its trusted key.
NEUTRAL_CWD = Path(tempfile.mkdtemp(prefix="pgbridge-cli-"))


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 60, text: bool = True
) -> subprocess.CompletedProcess[Any]:
    """`pgbridge ARGS`, waited for; stdout and stderr kept (bytes when text=False)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*PGBRIDGE, *args], cwd=cwd or NEUTRAL_CWD, env=env, capture_output=True, text=text, timeout=timeout
    )


def approve(gateway: RunningGateway, request_id: str, by: str) -> subprocess.CompletedProcess[str]:
    """`pgbridge approvals approve` on the gateway's data folder, as approver `by`."""
    return run_cli("approvals", "approve", request_id, "--by", by, "--data-dir", str(gateway.data_dir))
