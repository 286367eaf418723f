"""Three gateway processes behind a TCP round-robin proxy (the load balancer), sharing the
approvals store and the audit anchors in the run's PostgreSQL; real clients through the proxy.

What holds across them: an approval is usable exactly once; a gateway killed mid-run loses no
statement it acknowledged; `audit verify --anchors` passes over all three logs, and fails after
a tail drop on any one of them. Limits and cancel across the same three: test_limits_across_gateways.py,
test_cancel_across_gateways.py.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import pytest

from tests.multi.support import AnchorStore, cut_tail, log_records, several_config, store_database
from tests.support.cli import run_cli
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer
from tests.support.proxy import Proxy, round_robin_proxy

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

BIG = "SELECT count(amount) + count(ordered_at) + count(customer_id) FROM shop.orders"  # needs approval
BIG_ROWS = 3_000_000


async def _connect(proxy: Proxy, gw: RunningGateway) -> asyncpg.Connection:
    # every demo copy trusts the same token key: a token from any gateway works on all
    return await asyncpg.connect(
        host=proxy.host,
        port=proxy.port,
        user="alice",
        database="pgbridge",
        password=gw.token("alice", ("analyst",)),
        ssl="require",
        timeout=30,
    )


async def _ticket(proxy: Proxy, gw: RunningGateway) -> str:
    conn = await _connect(proxy, gw)
    try:
        await conn.execute("SET pgbridge.approval = ticket")
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await conn.fetchval(BIG)
    finally:
        await conn.close()
    return str(caught.value).split("request ")[1].split(" ")[0]


async def _big(proxy: Proxy, gw: RunningGateway) -> object:
    conn = await _connect(proxy, gw)
    try:
        await conn.execute("SET pgbridge.approval = ticket")
        return await conn.fetchval(BIG)
    except asyncpg.PostgresError as exc:
        return exc
    finally:
        await conn.close()


async def test_three_gateways_behind_one_address(
    demo_copy: Callable[[str], Path], postgres: PostgresServer, anchor_store: AnchorStore
):
    suffix = uuid.uuid4().hex[:6]
    names = [f"gw{n}-{suffix}" for n in (1, 2, 3)]
    store_url = store_database(postgres, f"approvals_{suffix}")
    anchor_url = anchor_store.url("pgbridge_anchor")
    with ExitStack() as stack:
        gateways = [
            stack.enter_context(
                running_gateway(demo_copy(f"proxy-{name}"), several_config(anchor_url, store_url, name))
            )
            for name in names
        ]
        async with round_robin_proxy([(gw.host, gw.port) for gw in gateways]) as proxy:
            # sessions spread over all three; each acknowledged statement is tagged
            tags = [f"tag_{suffix}_{n}" for n in range(6)]
            for tag in tags:
                conn = await _connect(proxy, gateways[0])
                try:
                    assert await conn.fetchval(f"SELECT '{tag}'") == tag
                finally:
                    await conn.close()
            assert proxy.counts == [2, 2, 2]

            # an approval asked for on one gateway is used exactly once across all three
            request_id = await _ticket(proxy, gateways[0])
            decided = run_cli("approvals", "--url", store_url, "approve", request_id, "--by", "carol")
            assert decided.returncode == 0, decided.stderr
            outcomes = await asyncio.gather(*(_big(proxy, gateways[0]) for _ in range(3)))
            assert sorted(o == BIG_ROWS for o in outcomes) == [False, False, True], outcomes

            # a killed gateway loses none of the statements it acknowledged
            victim = gateways[1]
            # (wait for its anchor to reach its head, so the tail drop below is inside what is anchored)
            anchor_store.wait_anchored(names[1], log_records(victim.data_dir / "audit")[-1]["seq"])
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(10)
    audits = [gw.data_dir / "audit" for gw in gateways]
    sql_on = {
        name: {r["data"].get("sql") for r in log_records(a)} for name, a in zip(names, audits, strict=True)
    }
    for n, tag in enumerate(tags):
        assert f"SELECT '{tag}'" in sql_on[names[n % 3]], (tag, names[n % 3])
    killed = [json.dumps(r) for r in log_records(audits[1])]
    assert not any('"log_closed"' in line for line in killed)  # it really died mid-run

    keys = [arg for gw in gateways for arg in ("--public-key", str(gw.data_dir / "audit-signing-key.pub"))]
    reader = anchor_store.url("pgbridge_auditor")
    done = run_cli("audit", "verify", "--anchors", reader, *keys, *map(str, audits))
    assert done.returncode == 0 and "3 of 3 gateway log(s) verify" in done.stdout, done.stdout + done.stderr
    _each_tail_drop_is_seen(audits, names, [*keys, "--anchors", reader])


def _each_tail_drop_is_seen(audits: list[Path], names: list[str], options: list[str]) -> None:
    """A tail drop on any one gateway (in copies of the logs) fails verify there, and only there."""
    for index in range(3):  # a tail drop on any one gateway is seen, and only there
        cut = [a.parent.parent / f"cut-{index}" / "audit" for a in audits]
        for source, target in zip(audits, cut, strict=True):
            target.parent.mkdir(parents=True)
            target.mkdir()
            for item in source.iterdir():
                if item.is_file():
                    (target / item.name).write_bytes(item.read_bytes())
        cut_tail(cut[index], 2)
        done = run_cli("audit", "verify", *options, *map(str, cut))
        assert done.returncode == 1 and "2 of 3 gateway log(s) verify" in done.stdout, done.stdout
        failed = [line for line in done.stdout.splitlines() if ": FAILED:" in line]
        assert len(failed) == 1 and names[index] in failed[0] and "TRUNCATED" in done.stdout
