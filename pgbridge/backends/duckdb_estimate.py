"""The bytes BigQuery would bill for a query, from per-column sizes (the DuckDB backend's dry run).

BigQuery bills each referenced column of each referenced table once, whatever the query does
with it. So every column reference is first tied to its own table: sqlglot's qualifier gives
each column its table alias from the tables' column lists, and the scope that alias belongs
to names the table. `JOIN products p ON p.id = o.product_id` bills products.id and
orders.product_id, not orders.id as well. A `*` that survives qualification (SELECT *, t.*)
reads every column of its tables; count(*) reads none. A column the qualifier cannot tie to
one table (ambiguous, or from a table it does not know) is billed on every table that has a
column of that name: an estimate may be high, never low.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

Sizes = dict[str, int]  # column name (lower case) -> billed bytes
SizesOf = Callable[[str, str], "Sizes | None"]


def estimate_bytes(bigquery_sql: str, sizes_of: SizesOf) -> int:
    tree = sqlglot.parse_one(bigquery_sql, read="bigquery")
    tables = {(t.db, t.name): sizes_of(t.db, t.name) for t in tree.find_all(exp.Table) if t.db}
    known = {key: sizes for key, sizes in tables.items() if sizes is not None}
    billed: set[tuple[str, str, str]] = set()
    try:
        _tied_columns(_qualified(tree, known), known, billed)
    except SqlglotError:
        _by_name(tree, known, billed)  # the conservative reading
    return sum(known[(db, name)][column] for db, name, column in billed)


def _qualified(tree: exp.Expr, known: dict[tuple[str, str], Sizes]) -> exp.Expr:
    schema: dict[str, object] = {}
    for (db, name), sizes in known.items():
        tables = schema.setdefault(db, {})
        assert isinstance(tables, dict)
        tables[name] = {column: "STRING" for column in sizes}
    return qualify(
        tree.copy(),
        schema=schema,
        dialect="bigquery",
        validate_qualify_columns=False,
        quote_identifiers=False,
        identify=False,
    )


def _tied_columns(
    tree: exp.Expr, known: dict[tuple[str, str], Sizes], billed: set[tuple[str, str, str]]
) -> None:
    for scope in traverse_scope(tree):
        for column in scope.columns:
            table = _table_of(scope, column.table)
            name = column.name.lower()
            if table is not None and name in known.get(table, {}):
                billed.add((*table, name))
            elif table is None:
                billed.update((*key, name) for key, sizes in known.items() if name in sizes)
        for star in scope.expression.find_all(exp.Star):
            if isinstance(star.parent, exp.Count) or _scope_of(star, scope) is not scope:
                continue
            owner = star.parent.table if isinstance(star.parent, exp.Column) else ""
            for source in [owner] if owner else list(scope.selected_sources):
                table = _table_of(scope, source)
                if table is not None:
                    billed.update((*table, c) for c in known.get(table, {}))


def _table_of(scope: Scope | None, alias: str) -> tuple[str, str] | None:
    """The (dataset, table) an alias names, looked up from scope outwards (correlation)."""
    while scope is not None and alias:
        source = scope.sources.get(alias)
        if isinstance(source, exp.Table):
            return (source.db, source.name)
        if source is not None:
            return None  # a derived table or CTE: its own scope bills what it reads
        scope = scope.parent
    return None


def _scope_of(node: exp.Expr, scope: Scope) -> Scope | None:
    # The innermost SELECT holding node must be this scope's own expression.
    select = node.find_ancestor(exp.Select)
    return scope if select is scope.expression else None


def _by_name(tree: exp.Expr, known: dict[tuple[str, str], Sizes], billed: set[tuple[str, str, str]]) -> None:
    names = {c.name.lower() for c in tree.find_all(exp.Column)}
    star = any(not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star))
    for key, sizes in known.items():
        billed.update((*key, column) for column in sizes if star or column in names)
