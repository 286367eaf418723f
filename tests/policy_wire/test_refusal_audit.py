"""A statement refused at admission (the cost rule, here) leaves an audit record like any
refusal, named as the policy denial it is (issue 10, item 7). The `limited` role of the policy
gateway may scan 1 MB and is denied above it (54000)."""

from __future__ import annotations

import secrets

import psycopg
import pytest

from tests.audit_wire.support import of_type, read_records, wait_until


def test_a_cost_refusal_is_audited_as_a_denial_naming_its_rule(policy_gateway):
    sql = f"SELECT name, email FROM shop.customers /* {secrets.token_hex(4)} */"
    dsn = policy_gateway.dsn("lee", ("limited",))
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.errors.ProgramLimitExceeded):
        conn.execute(sql)
    audit = policy_gateway.gw.data_dir / "audit"
    wait_until(lambda: bool(of_type(read_records(audit), "statement", sql=sql)), what="the refusal's record")
    records = read_records(audit)
    [statement] = of_type(records, "statement", sql=sql)
    [done] = of_type(records, "statement_completed", statement_id=statement["statement_id"])
    assert (statement["decision"], statement["rule"]) == ("deny", "roles.limited.max_bytes")
    assert (done["sqlstate"], done["rows"]) == ("54000", 0)
