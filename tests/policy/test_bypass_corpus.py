"""Every attempt to get past policy that we know of, with the exact decision it must get.

Keep the attacks that once worked: entries are only ever added. Each text is parsed with
sqlglot (postgres), bare tables are qualified to `shop` as the resolver would, and the raw
text goes in too, so hidden second statements are judged on what the client really sent.
`kind` is what an earlier stage claimed; many entries pass "query" on purpose to show the
engine does not trust it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pgbridge.policy.engine import PolicyEngine
from tests.policy.support import demo_settings, principal, resolve

ANALYST = ("analyst",)
ADMIN = ("admin",)
SUPPORT = ("support",)


@dataclass(frozen=True)
class Case:
    text: str
    action: str
    rule: str
    kind: str = "query"
    roles: tuple[str, ...] = ANALYST
    claims: tuple[tuple[str, str], ...] = (("country", "FR"),)
    qualify: bool = True
    ast_text: str | None = None  # the AST a confused earlier stage might hand over instead


MULTI = "classifier.multiple_statements"
CORPUS: list[Case] = [
    # -- several statements in one string ------------------------------------------------------
    Case("SELECT 1; DROP TABLE shop.customers", "deny", MULTI),
    Case("SELECT * FROM shop.customers; DELETE FROM shop.orders", "deny", MULTI),
    Case("SELECT E'\\\\'; DELETE FROM shop.orders; --'", "deny", MULTI),
    Case("SELECT e'\\''; DELETE FROM shop.orders; --'", "deny", MULTI),
    Case("SELECT 'a\\'; DELETE FROM shop.orders; --'", "deny", MULTI),
    Case("SELECT 1 /* outer /* inner */ ; DELETE FROM shop.orders; */", "deny", MULTI),
    Case("SELECT 1 -- a comment\n; DELETE FROM shop.orders", "deny", MULTI),
    Case("SELECT $$;$$; DELETE FROM shop.orders", "deny", MULTI),
    Case("SELECT $q$ it's $q$; DELETE FROM shop.orders", "deny", MULTI),
    Case("SELECT 'unterminated; DELETE FROM shop.orders", "deny", MULTI, ast_text="SELECT 1"),
    Case("SELECT 1\x00; DELETE FROM shop.orders", "deny", MULTI, ast_text="SELECT 1"),
    Case("SELECT 1;;", "allow", "roles.analyst"),
    Case("SELECT $a$ ; DELETE FROM shop.orders; $a$", "allow", "roles.analyst"),
    Case("SELECT 'it''s; DELETE FROM shop.orders'", "allow", "roles.analyst"),
    Case('SELECT 1 AS "x; DELETE FROM shop.orders"', "allow", "roles.analyst"),
    # -- data-modifying CTEs and other hidden writes -------------------------------------------
    Case("WITH d AS (DELETE FROM shop.orders RETURNING *) SELECT * FROM d", "deny",
         "classifier.data_modifying_cte"),
    Case("WITH u AS (UPDATE shop.orders SET total = 0 RETURNING *) SELECT count(*) FROM u", "deny",
         "classifier.data_modifying_cte"),
    Case("WITH i AS (INSERT INTO shop.orders (id) VALUES (1) RETURNING *) SELECT * FROM i", "deny",
         "classifier.data_modifying_cte"),
    Case("WITH d AS (DELETE FROM shop.orders RETURNING *) SELECT * FROM d", "deny",
         "classifier.data_modifying_cte", roles=ADMIN),
    Case("SELECT * INTO shop.stolen FROM shop.customers", "deny", "classifier.select_into"),
    Case("SELECT * INTO TEMP stolen FROM shop.customers", "deny", "classifier.select_into"),
    # -- statements the classifier does not run --------------------------------------------------
    Case("COPY shop.customers TO '/tmp/out.csv'", "deny", "classifier.copy"),
    Case("COPY shop.orders FROM '/tmp/in.csv'", "deny", "classifier.copy", kind="dml"),
    Case("DO $$ BEGIN PERFORM 1; END $$", "deny", "classifier.command"),
    Case("CALL shop.do_things()", "deny", "classifier.command"),
    Case("EXECUTE prepared_statement(1)", "deny", "classifier.command"),
    Case("EXPLAIN ANALYZE DELETE FROM shop.orders", "deny", "classifier.command"),
    Case("EXPLAIN SELECT * FROM shop.orders", "deny", "classifier.command"),
    Case("PREPARE p AS DELETE FROM shop.orders", "deny", "classifier.command"),
    Case("LOCK TABLE shop.orders", "deny", "classifier.command"),
    Case("GRANT SELECT ON shop.customers TO bob", "deny", "classifier.command"),
    Case("SET search_path = hr", "deny", "classifier.command"),
    Case("BEGIN", "deny", "classifier.command"),
    Case("SELECT * FROM shop.customers", "deny", "classifier.kind", kind="copy"),
    Case("SELECT * FROM shop.customers", "deny", "classifier.kind", kind="unknown"),
    Case("SELECT * FROM shop.customers", "deny", "classifier.kind", kind="utility"),
    Case("DELETE FROM shop.orders", "deny", "classifier.kind", kind="query", roles=ADMIN),
    Case("DROP TABLE shop.orders", "deny", "classifier.kind", kind="dml", roles=ADMIN),
    # -- locking clauses -------------------------------------------------------------------------
    Case("SELECT * FROM shop.orders FOR UPDATE", "deny", "classifier.locking"),
    Case("SELECT * FROM shop.orders FOR SHARE NOWAIT", "deny", "classifier.locking"),
    Case("SELECT * FROM shop.orders o FOR UPDATE OF o SKIP LOCKED", "deny", "classifier.locking"),
    Case("SELECT * FROM (SELECT * FROM shop.orders FOR NO KEY UPDATE) o", "deny", "classifier.locking"),
    # -- names outside the catalog path, wildcard and odd identifiers -----------------------------
    Case('SELECT * FROM shop."events_*"', "deny", "classifier.wildcard_table"),
    Case('SELECT * FROM shop."orders_2024*" WHERE _TABLE_SUFFIX > \'01\'', "deny",
         "classifier.wildcard_table"),
    Case("SELECT * FROM information_schema.tables", "deny", "classifier.catalog_path"),
    Case('SELECT * FROM "region-us".INFORMATION_SCHEMA.JOBS', "deny", "classifier.catalog_path"),
    Case("SELECT * FROM shop.INFORMATION_SCHEMA.COLUMNS", "deny", "classifier.catalog_path"),
    Case("SELECT * FROM pg_catalog.pg_authid", "deny", "classifier.catalog_path"),
    Case("SELECT * FROM otherproject.shop.customers", "deny", "classifier.qualified_name"),
    Case('SELECT * FROM "my-project".shop.customers', "deny", "classifier.qualified_name"),
    Case('SELECT * FROM "shop.customers"', "deny", "classifier.identifier"),
    Case('SELECT * FROM "hr.salaries"', "deny", "classifier.identifier"),
    Case('SELECT * FROM "hr.x".salaries', "deny", "classifier.identifier"),
    Case('SELECT * FROM shop."customers.secret"', "deny", "classifier.identifier"),
    Case('SELECT * FROM shop."customers "', "deny", "classifier.identifier"),
    Case('SELECT * FROM "shop`.`customers"', "deny", "classifier.identifier"),
    Case('SELECT * FROM shop."customers` UNION ALL SELECT * FROM `hr.salaries"', "deny",
         "classifier.identifier"),
    Case('SELECT * FROM shop."customers; DROP TABLE x"', "deny", "classifier.identifier"),
    Case('SELECT * FROM "hr".salaries', "deny", "roles.analyst.tables"),
    Case('SELECT c."name` FROM `hr.salaries" FROM shop.customers c', "deny", "classifier.identifier"),
    Case('SELECT * FROM shop.customers AS "x` JOIN `hr.salaries"', "deny", "classifier.identifier"),
    Case('SELECT 1 AS "a\\"', "deny", "classifier.identifier"),
    Case('SELECT * FROM shop."__TABLES__"', "deny", "classifier.meta_table"),
    Case("SELECT * FROM customers", "deny", "classifier.unqualified_table", qualify=False),
    # -- tables the role may not read, wherever they hide ------------------------------------------
    Case("SELECT * FROM hr.salaries", "deny", "roles.analyst.tables"),
    Case("SELECT * FROM shop.customers c JOIN hr.salaries s ON s.id = c.id", "deny", "roles.analyst.tables"),
    Case("SELECT * FROM shop.customers WHERE id IN (SELECT id FROM hr.salaries)", "deny",
         "roles.analyst.tables"),
    Case("WITH x AS (SELECT * FROM hr.salaries) SELECT * FROM x", "deny", "roles.analyst.tables"),
    Case("SELECT * FROM shop.customers UNION ALL SELECT * FROM hr.salaries", "deny", "roles.analyst.tables"),
    Case("SELECT (SELECT max(amount) FROM hr.salaries) FROM shop.customers", "deny", "roles.analyst.tables"),
    Case("SELECT * FROM shop.customers WHERE EXISTS (SELECT 1 FROM hr.salaries)", "deny",
         "roles.analyst.tables"),
    Case("SELECT * FROM shop.customers c, LATERAL (SELECT * FROM hr.salaries s WHERE s.id = c.id) x",
         "deny", "roles.analyst.tables"),
    Case("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r JOIN hr.salaries ON true) "
         "SELECT * FROM r", "deny", "roles.analyst.tables"),
    # -- statement kinds the role was not granted --------------------------------------------------
    Case("INSERT INTO shop.orders (id) VALUES (1)", "deny", "roles.analyst.statements", kind="dml"),
    Case("UPDATE shop.orders SET total = 0", "deny", "roles.analyst.statements", kind="dml"),
    Case("DELETE FROM shop.orders", "deny", "roles.analyst.statements", kind="dml"),
    Case("MERGE INTO shop.orders o USING shop.customers c ON o.customer_id = c.id WHEN MATCHED THEN DELETE",
         "deny", "roles.analyst.statements", kind="dml"),
    Case("TRUNCATE shop.orders", "deny", "roles.analyst.statements", kind="ddl"),
    Case("DROP TABLE shop.orders", "deny", "roles.analyst.statements", kind="ddl"),
    Case("CREATE TABLE shop.copy AS SELECT * FROM shop.customers", "deny", "roles.analyst.statements",
         kind="ddl"),
    Case("ALTER TABLE shop.orders ADD COLUMN x int", "deny", "roles.analyst.statements", kind="ddl"),
    # -- functions: external, table-valued, file, ML, remote, admin --------------------------------
    Case("SELECT * FROM external_query('conn', 'SELECT * FROM secrets')", "deny", "roles.analyst.functions"),
    Case("SELECT external_query('conn', 'SELECT 1')", "deny", "roles.analyst.functions"),
    Case("SELECT ml.predict(1)", "deny", "roles.analyst.functions"),
    Case("SELECT * FROM read_csv('/etc/passwd')", "deny", "roles.analyst.functions"),
    Case("SELECT read_csv('/etc/passwd')", "deny", "roles.analyst.functions"),
    Case("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "deny", "roles.analyst.functions"),
    Case("SELECT pg_read_file('/etc/passwd')", "deny", "roles.analyst.functions"),
    Case("SELECT shop.my_remote_fn(name) FROM shop.customers", "deny", "roles.analyst.functions"),
    Case("SELECT dblink('host=evil', 'SELECT 1')", "deny", "roles.analyst.functions"),
    Case("SELECT pg_sleep(100)", "deny", "roles.analyst.functions"),
    Case("SELECT lo_import('/etc/passwd')", "deny", "roles.analyst.functions"),
    Case("SELECT set_config('search_path', 'hr', false)", "deny", "roles.analyst.functions"),
    Case("SELECT count(*) FROM shop.customers WHERE name = pg_read_file('/x')", "deny",
         "roles.analyst.functions"),
    Case("SELECT @@project_id", "deny", "roles.analyst.functions"),
    Case("SELECT * FROM shop.generate_series(1, 2)", "deny", "roles.analyst.functions"),
    Case("SELECT * FROM shop.unnest(ARRAY[1])", "deny", "roles.analyst.functions"),
    Case("SELECT * FROM proj.shop.f(1)", "deny", "roles.analyst.functions"),
    Case("SELECT shop.lower(name) FROM shop.customers", "deny", "roles.analyst.functions"),
    # -- what the roles may do ---------------------------------------------------------------------
    Case("SELECT * FROM generate_series(1, 10)", "allow", "roles.analyst"),
    Case("SELECT count(*), lower(name) FROM shop.customers WHERE country = 'FR' GROUP BY 2", "allow",
         "roles.analyst"),
    Case("WITH c AS (SELECT * FROM shop.customers) "
         "SELECT * FROM c JOIN shop.orders o ON o.customer_id = c.id", "allow", "roles.analyst"),
    Case("VALUES (1), (2)", "allow", "roles.analyst"),
    Case("(SELECT 1) UNION (SELECT 2)", "allow", "roles.analyst"),
    # table-valued functions that read only their arguments, in FROM and in the select list
    # (issue 13: the demo's readers may call them; their rows count against the cost rule)
    Case("SELECT generate_series(1, 3)", "allow", "roles.analyst"),
    Case("SELECT x FROM shop.products p, unnest(p.tags) AS t(x)", "allow", "roles.analyst"),
    Case("SELECT x FROM shop.products p CROSS JOIN LATERAL generate_series(1, p.id) AS t(x)", "allow",
         "roles.analyst"),
    Case("SELECT generate_series(1, 2), id FROM shop.customers", "allow", "roles.support", roles=SUPPORT),
    Case("SELECT x FROM unnest(ARRAY[1, 2]) AS t(x)", "allow", "roles.support", roles=SUPPORT),
    Case("SELECT generate_series(1, 2)", "deny", "roles.approver.functions", roles=("approver",)),
    Case("SELECT * FROM read_csv('/etc/passwd')", "deny", "roles.support.functions", roles=SUPPORT),
    # admin may call every function: the translator's allow-list still refuses what it cannot
    # translate (tests/sql/test_refusals.py: read_csv, external_query, shop.generate_series)
    Case("SELECT external_query('c', 'SELECT 1')", "allow", "roles.admin", roles=ADMIN),
    Case("SELECT * FROM shop.generate_series(1, 2)", "allow", "roles.admin", roles=ADMIN),
    # -- support: row-filtered tables only, never written ------------------------------------------
    Case("SELECT * FROM shop.customers", "allow", "roles.support", roles=SUPPORT),
    Case("SELECT * FROM shop.products", "deny", "roles.support.tables", roles=SUPPORT),
    Case("UPDATE shop.customers SET name = 'x'", "deny", "roles.support.statements", kind="dml",
         roles=SUPPORT),
    Case("SELECT * FROM shop.customers", "deny", "roles.support.row_filters", roles=SUPPORT, claims=()),
    # -- admin: everything readable, DML on shop needs approval ------------------------------------
    Case("SELECT * FROM hr.salaries", "allow", "roles.admin", roles=ADMIN),
    Case("DELETE FROM shop.orders WHERE id = 1", "approve", "roles.admin.approve_statements", kind="dml",
         roles=ADMIN),
    Case("INSERT INTO shop.orders SELECT * FROM shop.orders RETURNING *", "approve",
         "roles.admin.approve_statements", kind="dml", roles=ADMIN),
    Case("MERGE INTO shop.orders o USING shop.customers c ON o.customer_id = c.id "
         "WHEN MATCHED THEN UPDATE SET total = 0 WHEN NOT MATCHED THEN INSERT (id) VALUES (c.id)",
         "approve", "roles.admin.approve_statements", kind="dml", roles=ADMIN),
    Case("INSERT INTO hr.salaries (id) VALUES (1)", "deny", "roles.admin.write_tables", kind="dml",
         roles=ADMIN),
    Case("DROP TABLE shop.orders", "deny", "roles.admin.statements", kind="ddl", roles=ADMIN),
    # -- principals ----------------------------------------------------------------------------
    Case("SELECT 1", "deny", "roles", roles=("intern",)),
    Case("SELECT * FROM shop.customers", "deny", "roles.approver.tables", roles=("approver",)),
    Case("SELECT * FROM shop.products", "allow", "roles.analyst", roles=("support", "analyst")),
    Case("SELECT * FROM shop.products", "deny", "roles.support.tables", roles=("support", "approver")),
]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60
    assert len({(c.text, c.kind, c.roles, c.claims) for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[f"{i:03d}" for i in range(len(CORPUS))])
def test_corpus_decision(case: Case) -> None:
    engine = PolicyEngine(demo_settings())
    who = principal(*case.roles, **dict(case.claims))
    ast = resolve(case.ast_text or case.text, qualify=case.qualify)
    decision = engine.check_statement(who, case.text, case.kind, ast)
    assert (decision.action, decision.rule) == (case.action, case.rule), decision.message
    if case.action == "approve":
        assert decision.approval_mode == "wait"
    if case.action == "deny":
        error = decision.error()
        assert error.sqlstate == "42501" and case.rule in (error.detail or "")
