"""The translation registry: assembled from the catalogue's constructs, duplicates refused at
import, several fix-ups per node class run in the catalogue's order."""

from __future__ import annotations

import duckdb
import psycopg
import pytest
import sqlglot
from sqlglot import exp

from pgbridge.sql.translate.catalogue import CONSTRUCTS, REGISTRY
from pgbridge.sql.translate.registry import Construct, RegistryError, assemble
from pgbridge.sql.translate.rewrite import apply_fixups
from pgbridge.sql.translate.typer import Typer
from tests.sql.fixtures import FixtureSchema
from tests.sql.harness import check


def _none(t: Typer, node: exp.Expr) -> str | None:
    return None


@pytest.mark.parametrize(
    ("kind", "node", "message"),
    [
        ("rule", exp.Case, "two typing rules for exp.Case: first and second"),
        ("fixup", exp.Select, "_none listed twice for exp.Select"),
    ],
)
def test_two_constructs_claiming_one_thing_are_refused(kind: str, node: type[exp.Expr], message: str) -> None:
    constructs = [Construct("first"), Construct("second")]
    for construct in constructs:
        getattr(construct, kind)(node)(_none)
    with pytest.raises(RegistryError, match=message):
        assemble(constructs)


def test_two_rules_for_one_node_are_refused_inside_a_construct() -> None:
    construct = Construct("twice")
    construct.rule("octet_length")(_none)
    with pytest.raises(RegistryError, match="two typing rules for function octet_length()"):
        construct.rule("octet_length")(_none)


def test_a_construct_listed_twice_is_refused() -> None:
    construct = Construct("again")
    with pytest.raises(RegistryError, match="listed twice"):
        assemble([construct, construct])


def test_the_catalogue_assembles_without_duplicates() -> None:
    assert assemble(CONSTRUCTS).rules == REGISTRY.rules
    # SELECT carries two repairs now that a class may have several: structure's FROM for a
    # WHERE without one, and DISTINCT ON's window, in that order.
    assert [f.__name__ for f in REGISTRY.fixups[exp.Select]] == ["_from_one_row", "_distinct_on"]


def _typer() -> Typer:
    return Typer(REGISTRY.rules, (), "", ())


def test_fixups_of_a_node_run_in_order_until_one_replaces_it() -> None:
    ran: list[str] = []

    def in_place(t: Typer, node: exp.Expr) -> exp.Expr:
        ran.append("in place")
        node.meta["seen"] = True
        return node

    def replace(t: Typer, node: exp.Expr) -> exp.Expr:
        ran.append("replace")
        return exp.Literal.number(2)

    def never(t: Typer, node: exp.Expr) -> exp.Expr | None:
        ran.append("never")
        return None

    ast = sqlglot.parse_one("select 1", read="postgres")
    fixed = apply_fixups(_typer(), ast, {exp.Literal: (in_place, replace, never)})
    assert ran == ["in place", "replace"]
    assert fixed.sql("bigquery") == "SELECT 2"
    assert fixed.expressions[0].meta.get("seen") is True  # the replacement keeps the node's notes


@pytest.mark.parametrize(
    "sql",
    [
        "select distinct on (a) 1 as a, 'x' as b where true order by a",
        "select distinct on (x) x from (select 1 as x union all select 1) s where x > 0 order by x",
    ],
)
def test_a_select_gets_both_of_its_repairs(
    pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, schema: FixtureSchema, sql: str
) -> None:
    # The first SELECT has no FROM (structure adds one row) and DISTINCT ON (a window): both
    # fix-ups of exp.Select run on the same node, and PostgreSQL's answer comes back.
    translation = check(pg, duck, schema, sql)
    assert "QUALIFY" in translation.sql and "DISTINCT" not in translation.sql
