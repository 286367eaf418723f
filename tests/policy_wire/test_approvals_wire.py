"""Approvals end to end: an analyst's query estimated over the demo's 20 MB scan limit needs a
human decision. Real clients wait (NoticeResponse first) or take a ticket; a real approver
decides through the `pgbridge approvals` CLI in another process or the admin HTTP endpoint.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time

import asyncpg
import psycopg
import pytest

from tests.policy_wire.conftest import PolicyGateway
from tests.policy_wire.support import (
    VERBOSE,
    WAIT_TIMEOUT_S,
    admin_http,
    approval_id,
    approvals_cli,
    psql,
)
from tests.support.psql import psql_argv, psql_env

# Three 8-byte columns of 1M orders: an estimated 24 MB scan, over the analyst's 20 MB.
BIG = "SELECT count(amount) + count(ordered_at) + count(customer_id) FROM shop.orders"
BIG_ROWS = 3_000_000
ANALYST = ("analyst",)


async def _wait_for_notice(conn: asyncpg.Connection, sql: str) -> tuple[asyncio.Task[object], str]:
    """Start `sql` and return its task and the approval id from the pending notice."""
    notices: asyncio.Queue[str] = asyncio.Queue()
    conn.add_log_listener(lambda _c, message: notices.put_nowait(message.message))
    task = asyncio.create_task(conn.fetchval(sql))
    message = await asyncio.wait_for(notices.get(), 15)
    assert f"waiting up to {WAIT_TIMEOUT_S} s" in message
    assert "over role analyst's limit of 20,000,000" in message
    return task, approval_id(message)


def _decide_http(
    pg: PolicyGateway, request_id: str, action: str, by: str = "vera", reason: str | None = None
) -> tuple[int, dict[str, object]]:
    body = {"reason": reason} if reason else None
    return admin_http(
        pg.admin_port, "POST", f"/approvals/{request_id}/{action}", pg.token(by, ("approver",)), body
    )


def _get(pg: PolicyGateway, request_id: str) -> dict[str, object]:
    status, body = admin_http(
        pg.admin_port, "GET", f"/approvals/{request_id}", pg.token("vera", ("approver",))
    )
    assert status == 200
    return dict(body)


async def test_wait_approved_by_the_cli_while_asyncpg_waits(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("ana_cli", ANALYST)
    try:
        task, request_id = await _wait_for_notice(conn, BIG)
        assert not task.done()
        done = await asyncio.to_thread(
            approvals_cli,
            policy_gateway.gw,
            "approve",
            request_id,
            "--by",
            "vera",
            "--reason",
            "quarterly report",
        )
        assert done.returncode == 0, done.stderr
        assert f"{request_id} approved by vera" in done.stdout
        assert await asyncio.wait_for(task, 15) == BIG_ROWS
    finally:
        await conn.close()
    record = _get(policy_gateway, request_id)
    assert (record["status"], record["approver"], record["requester"]) == ("consumed", "vera", "ana_cli")


def test_wait_in_psql_approved_over_http(policy_gateway: PolicyGateway) -> None:
    gw = policy_gateway.gw
    process = subprocess.Popen(
        psql_argv(gw, *VERBOSE, "-c", BIG, user="ana_psql"),
        env=psql_env(gw, "ana_psql", ANALYST),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.startswith("NOTICE:  00000: approval request apr_"), line
        status, body = _decide_http(policy_gateway, approval_id(line), "approve")
        assert status == 200 and body["approver"] == "vera"
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == str(BIG_ROWS)


async def test_wait_denied_over_http(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("ana_deny", ANALYST)
    try:
        task, request_id = await _wait_for_notice(conn, BIG)
        status, _ = _decide_http(policy_gateway, request_id, "deny", reason="use the daily rollup")
        assert status == 200
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await asyncio.wait_for(task, 15)
        assert f"approval request {request_id} was denied by vera: use the daily rollup" in str(caught.value)
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000  # the session goes on
    finally:
        await conn.close()


async def test_wait_times_out_at_statement_timeout(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("ana_timeout", ANALYST)
    try:
        await conn.execute("SET statement_timeout = 1500")
        started = time.monotonic()
        with pytest.raises(asyncpg.QueryCanceledError) as caught:
            await conn.fetchval(BIG)
        elapsed = time.monotonic() - started
        assert 1.4 <= elapsed < 6, elapsed
        assert "canceling statement" in str(caught.value)
        await conn.execute("SET statement_timeout = 0")
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
    finally:
        await conn.close()
    status, body = admin_http(
        policy_gateway.admin_port,
        "GET",
        "/approvals?status=pending",
        policy_gateway.token("vera", ("approver",)),
    )
    assert status == 200 and [r for r in body["approvals"] if r["requester"] == "ana_timeout"]


async def test_cancel_from_asyncpg_stops_the_wait_and_leaves_the_request(
    policy_gateway: PolicyGateway,
) -> None:
    conn = await policy_gateway.asyncpg("ana_cancel", ANALYST)
    try:
        task, request_id = await _wait_for_notice(conn, BIG)
        task.cancel()  # asyncpg sends a CancelRequest on its own connection
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await conn.fetchval("SELECT count(*) FROM shop.products") == 1000
        assert _get(policy_gateway, request_id)["status"] == "pending"
        # approved later, the same statement runs at once on re-run, with no new wait
        assert _decide_http(policy_gateway, request_id, "approve")[0] == 200
        assert await asyncio.wait_for(conn.fetchval(BIG), 10) == BIG_ROWS
        assert _get(policy_gateway, request_id)["status"] == "consumed"
    finally:
        await conn.close()


def test_cancel_from_psycopg(policy_gateway: PolicyGateway) -> None:
    pending = threading.Event()
    with psycopg.connect(policy_gateway.dsn("ana_pcancel", ANALYST), autocommit=True) as conn:

        def on_notice(notice: psycopg.errors.Diagnostic) -> None:
            if "is pending" in (notice.message_primary or ""):
                pending.set()

        def cancel_when_pending() -> None:
            if pending.wait(15):
                conn.cancel_safe()  # a CancelRequest on a new connection, as psql's Ctrl-C

        conn.add_notice_handler(on_notice)
        canceller = threading.Thread(target=cancel_when_pending)
        canceller.start()
        try:
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled) as caught:
                conn.execute(BIG)
            assert time.monotonic() - started < WAIT_TIMEOUT_S / 2
        finally:
            canceller.join()
        assert caught.value.sqlstate == "57014" and pending.is_set()
        assert conn.execute("SELECT count(*) FROM shop.products").fetchone() == (1000,)


def test_ticket_flow_in_psql(policy_gateway: PolicyGateway) -> None:
    gw = policy_gateway.gw
    ticket = "SET pgbridge.approval = 'ticket'"

    def run(user: str = "ana_ticket") -> subprocess.CompletedProcess[str]:
        return psql(gw, ticket, BIG, user=user, roles=ANALYST)

    first = run()
    assert first.returncode != 0 and "ERROR:  42501: statement needs approval: request apr_" in first.stderr
    request_id = approval_id(first.stderr)
    assert f"DETAIL:  approval request: {request_id}; rule: roles.analyst.max_bytes" in first.stderr
    assert f"pgbridge approvals approve {request_id}" in first.stderr
    assert run().stderr.count(request_id) >= 1, "asking again reuses the pending request"
    done = approvals_cli(gw, "approve", request_id, "--by", "vera")
    assert done.returncode == 0, done.stderr
    other = run("ana_other")  # an approval is for its requester only
    assert other.returncode != 0 and approval_id(other.stderr) != request_id
    second = run()
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["SET", str(BIG_ROWS)]
    third = run()
    assert third.returncode != 0 and "statement needs approval" in third.stderr
    assert approval_id(third.stderr) != request_id, "a used approval is never used twice"
    shown = approvals_cli(gw, "show", request_id)
    assert "status:    consumed" in shown.stdout and "approver:  vera" in shown.stdout


async def test_four_eyes_over_http(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("ana_eyes", ANALYST)
    try:
        await conn.execute("SET pgbridge.approval = 'ticket'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await conn.fetchval(BIG)
        request_id = approval_id(str(caught.value))
        port, path = policy_gateway.admin_port, f"/approvals/{request_id}/approve"
        assert admin_http(port, "POST", path)[0] == 401
        assert admin_http(port, "POST", path, "not-a-token")[0] == 401
        status, body = admin_http(port, "POST", path, policy_gateway.token("bob", ANALYST))
        assert status == 403 and "'approver' role" in body["error"]
        status, body = admin_http(
            port, "POST", path, policy_gateway.token("ana_eyes", ("analyst", "approver"))
        )
        assert status == 403 and "may not decide it" in body["error"]
        assert _get(policy_gateway, request_id)["status"] == "pending"
        status, body = admin_http(
            port,
            "POST",
            path,
            policy_gateway.token("bob", ("approver",)),
            {"reason": "ok", "approver": "mallory"},
        )
        assert status == 200 and (body["approver"], body["reason"]) == ("bob", "ok")
        assert admin_http(port, "POST", path, policy_gateway.token("carl", ("approver",)))[0] == 409
        assert await conn.fetchval(BIG) == BIG_ROWS
    finally:
        await conn.close()
