"""A real pgbridge gateway process for tests: the demo's files in a temporary folder,
`pgbridge serve` started as a subprocess on a free port, tokens minted with the demo key.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pgbridge.auth.jwt import sign_token
from pgbridge.cli import DEMO_AUDIENCE, DEMO_ISSUER
from pgbridge.demo.setup import TOKEN_KEY, ensure_demo
from tests.support.postgres import free_port

# Every token minted for a test gateway in this run: no log may contain one (tests/ops/test_log_scan.py).
MINTED: list[str] = []


@dataclass
class RunningGateway:
    host: str
    port: int
    data_dir: Path
    config_path: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def cert(self) -> Path:
        return self.data_dir / "server.crt"

    def token(
        self, sub: str = "alice", roles: tuple[str, ...] = ("admin",), *, ttl: int = 3600, **claims: object
    ) -> str:
        key = (self.data_dir / TOKEN_KEY).read_bytes()
        token = sign_token(
            key, sub, roles, ttl, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE, extra_claims=claims
        )
        MINTED.append(token)
        return token

    def dsn(
        self,
        user: str = "alice",
        roles: tuple[str, ...] = ("admin",),
        sslmode: str = "require",
        **claims: object,
    ) -> str:
        return (
            f"host={self.host} port={self.port} dbname=pgbridge user={user} sslmode={sslmode} "
            f"password={self.token(user, roles, **claims)}"
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"gateway did not listen on {port}:\n{log_path.read_text()}")


def wait_for_workers(gateway: RunningGateway, count: int, timeout: float = 60) -> None:
    """Wait until all `count` workers of `serve --workers` listen: the port answers as soon as
    the first does, and until the others do the kernel hands every connection to it."""
    deadline = time.monotonic() + timeout
    while gateway.log().count("pgbridge listening on") < count:
        if time.monotonic() > deadline or gateway.process.poll() is not None:
            raise RuntimeError(f"{count} workers did not all listen:\n{gateway.log()}")
        time.sleep(0.05)


@contextlib.contextmanager
def running_gateway(
    data_dir: Path,
    config_text: str | None = None,
    cli_args: tuple[str, ...] = (),
    serve_args: Sequence[str] = (),
    port: int | None = None,
) -> Iterator[RunningGateway]:
    """Start `pgbridge serve` on the demo files in data_dir (config_text replaces the demo config;
    cli_args go before `serve`, e.g. ("--log-format", "human"); serve_args after it, e.g.
    ["--workers", "2"]); `port` when the caller must know it before the start (peers name each
    other's ports), else a free one.

    data_dir holds a copy of the demo (tests.support.demo.copy_demo): the demo is built once
    per run, so a folder without its warehouse is a mistake, not a reason to build another."""
    if not (data_dir / "warehouse.duckdb").exists():
        raise RuntimeError(f"{data_dir} has no warehouse: start gateways on copy_demo(demo_dir, ...)")
    port = port or free_port()
    config_path = ensure_demo(data_dir, "127.0.0.1", port)
    if config_text is not None:
        config_path.write_text(config_text.replace("{port}", str(port)), encoding="utf-8")
    log_path = data_dir / f"gateway-{port}.log"
    with open(log_path, "wb") as log:
        argv = [sys.executable, "-m", "pgbridge.cli", *cli_args, "serve", "--config", str(config_path)]
        process = subprocess.Popen(
            [*argv, *serve_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_for_port("127.0.0.1", port, process, log_path)
        yield RunningGateway("127.0.0.1", port, data_dir, config_path, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
