"""A real PostgreSQL 15 server for comparison tests, started on a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is created and
started as an unprivileged system user (created here when missing). The server is real: the
comparison tests ask it for its own text and binary output and hold pgbridge to it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

UNPRIVILEGED_USER = "pgbridge-test"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str
    data_dir: str

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def database_for(self, consumer: str) -> PostgresServer:
        """The same server on a database of `consumer`'s own, created empty on first use:
        one cluster per run, and what one consumer creates never meets another's."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (consumer,)).fetchone()
            if found is None:
                conn.execute(f'CREATE DATABASE "{consumer}"')  # type: ignore[arg-type]
        return dataclasses.replace(self, database=consumer)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bindir() -> str:
    """The directory holding initdb and pg_ctl (PostgreSQL 15 preferred)."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; run `make test`, which installs them"
    )


def _ensure_user() -> None:
    try:
        pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        # Two pytest-xdist workers may both get here on a fresh machine: the loser's useradd
        # fails because the user now exists, which is what it wanted.
        added = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", UNPRIVILEGED_USER],
            check=False,
        )
        if added.returncode != 0:
            pwd.getpwnam(UNPRIVILEGED_USER)


def _as_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *argv]


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL cluster; stop and delete it afterwards."""
    bindir = postgres_bindir()
    root = tempfile.mkdtemp(prefix="pgbridge-pg-")
    data_dir = os.path.join(root, "data")
    if os.geteuid() == 0:
        _ensure_user()
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o755)
    user = UNPRIVILEGED_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(
        _as_user(
            [
                f"{bindir}/initdb",
                "-D",
                data_dir,
                "-U",
                user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off "
        "-c TimeZone=UTC -c max_connections=200 -c shared_buffers=256MB"
    )
    subprocess.run(
        _as_user(
            [
                f"{bindir}/pg_ctl",
                "-D",
                data_dir,
                "-o",
                options,
                "-l",
                os.path.join(root, "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    server = PostgresServer("127.0.0.1", port, user, "postgres", data_dir)
    try:
        _wait_ready(server)
        yield server
    finally:
        subprocess.run(
            _as_user([f"{bindir}/pg_ctl", "-D", data_dir, "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((server.host, server.port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not start on port {server.port}")
