"""Several gateway processes on one port: `pgbridge serve --workers N`.

One Python process uses one core at most (the GIL), so a gateway sized to a machine runs N
worker processes, each a whole gateway (its own event loop, pools, catalog engine, backend
client and audit chain), all listening on the same port with SO_REUSEPORT: the kernel spreads
new connections over them. The supervisor (the process `serve` started) only starts the workers,
passes signals on and stops them all when one ends; a worker whose supervisor dies (even by
SIGKILL) is sent SIGTERM by the kernel.

What must be shared is shared through stores every process reaches:
- a CancelRequest arrives on a new connection, which any worker may accept. The worker's index
  is the low bits of the process id in BackendKeyData (`owner_of`), and each worker listens on a
  Unix socket of its own in the run directory; a worker that does not own the session forwards
  the request there (pgbridge.server.cancel_relay);
- per-principal limits (connections, queries per minute, bytes per day) are counted in a SQLite
  file beside the approvals store (pgbridge.policy.limits_store), approvals in the approvals
  store itself; the per-principal caps on concurrent work stay per worker: they protect that
  worker's thread pools;
- each worker writes its own audit chain: worker 0 in [audit] directory, worker k in
  directory/worker-k; `pgbridge audit verify` checks every chain it finds there;
- the admin listener (approvals API, console) runs in worker 0 only.

A DuckDB file can be opened by several processes only read-only, so a writable warehouse runs
one worker when the count is automatic (0) and is refused when it is asked for explicitly.
The default is one worker: several are asked for (`--workers N`, `[server] workers`), since
they change what an operator sees (one audit chain per worker, the admin listener in worker 0).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pgbridge.config import Config
from pgbridge.config_base import ConfigError

MAX_WORKERS = 64
_PR_SET_PDEATHSIG = 1
INDEX_BITS = 6  # process id = random << INDEX_BITS | worker index
log = logging.getLogger("pgbridge.gateway")


@dataclass(frozen=True)
class WorkerSlot:
    """Which worker this process is, of how many, and where the workers meet."""

    index: int
    count: int
    run_dir: Path

    def cancel_socket(self, index: int) -> Path:
        return self.run_dir / f"cancel-{index}.sock"


def owner_of(process_id: int) -> int:
    """The worker that handed out this BackendKeyData process id."""
    return process_id & (MAX_WORKERS - 1)


def worker_process_id(random_part: int, index: int) -> int:
    return (random_part << INDEX_BITS) | index


def resolve_workers(config: Config, requested: int | None) -> int:
    """The worker count: --workers, else [server] workers (1 unless set); 0 means one per core."""
    count = requested if requested is not None else config.server.workers
    duckdb = config.backend.duckdb
    writable = config.backend.kind == "duckdb" and duckdb is not None and not duckdb.read_only
    if not count:
        count = 1 if writable else (os.cpu_count() or 1)
    if not 1 <= count <= MAX_WORKERS:
        raise ConfigError("--workers", f"must be between 1 and {MAX_WORKERS}, got {count}")
    if count > 1 and writable:
        raise ConfigError(
            "backend.duckdb.read_only",
            f"{count} workers cannot share a writable DuckDB file: set read_only = true (no DML), "
            "or run one worker",
        )
    return count


def worker_config(config: Config, slot: WorkerSlot) -> Config:
    """Worker k's configuration: its own audit chain (and gateway id, `<gateway_id>/w<k>`, so
    its records and anchors name the chain they belong to), and the admin listener in worker 0 only."""
    audit = config.audit
    if slot.index:
        audit = dataclasses.replace(audit, directory=audit.directory / f"worker-{slot.index}")
    if audit.gateway_id is not None:
        audit = dataclasses.replace(audit, gateway_id=f"{audit.gateway_id}/w{slot.index}")
    server = config.server if slot.index == 0 else dataclasses.replace(config.server, admin_http_port=0)
    return dataclasses.replace(config, audit=audit, server=server)


def supervise(config_path: Path, count: int, log_level: str) -> int:
    """Start `count` workers, pass SIGINT / SIGTERM / SIGHUP on, stop them all when one ends."""
    run_dir = Path(tempfile.mkdtemp(prefix="pgbridge-workers-"))
    children = [_start(config_path, count, index, run_dir, log_level) for index in range(count)]
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)

    def reload(signum: int, _frame: object) -> None:
        for child in children:  # each worker reloads its own rules (pgbridge.ops.reload)
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGHUP)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    signal.signal(signal.SIGHUP, reload)
    try:
        code = _wait_any(children)
        if not stopping:
            log.error("a worker ended with %s; stopping the others", code)
            stop(signal.SIGTERM, None)
        for child in children:
            child.wait()
        return 0 if stopping else (code or 1)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _start(
    config_path: Path, count: int, index: int, run_dir: Path, log_level: str
) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pgbridge.cli", "--log-level", log_level, "serve",
            "--config", str(config_path), "--workers", str(count),
            "--worker-index", str(index), "--run-dir", str(run_dir)]  # fmt: skip
    return subprocess.Popen(argv, preexec_fn=_end_with_parent)


def _end_with_parent() -> None:
    """In the worker, before it starts: a SIGTERM when the supervisor dies, even by SIGKILL,
    so no orphaned worker keeps serving the port (Linux's PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_any(children: list[subprocess.Popen[bytes]]) -> int:
    while True:
        for child in children:
            code = child.poll()
            if code is not None:
                return code
        time.sleep(0.2)
