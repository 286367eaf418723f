"""Approvals in PostgreSQL, shared by two real gateway processes: single use across them, the
schema migrated at start, and a store that cannot be reached refusing only what needs it."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import psycopg
import pytest

from pgbridge.policy.approvals import ApprovalError
from pgbridge.policy.approvals_pg import PostgresApprovalStore
from tests.multi.support import lock_out, store_config, store_database
from tests.policy_wire.support import admin_http
from tests.support.cli import run_cli
from tests.support.clients import asyncpg_session
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer, free_port

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

BIG = "SELECT count(amount) + count(ordered_at) + count(customer_id) FROM shop.orders"  # needs approval
BIG_ROWS = 3_000_000
APPROVAL_ID = re.compile(r"apr_[0-9a-f]{16}")


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


async def _ticket(gw: RunningGateway) -> str:
    """Ask for approval of BIG in ticket mode; return the request id the error names."""
    async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
        await conn.execute("SET pgbridge.approval = ticket")
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await conn.fetchval(BIG)
    found = APPROVAL_ID.search(str(caught.value))
    assert found, str(caught.value)
    return found.group(0)


async def _run_big(gw: RunningGateway) -> object:
    async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
        await conn.execute("SET pgbridge.approval = ticket")
        try:
            return await conn.fetchval(BIG)
        except asyncpg.PostgresError as exc:
            return exc


async def test_an_approval_is_used_exactly_once_across_two_gateways(
    demo_copy: Callable[[str], Path], postgres: PostgresServer
):
    url = store_database(postgres, _name("approvals"))
    with ExitStack() as stack:
        gateways = [
            stack.enter_context(running_gateway(demo_copy(f"store-{n}"), store_config(url)))
            for n in ("a", "b")
        ]
        request_id = await _ticket(gateways[0])
        # the other gateway sees the same request: the approver decides once, anywhere
        decided = run_cli("approvals", "--url", url, "approve", request_id, "--by", "carol", "--reason", "ok")
        assert decided.returncode == 0 and f"{request_id} approved by carol" in decided.stdout, decided.stderr
        for _attempt in range(3):  # the same statement on both gateways at once, three rounds
            outcomes = await asyncio.gather(*(_run_big(gw) for gw in gateways))
            ran = [o for o in outcomes if o == BIG_ROWS]
            refused = [o for o in outcomes if isinstance(o, asyncpg.InsufficientPrivilegeError)]
            assert len(ran) + len(refused) == 2, outcomes
            if _attempt == 0:
                assert len(ran) == 1, outcomes
            else:
                assert not ran, outcomes  # used up: every later try asks for a new approval
    shown = run_cli("approvals", "--url", url, "show", request_id)
    assert "status:    consumed" in shown.stdout, shown.stdout + shown.stderr
    with psycopg.connect(url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM pgbridge_schema_migrations")]
        consumed = conn.execute(
            "SELECT count(*) FROM pgbridge_approvals WHERE status = 'consumed'"
        ).fetchone()
    assert versions == [1, 2] and consumed == (1,)  # approvals, then limits (store_schema)


def _race(stores: list[PostgresApprovalStore], request_id: str, threads: int) -> list[str]:
    """`threads` consumers of one approval, released at once, alternating between the stores."""
    outcomes: list[str] = []
    start = threading.Barrier(threads)

    def consume(store: PostgresApprovalStore) -> None:
        start.wait()
        try:
            outcomes.append(store.consume(request_id).status)
        except ApprovalError as exc:
            outcomes.append(exc.code)

    running = [threading.Thread(target=consume, args=(stores[n % 2],)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes


def test_consume_is_single_use_under_a_race_between_stores(postgres: PostgresServer):
    url = store_database(postgres, _name("approvals_race"))
    stores = [PostgresApprovalStore(url).open() for _ in range(2)]  # two gateways' pools; migration runs once
    try:
        for round_ in range(5):
            request = stores[0].request("alice", f"SELECT {round_}", "digest", "rule")
            stores[1].decide(request.id, "carol", True, None)
            outcomes = _race(stores, request.id, 8)
            assert sorted(outcomes) == ["conflict"] * 7 + ["consumed"], outcomes
    finally:
        for store in stores:
            store.close()


async def test_an_unreachable_store_refuses_only_what_needs_it(
    demo_copy: Callable[[str], Path], postgres: PostgresServer
):
    role = _name("approvals_down")
    url = store_database(postgres, role)
    admin_port = free_port()
    with running_gateway(demo_copy("store-down"), store_config(url, admin_port)) as gw:
        await _ticket(gw)
        approver = gw.token("carol", ("approver",))
        assert admin_http(admin_port, "GET", "/approvals", approver)[0] == 200
        # (connected first: the analyst role has limits, which are counted in the same store)
        async with asyncpg_session(gw, "alice", ("analyst",)) as conn:
            await conn.execute("SET pgbridge.approval = ticket")
            lock_out(postgres, role, True)
            try:
                status, body = admin_http(admin_port, "GET", "/approvals", approver)
                assert status == 503 and "approvals store cannot be reached" in body["error"], body
                with pytest.raises(asyncpg.PostgresError) as caught:
                    await conn.fetchval(BIG)
                assert caught.value.sqlstate == "58000", caught.value
                assert "approvals store cannot be reached" in str(caught.value)
                assert "not run" in str(caught.value)
                async with asyncpg_session(gw, "ada", ("admin",)) as unlimited:  # needs no store
                    assert await unlimited.fetchval("SELECT count(*) FROM shop.products") == 1000
            finally:
                lock_out(postgres, role, False)
        request_id = await _ticket(gw)  # the pool reconnects once the store is back
        assert request_id.startswith("apr_")


def test_a_gateway_whose_store_cannot_be_reached_does_not_start(
    demo_copy: Callable[[str], Path], postgres: PostgresServer
):
    url = f"postgresql://nobody@127.0.0.1:{postgres.port}/no_such_database"
    with (
        pytest.raises(RuntimeError, match="approvals store cannot be reached"),
        running_gateway(demo_copy("store-none"), store_config(url)),
    ):
        pass
    listed = run_cli("approvals", "--url", url, "list")
    assert listed.returncode == 1 and "error: the approvals store cannot be reached" in listed.stderr, (
        listed.stderr
    )
