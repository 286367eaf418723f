"""The demo's readers may call the table-valued functions that read only their arguments
(unnest, generate_series, in FROM and in the select list) within the cost rules, over the wire
(issue 13, item 4); other roles still may not, and the rows these functions make are still
counted against the cost rule."""

from __future__ import annotations

import asyncpg
import pytest

from tests.policy_wire.conftest import PolicyGateway

ANALYST = ("analyst",)
SUPPORT = ("support",)


@pytest.mark.parametrize(
    ("roles", "sql", "expected"),
    [
        (ANALYST, "SELECT generate_series(1, 3)", [1, 2, 3]),
        (ANALYST, "SELECT unnest(ARRAY['b', 'a']) ORDER BY 1", ["a", "b"]),
        (ANALYST, "SELECT x FROM unnest(ARRAY[3, 1, 2]) AS t(x) ORDER BY x", [1, 2, 3]),
        (ANALYST, "SELECT g FROM generate_series(2, 6, 2) AS g", [2, 4, 6]),
        (
            ANALYST,
            "SELECT count(*) FROM shop.products p, unnest(p.tags) AS t(tag) WHERE p.id <= 3",
            None,
        ),
        (SUPPORT, "SELECT generate_series(1, 2)", [1, 2]),
        (SUPPORT, "SELECT x FROM unnest(ARRAY[5]) AS t(x)", [5]),
    ],
)
async def test_readers_call_table_functions(
    policy_gateway: PolicyGateway, roles: tuple[str, ...], sql: str, expected: list[object] | None
) -> None:
    conn = await policy_gateway.asyncpg("tia", roles, country="DE")
    try:
        rows = [r[0] for r in await conn.fetch(sql)]
    finally:
        await conn.close()
    if expected is None:
        assert len(rows) == 1 and rows[0] >= 1
    else:
        assert rows == expected


async def test_select_list_series_still_counts_against_the_cost_rule(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("sam", SUPPORT, country="DE")
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT generate_series(1, 300000000)")
        assert caught.value.sqlstate == "54000"
        assert "generate about 300,000,000 rows (generate_series())" in str(caught.value)
    finally:
        await conn.close()


async def test_the_approver_may_not_call_them(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("ann", ("approver",))
    try:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.fetch("SELECT generate_series(1, 2)")
        assert caught.value.sqlstate == "42501"
        assert "may not call EXPLODING_GENERATE_SERIES" in str(caught.value)
    finally:
        await conn.close()
