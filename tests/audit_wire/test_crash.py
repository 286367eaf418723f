"""Issue 5 items 3 and 8, crash: `kill -9` of the gateway while eight clients run queries.

The log must verify up to its last complete record (a torn last line is the only problem
allowed), every query a client saw complete must have its write-ahead record, and a restarted
gateway cuts the torn tail, says so in a `log_recovered` record and continues the same chain.

Completion records are written off the statement's path (issue 14): durable with the session's
next write-ahead record or within [audit] deferred_flush_ms. So a crash can lose, per session,
only the completion of its last statement, and `audit verify` names such statements unfinished.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncpg
import pytest

from pgbridge.audit.settings import load_public_key
from pgbridge.audit.verify import verify
from tests.audit_wire.support import of_type, read_records
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_connect
from tests.support.demo import copy_demo
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.slow  # kill -9 under load, twice, and restarts

CLIENTS = 8
QUERY = "SELECT id, name FROM shop.products WHERE id <= 20 AND id <> $1"  # 19-20 rows: a recording each


async def _client(gw: RunningGateway, number: int, acknowledged: list[int], stop: asyncio.Event) -> None:
    try:
        conn = await asyncpg_connect(gw, application_name=f"load-{number}", timeout=60)
    except (OSError, asyncpg.PostgresError):
        return
    tag = number * 1_000_000
    try:
        while not stop.is_set():
            tag += 1
            rows = await conn.fetch(QUERY, tag)
            assert len(rows) >= 19
            acknowledged.append(tag)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        pass  # the gateway died under us
    finally:
        conn.terminate()


async def _load_then_kill(gw: RunningGateway, enough: int) -> list[int]:
    acknowledged: list[int] = []
    stop = asyncio.Event()
    clients = [asyncio.ensure_future(_client(gw, n, acknowledged, stop)) for n in range(CLIENTS)]
    deadline = time.monotonic() + 15
    while len(acknowledged) < enough and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    os.kill(gw.process.pid, signal.SIGKILL)  # mid-load: queries are in flight in every session
    gw.process.wait()
    stop.set()
    await asyncio.wait_for(asyncio.gather(*clients), 20)
    assert len(acknowledged) >= enough, f"only {len(acknowledged)} queries ran before the deadline"
    return acknowledged


def _check_after_crash(audit_dir: Path, acknowledged: list[int]) -> None:
    files = sorted(audit_dir.glob("audit-*.jsonl"))
    data = files[-1].read_bytes()
    complete = sum(path.read_bytes().count(b"\n") for path in files)
    done = run_cli("audit", "verify", "--audit-dir", str(audit_dir))
    if data.endswith(b"\n"):
        assert done.returncode == 0, done.stdout
        assert done.stdout.startswith(f"OK: {complete} records") and "clean shutdown" in done.stdout
    else:  # a torn last line: everything before it verifies, and it is named
        assert done.returncode == 1
        torn_line = data.count(b"\n") + 1
        assert done.stdout.startswith(f"FAILED at {files[-1]}:{torn_line}: incomplete record")
        assert f"{complete} record(s) verified before it" in done.stdout
    records = read_records(audit_dir)
    statements = {s["params"][0]["value"]: s["statement_id"] for s in of_type(records, "statement")}
    completed = {d["statement_id"] for d in of_type(records, "statement_completed")}
    missing = [tag for tag in acknowledged if tag not in statements]
    assert not missing, f"{len(missing)} acknowledged queries have no write-ahead record"
    # Each client's statements are acknowledged in order: only its last one's completion may
    # be lost (every earlier one was carried to disk by the next write-ahead record).
    last = {tag // 1_000_000: tag for tag in sorted(acknowledged)}
    lost = {tag for tag in acknowledged if statements[tag] not in completed}
    assert lost <= set(last.values()), f"completions lost before a later write-ahead record: {lost}"
    if data.endswith(b"\n"):  # verify names them: they ran, how they ended is not recorded
        key = load_public_key(audit_dir.parent / "audit-signing-key.pub")
        unfinished = set(verify([audit_dir], key).unfinished)
        assert {statements[tag] for tag in lost} <= unfinished
        if unfinished:
            assert f"{len(unfinished)} statement(s) unfinished" in done.stdout, done.stdout


async def _restart_and_check(data_dir: Path, audit_dir: Path) -> None:
    with running_gateway(data_dir) as gw:
        conn = await asyncpg_connect(gw, application_name="after-crash", timeout=60)
        assert len(await conn.fetch(QUERY, 7)) == 19
        await conn.close()
    records = read_records(audit_dir)
    [recovered] = [r for r in records if r["type"] == "log_recovered"][-1:]
    assert recovered["data"]["clean_shutdown"] is False
    assert records[-1]["type"] == "log_closed"
    done = run_cli("audit", "verify", "--audit-dir", str(audit_dir))
    assert done.returncode == 0 and done.stdout.startswith(f"OK: {len(records)} records"), done.stdout
    assert "clean shutdown" not in done.stdout


async def test_kill_9_under_load_leaves_a_verifiable_log(demo_dir: Path, tmp_path: Path):
    data_dir = copy_demo(demo_dir, tmp_path / "demo")
    audit_dir = data_dir / "audit"
    for enough in (120, 60):  # twice: the second crash lands on a log that was recovered once
        with running_gateway(data_dir) as gw:
            acknowledged = await _load_then_kill(gw, enough)
        _check_after_crash(audit_dir, acknowledged)
        await _restart_and_check(data_dir, audit_dir)
    assert len([r for r in read_records(audit_dir) if r["type"] == "log_recovered"]) == 2


async def test_kill_9_after_the_bound_loses_no_completion(demo_dir: Path, tmp_path: Path):
    """A session's last completion is durable within deferred_flush_ms even when no other record
    follows it to carry it to disk."""
    data_dir = copy_demo(demo_dir, tmp_path / "demo")
    with running_gateway(data_dir) as gw:  # the demo's fsync "batch", deferred_flush_ms 100 by default
        conn = await asyncpg_connect(gw, application_name="idle-then-killed", timeout=60)
        assert len(await conn.fetch(QUERY, 424242)) == 20  # no id is 424242
        await asyncio.sleep(1.0)  # ten times the bound, and nothing else happens
        os.kill(gw.process.pid, signal.SIGKILL)
        gw.process.wait()
        conn.terminate()
    records = read_records(data_dir / "audit")
    [statement] = [s for s in of_type(records, "statement") if s["params"][0]["value"] == 424242]
    [completed] = of_type(records, "statement_completed", statement_id=statement["statement_id"])
    assert completed["rows"] == 20 and completed["sqlstate"] is None

