"""The shared plan cache seen from real clients (pgbridge.server.pipeline.plan_cache).

asyncpg prepares the same text on connections of principals whose row-filter claim differs,
one after the other and interleaved: each connection sees only its own country's rows, the
plan made for another country's filter is never served to it. Over the simple protocol too.
"""

from __future__ import annotations

import asyncio

from tests.support.clients import asyncpg_connect
from tests.support.gateway import RunningGateway

QUERY = "SELECT DISTINCT country FROM shop.customers WHERE id <= $1"
SIMPLE = "SELECT DISTINCT country FROM shop.customers WHERE id <= 5000"


async def test_each_country_sees_its_own_rows_through_one_text(gateway: RunningGateway) -> None:
    countries = ["FR", "JP", "FR", "US", "JP"]
    conns = [await asyncpg_connect(gateway, "agent", ("support",), country=c) for c in countries]
    try:
        for _ in range(2):  # the second round runs on cached plans
            seen = await asyncio.gather(*(conn.fetch(QUERY, 5000) for conn in conns))
            assert [{row["country"] for row in rows} for rows in seen] == [{c} for c in countries]
            simple = await asyncio.gather(*(conn.fetch(SIMPLE) for conn in conns))
            assert [{row["country"] for row in rows} for rows in simple] == [{c} for c in countries]
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))


async def test_admin_and_analyst_share_no_masked_plan(gateway: RunningGateway) -> None:
    text = "SELECT email FROM shop.customers WHERE id = $1"
    analyst = await asyncpg_connect(gateway, "ana", ("analyst",))
    admin = await asyncpg_connect(gateway, "adm", ("admin",))
    try:
        masked = await analyst.fetchval(text, 7)
        clear = await admin.fetchval(text, 7)
        assert masked != clear and "@" in clear
        assert await analyst.fetchval(text, 7) == masked  # and the analyst's stays masked
    finally:
        await analyst.close()
        await admin.close()
