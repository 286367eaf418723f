"""Every refused EXPLAIN leaves an audit record like any refusal (issue 10, item 7): a
`statement` record under the EXPLAIN's own text with its decision, and a `statement_completed`
with the SQLSTATE the client got. Real gateway (the session `gateway`), psycopg, the log read
back from disk.
"""

from __future__ import annotations

import secrets
from typing import Any

import psycopg
import pytest

from tests.audit_wire.support import of_type, read_records, wait_until


def _refused(gateway: Any, sql: str, roles: tuple[str, ...] = ("analyst",)) -> str:
    """Run `sql`, expect an error, return its SQLSTATE."""
    with (
        psycopg.connect(gateway.dsn(user="eve", roles=roles), autocommit=True) as conn,
        pytest.raises(psycopg.Error) as caught,
    ):
        conn.execute(sql)
    assert caught.value.sqlstate
    return caught.value.sqlstate


def _records_of(gateway: Any, sql: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return of_type(read_records(gateway.data_dir / "audit"), "statement", sql=sql)

    wait_until(lambda: bool(found()), what=f"an audit record of {sql!r}")
    [statement] = found()
    records = read_records(gateway.data_dir / "audit")
    [done] = of_type(records, "statement_completed", statement_id=statement["statement_id"])
    return statement, done


def _tag() -> str:
    return f"/* {secrets.token_hex(4)} */"


@pytest.mark.parametrize(
    ("sql", "decision"),
    [
        ("EXPLAIN ANALYZE SELECT count(*) FROM shop.orders {tag}", "deny"),
        ("EXPLAIN (ANALYZE true, COSTS off) SELECT 1 FROM shop.orders {tag}", "deny"),
        ("EXPLAIN DELETE FROM shop.orders {tag}", "deny"),  # analyst may not DELETE
        ("EXPLAIN SELECT id FROM shop.customers WHERE phone LIKE '1%' {tag}", "deny"),  # hashed column
        ("EXPLAIN SELECT FROM WHERE ( {tag}", "error"),  # cannot be read
        ("EXPLAIN SHOW search_path {tag}", "error"),  # not a query
        ("EXPLAIN SELECT no_such_column FROM shop.orders {tag}", "error"),
    ],
)
def test_a_refused_explain_is_audited_under_its_own_text(gateway, sql, decision):
    sql = sql.format(tag=_tag())
    sqlstate = _refused(gateway, sql)
    statement, done = _records_of(gateway, sql)
    assert statement["decision"] == decision
    assert done["sqlstate"] == sqlstate and done["rows"] == 0
    if decision == "deny":
        assert statement["rule"]


def test_an_accepted_explain_is_audited_once_under_its_own_text(gateway):
    sql = f"EXPLAIN (COSTS off) SELECT count(*) FROM shop.orders {_tag()}"
    with psycopg.connect(gateway.dsn(user="eve", roles=("analyst",)), autocommit=True) as conn:
        lines = conn.execute(sql).fetchall()
    statement, done = _records_of(gateway, sql)
    assert statement["decision"] == "explain"
    assert (done["sqlstate"], done["rows"]) == (None, len(lines))
