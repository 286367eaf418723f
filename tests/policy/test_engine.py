"""Cost, limits, visibility and approval rules of the engine (the corpus covers the rest)."""

from __future__ import annotations

import pytest

from pgbridge.policy.engine import PolicyEngine
from tests.policy.support import demo_settings, principal, resolve, settings_from_toml

MB = 1_000_000


def test_cost_rules_of_the_demo() -> None:
    engine = PolicyEngine(demo_settings())
    analyst = principal("analyst")
    assert engine.check_cost(analyst, 20 * MB).action == "allow"
    over = engine.check_cost(analyst, 20 * MB + 1)
    assert (over.action, over.rule, over.approval_mode) == ("approve", "roles.analyst.max_bytes", "wait")
    assert "20,000,001" in over.message
    support = engine.check_cost(principal("support"), 100 * MB + 1)
    assert (support.action, support.rule) == ("deny", "roles.support.max_bytes")
    assert support.error().sqlstate == "42501"
    assert engine.check_cost(principal("admin"), 10**15).action == "allow"
    assert engine.check_cost(principal("support", "analyst"), 150 * MB).action == "approve"
    assert engine.check_cost(principal("intern"), 1).action == "deny"


def test_row_and_byte_caps() -> None:
    engine = PolicyEngine(demo_settings())
    assert engine.max_rows(principal("analyst")) == 100_000
    assert engine.max_rows(principal("support", "analyst")) == 100_000
    assert engine.max_rows(principal("admin")) is None
    assert engine.max_rows(principal("intern")) == 0
    assert engine.max_bytes_billed(principal("analyst")) == 10_000_000_000
    assert engine.max_bytes_billed(principal("intern")) == 10_000_000_000


def test_can_read_for_the_catalog() -> None:
    engine = PolicyEngine(demo_settings())
    support = principal("support", country="FR")
    assert engine.can_read(support, "shop", "customers") and engine.can_read(support, "shop", "orders")
    assert not engine.can_read(support, "shop", "products")
    assert engine.can_read(principal("analyst"), "shop", "products")
    assert not engine.can_read(principal("analyst"), "hr", "salaries")
    assert engine.can_read(principal("admin"), "hr", "salaries")
    assert not engine.can_read(principal("approver"), "shop", "customers")


TABLE_APPROVAL = """
[policy.approvals]
mode = "ticket"
[policy.roles.hr]
datasets = ["shop", "hr"]
approve_tables = ["hr.salar*"]
[policy.roles.hr_lead]
datasets = ["hr"]
"""


def test_table_approval_and_ticket_default() -> None:
    engine = PolicyEngine(settings_from_toml(TABLE_APPROVAL))
    text = "SELECT * FROM shop.orders o JOIN hr.salaries s ON s.id = o.id"
    decision = engine.check_statement(principal("hr"), text, "query", resolve(text))
    assert (decision.action, decision.rule, decision.approval_mode) == (
        "approve", "roles.hr.approve_tables", "ticket")
    plain = "SELECT * FROM shop.orders"
    assert engine.check_statement(principal("hr"), plain, "query", resolve(plain)).action == "allow"
    # a second role that reads hr.salaries without an approval rule wins
    lead = engine.check_statement(principal("hr", "hr_lead"), "SELECT * FROM hr.salaries", "query",
                                  resolve("SELECT * FROM hr.salaries"))
    assert (lead.action, lead.rule) == ("allow", "roles.hr_lead")


def test_grants_of_two_roles_do_not_combine_in_one_statement() -> None:
    engine = PolicyEngine(settings_from_toml(TABLE_APPROVAL))
    text = "SELECT * FROM shop.orders o JOIN hr.salaries s ON s.id = o.id"
    decision = engine.check_statement(principal("hr_lead"), text, "query", resolve(text))
    assert (decision.action, decision.rule) == ("deny", "roles.hr_lead.tables")


def test_original_ast_is_not_modified_by_checks() -> None:
    engine = PolicyEngine(demo_settings())
    ast = resolve("WITH c AS (SELECT * FROM shop.customers) SELECT count(*) FROM c")
    before = ast.sql()
    engine.check_statement(principal("support", country="FR"), before, "query", ast)
    engine.apply_row_filters(principal("support", country="FR"), ast)
    assert ast.sql() == before


BUILDER = """
[policy.roles.builder]
datasets = ["shop", "scratch"]
statements = ["select", "ddl"]
write_tables = ["scratch.*"]
"""


@pytest.mark.parametrize(
    ("text", "action", "rule"),
    [
        ("CREATE TABLE scratch.x AS SELECT * FROM shop.orders", "allow", "roles.builder"),
        ("CREATE VIEW scratch.v AS SELECT id FROM shop.orders", "allow", "roles.builder"),
        ("DROP VIEW scratch.v", "allow", "roles.builder"),
        ("TRUNCATE scratch.a", "allow", "roles.builder"),
        ("DROP TABLE shop.orders", "deny", "roles.builder.write_tables"),
        ("DROP TABLE scratch.a, shop.orders", "deny", "roles.builder.write_tables"),
        ("TRUNCATE scratch.a, shop.orders", "deny", "roles.builder.write_tables"),
        ("ALTER TABLE shop.orders ADD COLUMN x int", "deny", "roles.builder.write_tables"),
        ("ALTER TABLE scratch.a RENAME TO shop.b", "deny", "roles.builder.write_tables"),
        ("CREATE TABLE scratch.x (LIKE shop.orders)", "deny", "roles.builder.write_tables"),
        ("CREATE TABLE scratch.x AS SELECT * FROM hr.salaries", "deny", "roles.builder.tables"),
        ("CREATE FUNCTION scratch.f() RETURNS int AS 'select 1' LANGUAGE sql", "deny", "classifier.ddl"),
        ("CREATE SCHEMA scratch2", "deny", "classifier.ddl"),
        ("DROP SCHEMA shop CASCADE", "deny", "classifier.ddl"),
        ("CREATE INDEX i ON scratch.a (x)", "deny", "classifier.ddl"),
    ],
)
def test_ddl_targets_are_writes(text: str, action: str, rule: str) -> None:
    engine = PolicyEngine(settings_from_toml(BUILDER))
    decision = engine.check_statement(principal("builder"), text, "ddl", resolve(text))
    assert (decision.action, decision.rule) == (action, rule), decision.message


def test_dml_without_a_findable_target_is_refused() -> None:
    from sqlglot import exp

    engine = PolicyEngine(demo_settings())
    odd = exp.Insert(this=exp.Anonymous(this="f"), expression=exp.Values(expressions=[]))
    decision = engine.check_statement(principal("admin"), "INSERT INTO f() VALUES (1)", "dml", odd)
    assert (decision.action, decision.rule) == ("deny", "classifier.statement")
