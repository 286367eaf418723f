"""Per-principal limits counted in the shared PostgreSQL store, through real gateway processes:
three behind a round-robin proxy hold a connection limit and a query rate together, a gateway
killed with SIGKILL gives its connections' slots back within the lease time, and a store that
cannot be reached refuses what a limit must count (58000) and nothing else."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import asyncpg
import pytest

from tests.multi.support import lock_out, store_config, store_database
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.postgres import PostgresServer
from tests.support.proxy import Proxy, round_robin_proxy

# Gateway processes started, signalled, killed or run side by side: the slow lane (make test).
pytestmark = pytest.mark.slow

COUNT = "SELECT count(*) FROM shop.products"
LEASE_S = 9.0  # short, so a killed gateway's slots come back within the test
ROLES = """
[policy.roles.pooled]
datasets = ["shop"]
statements = ["select"]
max_connections = 2

[policy.roles.rated]
datasets = ["shop"]
statements = ["select"]
queries_per_minute = 6
"""


def limits_config(url: str, lease_s: float = LEASE_S) -> str:
    return f"{store_config(url)}lease_s = {lease_s}\n{ROLES}"


async def _connect(host: str, port: int, gw: RunningGateway, user: str, role: str) -> asyncpg.Connection:
    # every demo copy trusts the same token key: a token from any gateway works on all
    return await asyncpg.connect(
        host=host,
        port=port,
        user=user,
        database="pgbridge",
        password=gw.token(user, (role,)),
        ssl="require",
        timeout=30,
    )


async def _through(proxy: Proxy, gw: RunningGateway, user: str, role: str) -> asyncpg.Connection:
    return await _connect(proxy.host, proxy.port, gw, user, role)


async def _refused(connecting: object) -> asyncpg.PostgresError:
    with pytest.raises(asyncpg.PostgresError) as caught:
        await connecting  # type: ignore[misc]
    return caught.value


async def _wait_for_slot(proxy: Proxy, gw: RunningGateway, since: float) -> float:
    """Connect as pat until admitted (the proxy also sends some tries to the dead gateway, whose
    connections just drop); the seconds from `since` until a slot was free."""
    while True:
        try:
            conn = await _through(proxy, gw, "pat", "pooled")
        except asyncpg.PostgresError as exc:
            assert exc.sqlstate == "53300", exc
        except (OSError, asyncpg.exceptions.ConnectionDoesNotExistError):
            pass  # the dead gateway's turn
        else:
            await conn.close()
            return time.monotonic() - since
        assert time.monotonic() - since < LEASE_S + 10, "the dead gateway's slot never came back"
        await asyncio.sleep(0.2)


async def test_limits_hold_across_three_gateways_and_a_killed_gateway_frees_its_slots(
    demo_copy: Callable[[str], Path], postgres: PostgresServer
):
    suffix = uuid.uuid4().hex[:6]
    config = limits_config(store_database(postgres, f"limits_{suffix}"))
    with ExitStack() as stack:
        gateways = [
            stack.enter_context(running_gateway(demo_copy(f"limits-{n}-{suffix}"), config)) for n in range(3)
        ]
        gw = gateways[0]
        async with round_robin_proxy([(g.host, g.port) for g in gateways]) as proxy:
            # two connections, on two gateways; the third, on the third gateway, is refused
            held = [await _through(proxy, gw, "pat", "pooled") for _ in range(2)]
            refused = await _refused(_through(proxy, gw, "pat", "pooled"))
            assert proxy.counts == [1, 1, 1]
            assert refused.sqlstate == "53300", refused
            assert "too many connections for pat: the limit is 2" in str(refused)

            # six queries a minute, whichever gateway runs them
            rated = [await _through(proxy, gw, "rita", "rated") for _ in range(3)]
            for n in range(6):
                assert await rated[n % 3].fetchval(COUNT) == 1000
            for conn in rated:  # each gateway saw only two: counted alone, each would allow more
                failed = await _refused(conn.fetchval(COUNT))
                assert failed.sqlstate == "53400" and "6 queries per minute" in str(failed), failed
            for conn in (rated[0], rated[2]):
                await conn.close()

            # kill -9 the gateway holding pat's second connection: its lease still counts ...
            gateways[1].process.send_signal(signal.SIGKILL)
            gateways[1].process.wait(10)
            killed = time.monotonic()
            assert proxy.counts == [2, 2, 2]  # the next try goes to gateway 0
            still = await _refused(_through(proxy, gw, "pat", "pooled"))
            assert still.sqlstate == "53300", still  # (renewed up to LEASE_S / 3 before the kill)
            # ... until the lease expires: then the slot is free again
            freed_after = await _wait_for_slot(proxy, gw, killed)
            assert freed_after <= LEASE_S + 4, freed_after
            await held[0].close()


async def test_an_unreachable_store_refuses_what_a_limit_counts_and_nothing_else(
    demo_copy: Callable[[str], Path], postgres: PostgresServer
):
    role = f"limits_down_{uuid.uuid4().hex[:6]}"
    config = limits_config(store_database(postgres, role))
    with running_gateway(demo_copy(f"limits-down-{role}"), config) as gw:
        rita = await _connect(gw.host, gw.port, gw, "rita", "rated")
        assert await rita.fetchval(COUNT) == 1000
        lock_out(postgres, role, True)
        try:
            refused = await _refused(_connect(gw.host, gw.port, gw, "pat", "pooled"))
            assert refused.sqlstate == "58000", refused
            assert "limits store cannot be reached" in str(refused), refused
            assert "connection was not opened" in str(refused)
            failed = await _refused(rita.fetchval(COUNT))
            assert failed.sqlstate == "58000" and "statement was not run" in str(failed), failed
            # the admin role has no limits: nothing to count, so it is served
            admin = await _connect(gw.host, gw.port, gw, "ada", "admin")
            assert await admin.fetchval(COUNT) == 1000
            await admin.close()
        finally:
            lock_out(postgres, role, False)
        deadline = time.monotonic() + 30
        while True:  # counted again once the store is back (the pool reconnects after its backoff)
            try:
                assert await rita.fetchval(COUNT) == 1000
                break
            except asyncpg.PostgresError as exc:
                assert exc.sqlstate == "58000" and time.monotonic() < deadline, exc
        await rita.close()
