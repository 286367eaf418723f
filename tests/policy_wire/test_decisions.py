"""Allow, deny and limits, decided by the demo policy and seen by real clients (psql, asyncpg,
psycopg) over TLS: every refusal carries its SQLSTATE and names the rule that made it."""

from __future__ import annotations

import asyncpg
import psycopg
import pytest

from tests.policy_wire.conftest import PolicyGateway
from tests.policy_wire.support import admin_http, psql


def test_allow_through_psql(policy_gateway: PolicyGateway) -> None:
    done = psql(policy_gateway.gw, "SELECT count(*) FROM shop.products", user="ana", roles=("analyst",))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1000"


@pytest.mark.parametrize(
    ("roles", "sql", "rule", "words"),
    [
        (
            ("analyst",),
            "DELETE FROM shop.orders WHERE id = 1",
            "roles.analyst.statements",
            "role analyst may not run DELETE statements",
        ),
        (
            ("support",),
            "SELECT count(*) FROM shop.products",
            "roles.support.tables",
            "role support may not read shop.products",
        ),
        (
            ("approver",),
            "SELECT id FROM shop.customers LIMIT 1",
            "roles.approver.tables",
            "role approver may not read shop.customers",
        ),
        (
            ("analyst",),
            "WITH d AS (DELETE FROM shop.orders RETURNING *) SELECT count(*) FROM d",
            "classifier.data_modifying_cte",
            "data-modifying statements inside WITH are not allowed",
        ),
        (
            ("analyst",),
            "SELECT count(*) FROM shop.products p, read_csv('/etc/passwd') f",
            "roles.analyst.functions",
            "may not read from table function READ_CSV",
        ),
    ],
)
def test_deny_through_psql_names_the_rule(
    policy_gateway: PolicyGateway, roles: tuple[str, ...], sql: str, rule: str, words: str
) -> None:
    done = psql(policy_gateway.gw, sql, user="dee", roles=roles, country="DE")
    assert done.returncode != 0
    assert "ERROR:  42501:" in done.stderr, done.stderr
    assert f"policy rule {rule}" in done.stderr and words in done.stderr


def test_each_statement_of_a_simple_query_is_judged_on_its_own(policy_gateway: PolicyGateway) -> None:
    done = psql(policy_gateway.gw, "SELECT 41 + 1; DELETE FROM shop.orders", user="ana", roles=("analyst",))
    assert done.stdout.strip() == "42"
    assert "ERROR:  42501: permission denied by policy rule roles.analyst.statements" in done.stderr


async def test_deny_through_asyncpg_keeps_the_connection(policy_gateway: PolicyGateway) -> None:
    conn = await policy_gateway.asyncpg("dan", ("support",), country="DE")
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await conn.fetch("SELECT name FROM shop.products WHERE id = $1", 1)
        assert "policy rule roles.support.tables" in str(caught.value)
        assert await conn.fetchval("SELECT count(*) FROM shop.customers WHERE id < $1", 100) == 9
    finally:
        await conn.close()


async def test_admin_dml_waits_for_approval_and_writes_nothing_before(
    policy_gateway: PolicyGateway,
) -> None:
    """DML passes policy for admin but needs a human: in ticket mode the client gets the request
    id at once, the request is pending for the approvers, and nothing was written (the dry run
    of a DML statement never executes it)."""
    conn = await policy_gateway.asyncpg("adele", ("admin",))
    try:
        await conn.execute("SET pgbridge.approval = ticket")
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as caught:
            await conn.execute("DELETE FROM shop.orders WHERE id = 1")
        assert "needs approval" in str(caught.value)
        assert await conn.fetchval("SELECT count(*) FROM shop.orders WHERE id = 1") == 1
    finally:
        await conn.close()
    status, body = admin_http(
        policy_gateway.admin_port, "GET", "/approvals", policy_gateway.token("vera", ("approver",))
    )
    assert status == 200
    pending = [r for r in body["approvals"] if r["requester"] == "adele"]
    assert len(pending) == 1 and pending[0]["status"] == "pending" and "DELETE" in pending[0]["sql"]


def test_queries_per_minute(policy_gateway: PolicyGateway) -> None:
    with psycopg.connect(policy_gateway.dsn("lim_rate", ("limited",)), autocommit=True) as conn:
        for _ in range(3):
            assert conn.execute("SELECT count(*) FROM shop.products").fetchone() == (1000,)
        with pytest.raises(psycopg.errors.ConfigurationLimitExceeded) as caught:
            conn.execute("SELECT count(*) FROM shop.products")
        assert caught.value.sqlstate == "53400"
        assert "3 queries per minute" in str(caught.value)
        assert caught.value.diag.message_hint and "try again in" in caught.value.diag.message_hint
        # session commands and catalog questions are not data queries: still answered
        assert conn.execute("SHOW pgbridge.approval").fetchone() is not None


async def test_connections_per_principal(policy_gateway: PolicyGateway) -> None:
    first = await policy_gateway.asyncpg("lim_conn", ("limited",))
    second = await policy_gateway.asyncpg("lim_conn", ("limited",))
    try:
        with pytest.raises(asyncpg.TooManyConnectionsError) as caught:
            await policy_gateway.asyncpg("lim_conn", ("limited",))
        assert "too many connections for lim_conn: the limit is 2" in str(caught.value)
        # another principal with the same role is counted on its own
        other = await policy_gateway.asyncpg("lim_other", ("limited",))
        await other.close()
    finally:
        await first.close()
    third = await policy_gateway.asyncpg("lim_conn", ("limited",))  # a slot was freed
    await third.close()
    await second.close()


def test_max_rows_while_streaming(policy_gateway: PolicyGateway) -> None:
    with psycopg.connect(policy_gateway.dsn("lim_rows", ("limited",)), autocommit=True) as conn:
        assert len(conn.execute("SELECT id FROM shop.products WHERE id <= 5").fetchall()) == 5
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as caught:
            conn.execute("SELECT id FROM shop.products WHERE id <= 6").fetchall()
        assert "more than the 5 rows your role may read" in str(caught.value)


def test_scan_over_the_limit_is_denied(policy_gateway: PolicyGateway) -> None:
    with psycopg.connect(policy_gateway.dsn("lim_bytes", ("limited",)), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as caught:
            conn.execute("SELECT sum(amount) FROM shop.orders")
        assert caught.value.sqlstate == "54000"
        assert "roles.limited.max_bytes" in str(
            caught.value
        ) and "over role limited's limit of 1,000,000" in str(caught.value)
