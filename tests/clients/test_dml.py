"""DML through the gateway for a role granted it (the demo's admin), each statement behind a
human approval: nothing is written before the approval, exactly once after it."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.support.cli import approve
from tests.support.gateway import RunningGateway


def _ticket(conn: psycopg.Connection, sql: str) -> str:
    """Run `sql` in ticket mode and return the approval request id the refusal carries."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(sql)
    found = re.search(r"apr_[0-9a-f]+", str(caught.value))
    assert found, str(caught.value)
    return found.group(0)


def _approve(gateway: RunningGateway, request_id: str, approver: str) -> None:
    done = approve(gateway, request_id, approver)
    assert done.returncode == 0, done.stdout + done.stderr


def test_delete_runs_only_after_approval_and_once(writable_gateway: RunningGateway) -> None:
    dsn = writable_gateway.dsn("root", ("admin",))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET pgbridge.approval = ticket")
        request_id = _ticket(conn, "DELETE FROM shop.orders WHERE id <= 3")
        # The dry run and the approval request wrote nothing.
        assert conn.execute("SELECT count(*) FROM shop.orders WHERE id <= 3").fetchone() == (3,)
        _approve(writable_gateway, request_id, "carol")
        cursor = conn.execute("DELETE FROM shop.orders WHERE id <= 3")
        assert cursor.statusmessage == "DELETE 3" and cursor.rowcount == 3
        assert conn.execute("SELECT count(*) FROM shop.orders WHERE id <= 3").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # single use: asks again
            conn.execute("DELETE FROM shop.orders WHERE id <= 3")


def test_insert_and_update_report_postgres_tags(writable_gateway: RunningGateway) -> None:
    dsn = writable_gateway.dsn("root", ("admin",))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET pgbridge.approval = ticket")
        insert = "INSERT INTO shop.products (id, name, category, price) VALUES (5001, 'Lamp', 'home', 12.5)"
        _approve(writable_gateway, _ticket(conn, insert), "carol")
        assert conn.execute(insert).statusmessage == "INSERT 0 1"
        update = "UPDATE shop.products SET price = 13.5 WHERE id = 5001"
        _approve(writable_gateway, _ticket(conn, update), "carol")
        assert conn.execute(update).statusmessage == "UPDATE 1"
        row = conn.execute("SELECT name, price FROM shop.products WHERE id = 5001").fetchone()
        assert row is not None and row[0] == "Lamp" and float(row[1]) == 13.5


def test_analyst_dml_is_denied_before_anything_runs(writable_gateway: RunningGateway) -> None:
    with psycopg.connect(writable_gateway.dsn("ana", ("analyst",)), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM shop.orders WHERE id = 10")
        assert conn.execute("SELECT count(*) FROM shop.orders WHERE id = 10").fetchone() == (1,)
