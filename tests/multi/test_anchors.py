"""Audit anchored outside the host: real gateway processes, real clients, an append-only table in
the run's PostgreSQL, and the tail drop that the chain alone cannot show."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import psycopg
import pytest

from tests.multi.support import TABLE, AnchorStore, anchored_config, cut_tail, log_records
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_session
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import free_port

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow


async def _ready(admin_port: int) -> tuple[int, str]:
    """/readyz's status and its audit check (cached for a moment: wait past that)."""
    await asyncio.sleep(1.1)
    return await asyncio.to_thread(_readyz, admin_port)


def _readyz(admin_port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())["checks"]["audit"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["checks"]["audit"]


def _gateway_id(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"  # the table is shared by the run's tests


async def _statements(gw: RunningGateway, count: int) -> None:
    async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
        for n in range(count):
            assert await conn.fetchval(f"SELECT {n} + 1") == n + 1


def _verify(store: AnchorStore, *dirs: Path) -> tuple[int, str]:
    keys = [arg for d in dirs for arg in ("--public-key", str(d.parent / "audit-signing-key.pub"))]
    done = run_cli("audit", "verify", "--anchors", store.url("pgbridge_auditor"), *keys, *map(str, dirs))
    return done.returncode, done.stdout + done.stderr


async def test_a_tail_drop_after_clean_shutdown_is_reported_as_truncated(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    gateway_id = _gateway_id("gw-tail")
    config = anchored_config(anchor_store.url("pgbridge_anchor"), gateway_id)
    with running_gateway(demo_copy("anchors-tail"), config) as gw:
        await _statements(gw, 5)
    audit = gw.data_dir / "audit"
    records = log_records(audit)
    assert records[-1]["type"] == "log_closed"
    assert anchor_store.latest(gateway_id) == (records[-1]["seq"], "shutdown")
    # every record of the session (all records, in fact) names the gateway that wrote it
    assert {r["data"].get("gateway") for r in records} == {gateway_id}
    status, out = _verify(anchor_store, audit)
    assert status == 0 and "OK" in out and "0 record(s) after it not anchored" in out, out

    last = cut_tail(audit, 3)
    plain = run_cli(
        "audit",
        "verify",
        "--audit-dir",
        str(audit),
        "--public-key",
        str(gw.data_dir / "audit-signing-key.pub"),
    )
    assert plain.returncode == 0, plain.stdout  # the premise: the chain alone cannot see the cut
    status, out = _verify(anchor_store, audit)
    assert status == 1, out
    assert (
        f"TRUNCATED: the log ends at seq {last}" in out
        and f"records {last + 1}..{last + 3} were cut off" in out
    )


async def test_a_tail_drop_on_a_killed_gateway_is_seen_up_to_its_last_periodic_anchor(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    gateway_id = _gateway_id("gw-kill")
    config = anchored_config(anchor_store.url("pgbridge_anchor"), gateway_id, interval_s=0.3)
    with running_gateway(demo_copy("anchors-kill"), config) as gw:
        await _statements(gw, 6)
        head = log_records(gw.data_dir / "audit")[-1]["seq"]
        assert anchor_store.wait_anchored(gateway_id, head) == (head, "periodic")
        gw.process.send_signal(signal.SIGKILL)  # no shutdown: only the periodic anchors exist
        gw.process.wait(10)
    audit = gw.data_dir / "audit"
    status, out = _verify(anchor_store, audit)
    assert status == 0 and f"the latest seq {head} " in out, out
    cut_tail(audit, 2)
    status, out = _verify(anchor_store, audit)
    assert status == 1 and "TRUNCATED" in out and f"anchored seq {head}" in out, out


async def test_a_cut_log_continued_by_a_restarted_gateway_is_reported_as_rewritten(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    gateway_id = _gateway_id("gw-rewrite")
    config = anchored_config(anchor_store.url("pgbridge_anchor"), gateway_id)
    data_dir = demo_copy("anchors-rewrite")
    with running_gateway(data_dir, config) as gw:
        await _statements(gw, 3)
    audit = data_dir / "audit"
    cut_tail(audit, 4)
    with running_gateway(data_dir, config) as gw:  # the cut log is resumed: new records replace the cut ones
        await _statements(gw, 3)
    status, out = _verify(anchor_store, audit)
    assert status == 1 and "REWRITTEN: record seq" in out, out


def test_the_gateway_role_can_only_insert_and_nobody_can_rewrite(anchor_store: AnchorStore):
    with psycopg.connect(anchor_store.url("pgbridge_anchor"), autocommit=True) as conn:
        for statement in (
            f"UPDATE {TABLE} SET seq = 0",
            f"DELETE FROM {TABLE}",
            f"TRUNCATE {TABLE}",
            f"SELECT count(*) FROM {TABLE}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # the store's clock is not the writer's
            conn.execute(
                f"INSERT INTO {TABLE} (gateway_id, seq, hash, at, reason, body, sig, received_at) "  # type: ignore[arg-type]
                "VALUES ('x', 1, 'h', now(), 'periodic', '{}', 's', now() - interval '1 day')"
            )
    with psycopg.connect(anchor_store.url(), autocommit=True) as conn:  # even the owner meets the trigger
        for statement in (f"UPDATE {TABLE} SET seq = 0", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)  # type: ignore[arg-type]


def test_a_gateway_that_could_rewrite_its_anchors_refuses_to_start(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    config = anchored_config(anchor_store.url(), _gateway_id("gw-owner"))  # the owner: a superuser
    with (
        pytest.raises(RuntimeError, match="can rewrite pgbridge_audit_anchors"),
        running_gateway(demo_copy("anchors-owner"), config),
    ):
        pass


async def test_statements_are_refused_while_the_anchor_store_is_unreachable(
    demo_copy: Callable[[str], Path], anchor_store: AnchorStore
):
    role = f"anchor_{uuid.uuid4().hex[:6]}"
    url = anchor_store.add_role(role, writer=True)
    admin_port = free_port()
    config = anchored_config(
        url, _gateway_id("gw-down"), interval_s=0.3, max_unanchored_s=1.0, admin_port=admin_port
    )
    with running_gateway(demo_copy("anchors-down"), config) as gw:
        await _statements(gw, 1)
        assert await _ready(admin_port) == (200, "ok")
        with psycopg.connect(anchor_store.url(), autocommit=True) as admin:
            admin.execute(f'ALTER ROLE "{role}" NOLOGIN')  # type: ignore[arg-type]
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
            )
        async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
            refused = None
            for _ in range(100):
                try:
                    await conn.fetchval("SELECT 1")
                except asyncpg.PostgresError as exc:
                    refused = exc
                    break
                await asyncio.sleep(0.1)
            assert refused is not None and refused.sqlstate == "58030", refused
            assert "cannot be anchored" in str(refused) and "not run" in str(refused)
            status, audit_check = await _ready(admin_port)  # the load balancer can take it out of rotation
            assert status == 503 and audit_check.startswith("anchors: "), audit_check
            with psycopg.connect(anchor_store.url(), autocommit=True) as admin:
                admin.execute(f'ALTER ROLE "{role}" LOGIN')  # type: ignore[arg-type]
            for _ in range(100):
                try:
                    assert await conn.fetchval("SELECT 2") == 2
                    break
                except asyncpg.PostgresError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("statements stayed refused after the anchor store came back")
            assert await _ready(admin_port) == (200, "ok")
