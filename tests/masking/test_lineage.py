"""Column lineage: fixtures of query -> per output column (sources, pass-through), and refusals."""

from __future__ import annotations

import pytest

from pgbridge.sql.lineage.model import LineageError
from pgbridge.sql.lineage.walker import analyze, output_lineage
from tests.masking.harness import parse, qualified, schema_lookup

C = "shop.customers."
ORD = "shop.orders."

# (sql, [(output name, {sources}, direct)])
FIXTURES: list[tuple[str, list[tuple[str, set[str], bool]]]] = [
    (
        "SELECT ssn AS x, id + 1 AS y, 42 AS z FROM shop.customers",
        [("x", {C + "ssn"}, True), ("y", {C + "id"}, False), ("z", set(), False)],
    ),
    ("SELECT CAST(ssn AS text) FROM shop.customers", [("ssn", {C + "ssn"}, False)]),
    (
        "SELECT CASE WHEN id > 1 THEN phone ELSE email END AS v FROM shop.customers",
        [("v", {C + "id", C + "phone", C + "email"}, False)],
    ),
    (
        "WITH a AS (SELECT ssn AS s FROM shop.customers), b AS (SELECT s AS t FROM a) SELECT t FROM b",
        [("t", {C + "ssn"}, True)],
    ),
    (
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, c.phone FROM r "
        "JOIN shop.customers c ON c.id = r.n) SELECT s FROM r",
        [("s", {C + "phone"}, False)],
    ),
    (
        "SELECT a FROM (SELECT ssn AS a FROM shop.customers UNION ALL SELECT status FROM shop.orders) u",
        [("a", {C + "ssn", ORD + "status"}, True)],
    ),
    (
        "SELECT (SELECT o.status FROM shop.orders o WHERE o.customer_id = c.id LIMIT 1) AS s "
        "FROM shop.customers c",
        [("s", {ORD + "status"}, True)],
    ),
    ("SELECT id FROM shop.customers JOIN shop.orders USING (id)", [("id", {C + "id", ORD + "id"}, True)]),
    (
        "SELECT * EXCEPT (id, name, email, phone, card_number, country, created_at, lifetime_value) "
        "FROM shop.customers",
        [("ssn", {C + "ssn"}, True)],
    ),
    ("SELECT t.x FROM shop.customers c, UNNEST(ARRAY[c.email]) AS t(x)", [("x", {C + "email"}, False)]),
    ("SELECT max(amount) OVER (PARTITION BY status) AS m FROM shop.orders", [("m", {ORD + "amount"}, False)]),
    ("SELECT v.b FROM (VALUES (1, 'a')) AS v(a, b)", [("b", set(), False)]),
    ("SELECT x.a FROM shop.orders AS x(a)", [("a", {ORD + "id"}, True)]),
    ("SELECT g FROM generate_series(1, 3) AS g", [("g", set(), False)]),
    ("SELECT m.anything FROM shop.mystery m", [("anything", {"shop.mystery.anything"}, True)]),
]


def _shape(sql: str, qualify_first: bool) -> list[tuple[str, set[str], bool]]:
    ast = qualified(sql) if qualify_first else parse(sql)
    return [(c.name, {str(s) for s in c.sources}, c.direct) for c in output_lineage(ast, schema_lookup)]


@pytest.mark.parametrize(("sql", "expected"), FIXTURES, ids=[s[:60] for s, _ in FIXTURES])
def test_lineage_fixtures(sql: str, expected: list[tuple[str, set[str], bool]]) -> None:
    got = _shape(sql, qualify_first=False)
    assert [(s, d) for _, s, d in got] == [(s, d) for _, s, d in expected]
    assert [n for n, _, _ in got] == [n for n, _, _ in expected]


@pytest.mark.parametrize(
    "sql", [s for s, _ in FIXTURES if not any(w in s for w in ("generate_series", "mystery", "USING"))]
)
def test_qualified_and_parsed_agree(sql: str) -> None:
    assert [(s, d) for _, s, d in _shape(sql, True)] == [(s, d) for _, s, d in _shape(sql, False)]


WHOLE_ROW = {
    C + c
    for c in ("id", "name", "email", "phone", "ssn", "card_number", "country", "created_at", "lifetime_value")
}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT u FROM shop.customers u",
        "SELECT row_to_json(u) FROM shop.customers u",
        "SELECT to_jsonb(u) FROM shop.customers u",
        "SELECT u::text FROM shop.customers u",
        "SELECT TO_JSON_STRING(u) FROM shop.customers u",
        "SELECT row_to_json(c.*) FROM shop.customers c",
        "SELECT (SELECT row_to_json(c) FROM shop.customers c LIMIT 1)",
        "WITH t AS (SELECT * FROM shop.customers) SELECT t FROM t",
    ],
)
@pytest.mark.parametrize("qualify_first", [True, False])
def test_whole_row_references_carry_every_column(sql: str, qualify_first: bool) -> None:
    [(_, sources, direct)] = _shape(sql, qualify_first)
    assert sources == WHOLE_ROW and direct is False


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM shop.mystery", "columns of shop.mystery are unknown"),
        ("SELECT m FROM shop.mystery m", "columns of shop.mystery are unknown"),
        ("SELECT nope FROM shop.customers", "does not exist"),
        ("SELECT z.id FROM shop.customers c", "missing FROM-clause entry"),
        ("SELECT * REPLACE (ssn AS name) FROM shop.customers", "REPLACE"),
        ("SELECT id FROM shop.customers UNION SELECT id, name FROM shop.customers", "same number of columns"),
        ("INSERT INTO shop.orders (status) SELECT ssn FROM shop.customers RETURNING id", "RETURNING"),
        ("INSERT INTO shop.orders (id) VALUES (1) ON CONFLICT (id) DO NOTHING", "CONFLICT"),
        ("CREATE TABLE shop.x AS SELECT ssn FROM shop.customers", "not a statement whose output"),
        ("UPDATE shop.orders SET (status, id) = (SELECT ssn, id FROM shop.customers LIMIT 1)", "assignment"),
        ("INSERT INTO shop.orders DEFAULT VALUES", "INSERT: it uses DEFAULT"),
        ("SELECT id FROM shop.customers c, shop.customers c", "more than once"),
    ],
)
def test_untraceable_queries_raise(sql: str, reason: str) -> None:
    with pytest.raises(LineageError, match=reason):
        output_lineage(parse(sql), schema_lookup)


def test_uses_record_clause_and_equality() -> None:
    analysis = analyze(
        parse(
            "SELECT c.id FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id "
            "WHERE c.ssn LIKE '1%' AND c.email = 'x' GROUP BY c.id, c.phone ORDER BY c.country"
        ),
        schema_lookup,
    )
    uses = {(u.clause, str(s), u.equality) for u in analysis.uses for s in u.sources}
    assert {
        ("WHERE", C + "ssn", False),
        ("WHERE", C + "email", True),
        ("JOIN ON", C + "id", True),
        ("GROUP BY", C + "phone", True),
        ("ORDER BY", C + "country", False),
    } <= uses
    assert analysis.tables == {("shop", "customers"), ("shop", "orders")}


def test_every_subquery_is_visited_even_in_limit() -> None:
    analysis = analyze(
        parse("SELECT id FROM shop.orders LIMIT (SELECT max(id) FROM shop.customers)"), schema_lookup
    )
    assert any(u.clause == "AGGREGATE" and str(s) == C + "id" for u in analysis.uses for s in u.sources)


def _writes(sql: str) -> list[tuple[str, set[str], bool]]:
    writes = analyze(parse(sql), schema_lookup).writes
    return [(w.name, {str(s) for s in w.sources}, w.direct) for w in writes]


def test_dml_writes_are_traced_by_target_column() -> None:
    assert _writes("INSERT INTO shop.orders (status, id) SELECT ssn, id FROM shop.customers") == [
        ("status", {"shop.customers.ssn"}, True),
        ("id", {"shop.customers.id"}, True),
    ]
    assert _writes("UPDATE shop.orders o SET status = c.phone FROM shop.customers c WHERE c.id = o.id") == [
        ("status", {"shop.customers.phone"}, True)
    ]
    assert _writes("UPDATE shop.customers SET name = upper(email)") == [
        ("name", {"shop.customers.email"}, False)
    ]
    assert _writes("DELETE FROM shop.customers WHERE id = 1") == []


def test_dml_where_clauses_are_uses() -> None:
    for sql in (
        "DELETE FROM shop.orders o USING shop.customers c WHERE c.id = o.customer_id AND c.ssn LIKE '1%'",
        "UPDATE shop.orders SET status = 'x' "
        "WHERE customer_id IN (SELECT id FROM shop.customers WHERE ssn > '5')",
        "WITH t AS (SELECT id FROM shop.customers WHERE ssn LIKE '1%') "
        "INSERT INTO shop.orders (id) SELECT id FROM t",
    ):
        uses = analyze(parse(sql), schema_lookup).uses
        assert any("shop.customers.ssn" in {str(s) for s in u.sources} for u in uses), sql


def test_unknown_functions_make_their_arguments_uses() -> None:
    """A function lineage does not know may fail or change the row count on some values: a
    masked value may not reach it. An unmasked one may (the guard only refuses masked uses)."""
    uses = analyze(parse("SELECT some_new_function(ssn, id) FROM shop.customers"), schema_lookup).uses
    assert {u.clause for u in uses} == {"SOME_NEW_FUNCTION() argument"}
    assert {str(s) for u in uses for s in u.sources} == {"shop.customers.ssn", "shop.customers.id"}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT (c).ssn FROM shop.customers c",  # composite field access
        "SELECT make_interval(days => id) FROM shop.customers",  # named argument
    ],
)
def test_unknown_syntax_is_untraceable(sql: str) -> None:
    with pytest.raises(LineageError, match="cannot trace"):
        analyze(parse(sql), schema_lookup)
