"""Chapter 9 functions over the wire as a demo reader: Superset's TO_TIMESTAMP, a regular
expression and a refused pattern (0A000 naming it) reach a real client (issues 12 and 13)."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from tests.policy_wire.conftest import PolicyGateway


async def test_superset_to_timestamp_and_regex(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("tia", ("analyst",), country="DE")
    try:
        await conn.execute("SET TimeZone = 'Europe/Berlin'")
        stamp = await conn.fetchval(
            "SELECT TO_TIMESTAMP('2024-01-01 00:00:00.000000', 'YYYY-MM-DD HH24:MI:SS.US')"
        )
        assert stamp == dt.datetime(2023, 12, 31, 23, 0, tzinfo=dt.UTC)  # Berlin's midnight
        assert await conn.fetchval("SELECT to_date('2024-02-29', 'YYYY-MM-DD')") == dt.date(2024, 2, 29)
        assert await conn.fetchval("SELECT regexp_replace('a1b22', '[0-9]+', '#', 'g')") == "a#b#"
        assert await conn.fetchval("SELECT 'K' ~* '\u212a'") is False  # C collation: ASCII folding only
    finally:
        await conn.close()


async def test_refused_pattern_names_itself(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("tia", ("analyst",), country="DE")
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetchval("SELECT to_timestamp('Jan 2024', 'Mon YYYY')")
        assert caught.value.sqlstate == "0A000"
        assert "'Mon'" in str(caught.value)
    finally:
        await conn.close()
