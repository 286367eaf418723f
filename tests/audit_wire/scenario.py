"""The audited session every field test reads: `pgbridge demo` itself (so the log is where the
demo puts it, DATA_DIR/audit), then psql and asyncpg clients doing what issue 5 lists —
parameters, a masked query as analyst, an error, a refused query, a cancel, a bad token — and a
clean stop. `Run` keeps what the clients did and saw, to compare with what the log says.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pgbridge.auth.jwt import sign_token
from pgbridge.cli import DEMO_AUDIENCE, DEMO_ISSUER
from tests.audit_wire.support import of_type, read_records, wait_until
from tests.support.cli import PGBRIDGE, ROOT, run_cli
from tests.support.clients import asyncpg_connect
from tests.support.gateway import RunningGateway, wait_for_port
from tests.support.postgres import free_port
from tests.support.psql import commands, psql_argv, psql_env

MASKED_SQL = "SELECT id, ssn, email, phone FROM shop.customers WHERE id <= 3 ORDER BY id"
ERROR_SQL = "SELECT CAST(name AS int) FROM shop.products"
REFUSED_SQL = "SELECT id FROM shop.customers WHERE phone LIKE '1%'"  # phone is a keyed hash
PARAM_SQL = "SELECT id, name FROM shop.products WHERE id = $1 AND name <> $2"
MASKED_PARAM_SQL = "SELECT id, ssn FROM shop.customers WHERE id = $1"
CLEAR_SQL = "SELECT id, ssn FROM shop.customers WHERE id <= 3 ORDER BY id"
SLOW_SQL = "SELECT sum(a.amount * b.amount) FROM shop.orders a CROSS JOIN shop.orders b"
# estimated at 25 MB: over the analyst's 20 MB, so it waits for an approver
APPROVAL_SQL = "SELECT count(*) FROM shop.orders WHERE amount > 0 AND customer_id > 0 AND status <> 'x'"
APPROVER = "dave"
APPS = ("audit-psql", "audit-asyncpg", "audit-analyst", "audit-approval")  # sessions that authenticate


@dataclass
class Run:
    data_dir: Path
    gateway_log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # who -> the token string used
    local_ports: dict[str, int] = field(default_factory=dict)  # application_name -> client port
    clear_ssns: list[str] = field(default_factory=list)
    approval_id: str = ""
    psql_out: str = ""
    psql_err: str = ""

    @property
    def audit_dir(self) -> Path:
        return self.data_dir / "audit"

    @property
    def records(self) -> list[dict[str, Any]]:
        return read_records(self.audit_dir)

    def session(self, application_name: str) -> str:
        opened = of_type(self.records, "connection_opened", application_name=application_name)
        assert len(opened) == 1, f"one session named {application_name}: {opened}"
        return str(opened[0]["session_id"])


def foreign_token(sub: str) -> str:
    """A well-formed JWT the gateway must refuse: signed by a key it does not trust."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return sign_token(pem, sub, ("admin",), 3600, issuer=DEMO_ISSUER, audience=DEMO_AUDIENCE)


def _psql(gw: RunningGateway, run: Run) -> None:
    env = psql_env(gw, "bob", ("analyst",), extra={"PGAPPNAME": "audit-psql"})
    run.tokens["bob"] = env["PGPASSWORD"]
    done = subprocess.run(psql_argv(gw, *commands((MASKED_SQL, ERROR_SQL, REFUSED_SQL)), user="bob"),
                          env=env, capture_output=True, text=True, timeout=60)
    run.psql_out, run.psql_err = done.stdout, done.stderr


async def _asyncpg_admin(gw: RunningGateway, run: Run) -> None:
    run.tokens["alice"] = gw.token("alice", ("admin",))
    conn = await asyncpg_connect(gw, "alice", application_name="audit-asyncpg",
                                 password=run.tokens["alice"], timeout=60)
    run.local_ports["audit-asyncpg"] = conn._transport.get_extra_info("sockname")[1]
    try:
        assert [tuple(r) for r in await conn.fetch(PARAM_SQL, 7, "zzz")] == [(7, "Tools item 7")]
        run.clear_ssns = [r["ssn"] for r in await conn.fetch(CLEAR_SQL)]
        task = asyncio.ensure_future(conn.fetchval(SLOW_SQL))
        await asyncio.sleep(1.0)
        task.cancel()  # asyncpg sends a CancelRequest on a new connection
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()


async def _asyncpg_analyst(gw: RunningGateway, run: Run) -> None:
    run.tokens["carol"] = gw.token("carol", ("analyst",))
    conn = await asyncpg_connect(gw, "carol", application_name="audit-analyst",
                                 password=run.tokens["carol"], timeout=60)
    try:
        row = await conn.fetchrow(MASKED_PARAM_SQL, 2)
        assert row is not None and row["ssn"].startswith("*")
    finally:
        await conn.close()


async def _approved(gw: RunningGateway, run: Run) -> None:
    """Wait mode: the NOTICE names the request; an approver decides it with the CLI."""
    run.tokens["erin"] = gw.token("erin", ("analyst",))
    conn = await asyncpg_connect(gw, "erin", application_name="audit-approval",
                                 password=run.tokens["erin"], timeout=60)
    pending: asyncio.Queue[str] = asyncio.Queue()
    conn.add_log_listener(lambda _c, message: pending.put_nowait(str(message)))
    try:
        task = asyncio.ensure_future(conn.fetchval(APPROVAL_SQL))
        notice = await asyncio.wait_for(pending.get(), 20)
        run.approval_id = re.search(r"approval request (apr_\w+) is pending", notice).group(1)  # type: ignore[union-attr]
        decided = await asyncio.to_thread(run_cli, "approvals", "approve", run.approval_id, "--by", APPROVER,
                                          "--data-dir", str(gw.data_dir))
        assert decided.returncode == 0, decided.stderr
        assert await asyncio.wait_for(task, 30) > 0
    finally:
        await conn.close()


async def _bad_token(gw: RunningGateway, run: Run) -> None:
    token = run.tokens["mallory"] = foreign_token("mallory")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg_connect(gw, "mallory", application_name="audit-bad-token",
                                 password=token, timeout=60)


def start_demo(data_dir: Path) -> RunningGateway:
    """`pgbridge demo --data-dir DATA_DIR`, as a new user would start it."""
    port = free_port()
    log_path = data_dir.parent / "demo-gateway.log"
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            [*PGBRIDGE, "demo", "--data-dir", str(data_dir), "--port", str(port),
             "--admin-port", "0"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wait_for_port("127.0.0.1", port, process, log_path)
    return RunningGateway("127.0.0.1", port, data_dir, data_dir / "pgbridge.toml", process, log_path)


async def play(data_dir: Path) -> Run:
    gw = start_demo(data_dir)
    run = Run(data_dir, gw.log_path)
    try:
        await asyncio.to_thread(_psql, gw, run)
        await _asyncpg_admin(gw, run)
        await _asyncpg_analyst(gw, run)
        await _approved(gw, run)
        await _bad_token(gw, run)

        def all_closed() -> bool:
            return len(of_type(run.records, "connection_closed")) >= len(APPS)

        await asyncio.to_thread(wait_until, all_closed, 10, "connection_closed records")
    finally:
        gw.process.send_signal(signal.SIGTERM)  # a clean stop writes log_closed
        gw.process.wait(20)
    return run
