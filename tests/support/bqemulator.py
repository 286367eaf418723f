"""The `bqemulator` BigQuery emulator as a test fixture: its own venv, its own process.

Its pins (sqlglot < 30.12, duckdb 1.5) conflict with pgbridge's, so it runs from
.tools/bqemulator-venv (made by scripts/bqemulator-setup.sh, run here when missing) as a
separate process: REST on one free port, the Storage Read API (gRPC) on another. It is
seeded through the real google-cloud-bigquery client. If it cannot be installed or started
the fixture raises, so the tests fail with the reason instead of being skipped.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".tools" / "bqemulator-venv"
SETUP = REPO / "scripts" / "bqemulator-setup.sh"
PROJECT = "demo-proj"
BIG_ROWS = 200_000
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Emulator:
    project: str
    rest_url: str
    grpc_url: str  # http://host:port: plaintext gRPC
    log_path: str

    def client(self) -> bigquery.Client:
        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.rest_url),
        )

    def log_tail(self, chars: int = 3000) -> str:
        return Path(self.log_path).read_text(errors="replace")[-chars:]


def ensure_installed() -> Path:
    """The emulator's executable, installing its venv first when needed."""
    exe = VENV / "bin" / "bqemulator"
    proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 or not exe.exists():
        raise RuntimeError(
            f"bqemulator could not be installed by {SETUP} (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return exe


@contextlib.contextmanager
def running_emulator(seed_with: Callable[[bigquery.Client], None] | None = None) -> Iterator[Emulator]:
    """Start the emulator on free ports, seed it (default: `seed`), stop it afterwards."""
    exe = ensure_installed()
    rest_port, grpc_port = free_port(), free_port()
    while grpc_port == rest_port:
        grpc_port = free_port()
    fd, log_path = tempfile.mkstemp(prefix="bqemulator-", suffix=".log")
    argv = [str(exe), "start", "--project", PROJECT, "--rest-port", str(rest_port)]
    argv += ["--grpc-port", str(grpc_port), "--log-level", "warning", "--ephemeral"]
    emulator = Emulator(PROJECT, f"http://127.0.0.1:{rest_port}", f"http://127.0.0.1:{grpc_port}", log_path)
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(), env=_env()
        )
    try:
        _wait_healthy(proc, emulator)
        (seed_with or seed)(emulator.client())
        yield emulator
    finally:
        _stop(proc)
        os.unlink(log_path)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
    return env


def _wait_healthy(proc: subprocess.Popen[bytes], emulator: Emulator) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bqemulator exited with {proc.returncode}:\n{emulator.log_tail()}")
        try:
            with urllib.request.urlopen(f"{emulator.rest_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"bqemulator not healthy after {START_TIMEOUT}s:\n{emulator.log_tail()}")


SEED = [
    "CREATE SCHEMA IF NOT EXISTS shop",
    """CREATE TABLE shop.alltypes (
        id INT64 NOT NULL, f FLOAT64, n NUMERIC, b BOOL, s STRING, by BYTES, d DATE, dt DATETIME,
        t TIME, ts TIMESTAMP, j JSON, iv INTERVAL, g GEOGRAPHY, a ARRAY<INT64>,
        st STRUCT<x INT64, y STRING, z ARRAY<STRING>>, r RANGE<DATE>)
        OPTIONS (description = 'one row of every type, one row of NULLs')""",
    """INSERT INTO shop.alltypes VALUES
        (1, 1.5, NUMERIC '12.345', TRUE, 'héllo', FROM_BASE64('AP8='), DATE '2024-01-02',
         DATETIME '2024-01-02 03:04:05.123456', TIME '03:04:05.5', TIMESTAMP '2024-01-02 03:04:05.25+00',
         JSON '{"a": [1, 2]}', INTERVAL '1-2 3 4:5:6.5' YEAR TO SECOND, ST_GEOGPOINT(1, 2), [1, 2, 3],
         STRUCT(5 AS x, 'z' AS y, ['p', 'q'] AS z), RANGE(DATE '2024-01-01', DATE '2024-02-01')),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [], NULL, NULL)""",
    """CREATE TABLE shop.people (id INT64 NOT NULL, name STRING, email STRING, tags ARRAY<STRING>)
        OPTIONS (description = 'People we know')""",
    """INSERT INTO shop.people VALUES (1, 'Ada', 'ada@example.com', ['admin']),
        (2, 'Bob', 'bob@example.com', []), (3, 'Cy', NULL, ['x', 'y'])""",
    "CREATE VIEW shop.people_names AS SELECT id, name FROM shop.people",
    f"""CREATE TABLE shop.big AS SELECT x AS id, CONCAT('name-', CAST(x AS STRING)) AS name,
        x * 1.5 AS score, TIMESTAMP_ADD(TIMESTAMP '2024-01-01', INTERVAL x SECOND) AS ts
        FROM UNNEST(GENERATE_ARRAY(1, {BIG_ROWS})) AS x""",
]


def seed(client: bigquery.Client) -> None:
    for statement in SEED:
        client.query(statement).result(timeout=30)
