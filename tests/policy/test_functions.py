"""The default function allow-list: ordinary calls pass, everything else needs a grant."""

from __future__ import annotations

import pytest

from pgbridge.policy.engine import PolicyEngine
from tests.policy.support import demo_settings, principal, resolve, settings_from_toml

ORDINARY = [
    "count(*)", "count(DISTINCT name)", "sum(total)", "avg(total)", "min(total)", "max(total)",
    "stddev(total)", "variance(total)", "bool_and(total > 0)", "string_agg(name, ',')", "array_agg(name)",
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY total)", "coalesce(name, 'x')", "nullif(name, '')",
    "greatest(total, 1)", "least(total, 1)", "CASE WHEN total > 1 THEN 'a' ELSE 'b' END", "total::text",
    "cast(total AS int)", "abs(total)", "round(total, 2)", "ceil(total)", "floor(total)", "sqrt(total)",
    "power(total, 2)", "ln(total)", "lower(name)", "upper(name)", "length(name)", "substring(name, 1, 2)",
    "position('a' IN name)", "trim(name)", "lpad(name, 5)", "replace(name, 'a', 'b')", "concat(name, 'x')",
    "name || 'x'", "left(name, 2)", "split_part(name, ',', 1)", "regexp_replace(name, 'a', 'b')",
    "md5(name)", "now()", "current_date", "date_trunc('day', created)", "extract(year FROM created)",
    "date_part('month', created)", "to_char(created, 'YYYY')", "created + interval '1 day'",
    "array_length(tags, 1)", "unnest(tags)", "ARRAY[1, 2]", "tags[1]", "name = ANY(tags)",
    "EXISTS (SELECT 1)", "name LIKE 'a%'", "name ILIKE 'a%'", "total BETWEEN 1 AND 2",
    "row_number() OVER (ORDER BY total)", "rank() OVER ()", "lag(total) OVER ()", "sum(total) OVER ()",
    "json_build_object('a', name)", "doc->>'x'", "doc->'x'", "to_json(name)",
    "name ~* 'a'", "regexp_count(name, 'a')", "regexp_substr(name, 'a')", "regexp_instr(name, 'a')",
    "to_timestamp(name, 'YYYY')", "to_date(name, 'YYYY')", "to_timestamp(total)",
    "bit_and(id)", "bit_or(id)", "bit_xor(id)", "mode() WITHIN GROUP (ORDER BY total)", "chr(65)",
    "sin(total)", "make_timestamp(2024, 1, 1, 0, 0, 0)", "make_timestamptz(2024, 1, 1, 0, 0, 0)",
]


@pytest.mark.parametrize("call", ORDINARY)
def test_ordinary_functions_are_allowed(call: str) -> None:
    text = f"SELECT {call} FROM shop.orders"
    engine = PolicyEngine(demo_settings())
    decision = engine.check_statement(principal("analyst"), text, "query", resolve(text))
    assert decision.action == "allow", decision.message


GRANTS = """
[policy.roles.ml]
datasets = ["shop"]
functions = ["ML.*", "EXTERNAL_QUERY"]
[policy.roles.strict]
datasets = ["shop"]
default_functions = false
functions = ["COUNT"]
"""


@pytest.mark.parametrize(
    ("role", "text", "action"),
    [
        ("ml", "SELECT ml.predict(1)", "allow"),
        ("ml", "SELECT * FROM external_query('c', 'SELECT 1')", "allow"),
        ("ml", "SELECT read_csv('/etc/passwd')", "deny"),
        ("ml", "SELECT lower(name) FROM shop.orders", "allow"),
        ("strict", "SELECT count(*) FROM shop.orders", "allow"),
        ("strict", "SELECT lower(name) FROM shop.orders", "deny"),
    ],
)
def test_granted_functions(role: str, text: str, action: str) -> None:
    engine = PolicyEngine(settings_from_toml(GRANTS))
    decision = engine.check_statement(principal(role), text, "query", resolve(text))
    assert decision.action == action, decision.message
    if action == "deny":
        assert decision.rule == f"roles.{role}.functions"
