"""Subqueries inside row filters, checked and pinned once at start-up.

A filter such as `customer_id IN (SELECT id FROM shop.customers WHERE country = {claims.x})`
lets a table without the claim's column be filtered through a related table. Such a filter
is spliced into the client's statement, so every column in it must bind to the table the
administrator meant, whatever the client's query looks like around it:

- columns outside any subquery belong to the filtered table (pinned to its inner alias);
- unqualified columns inside a subquery belong to that subquery's single FROM table (with
  several FROM items, columns must be qualified: guessing would be a silent correlation);
- a qualified column must name a FROM item of its own or an enclosing subquery of the
  filter, or the filtered table by its own name (a correlated filter); nothing else, so
  no column can ever bind to the client's part of the statement;
- tables must be written `dataset.table`, and the subquery must pass the same structural
  checks as a client's query (no DML, no COPY, ...).

The tables a filter's subqueries read are returned so settings can check, per role, that
the role may read them and that filters do not refer to each other in a cycle. At run time
the reads inside a filter are filtered too, by the principal's own filters (engine.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from pgbridge.config_base import ConfigError
from pgbridge.policy.inspect import Refusal, check_table_name, inspect_statement

FILTERED_ALIAS = "__pgbridge_filtered"  # the filtered table's alias inside its wrapper
CLAIM_PREFIX = "__pgbridge_claim_"

TableKey = tuple[str, str]


def pin_filter_columns(condition: exp.Expr, table: TableKey, key: str) -> frozenset[TableKey]:
    """Qualify every column of `condition` in place; return the tables its subqueries read."""
    reads: set[TableKey] = set()
    for query in _outermost_queries(condition):
        reads |= _check_query(query, key)
    for column in list(condition.find_all(exp.Column)):
        if column.name.startswith(CLAIM_PREFIX) and not column.table:
            continue
        _pin(column, condition, table, key)
    return frozenset(reads)


def _outermost_queries(condition: exp.Expr) -> list[exp.Query]:
    found = [q for q in condition.find_all(exp.Query) if not isinstance(q, exp.Subquery)]
    return [q for q in found if not any(_is_query(a) for a in _ancestors(q, condition))]


def _is_query(node: exp.Expr) -> bool:
    return isinstance(node, exp.Query) and not isinstance(node, exp.Subquery)


def _check_query(query: exp.Query, key: str) -> set[TableKey]:
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise ConfigError(key, "a row filter subquery may only read plain tables")
        try:
            name = check_table_name(table)
        except Refusal as refusal:
            raise ConfigError(key, f"row filter subquery: {refusal.message}") from None
        if name is None:
            raise ConfigError(key, f"write the table {table.name!r} in a row filter as 'dataset.table'")
    try:
        facts = inspect_statement(query)
    except Refusal as refusal:
        raise ConfigError(key, f"row filter subquery: {refusal.message}") from None
    if facts.kind != "select" or facts.table_functions:
        raise ConfigError(key, "a row filter subquery must be a plain SELECT over tables")
    return set(facts.reads)


def _pin(column: exp.Column, condition: exp.Expr, table: TableKey, key: str) -> None:
    selects = [a for a in _ancestors(column, condition) if isinstance(a, exp.Select)]
    if not selects:
        column.set("table", exp.to_identifier(FILTERED_ALIAS))
        column.set("db", None)
        column.set("catalog", None)
        return
    if not column.table:
        sources = _sources(selects[0])
        if len(sources) != 1:
            message = f"qualify column {column.name!r}: its row filter subquery reads several tables"
            raise ConfigError(key, message)
        column.set("table", exp.to_identifier(sources[0]))
        return
    if any(column.table in _sources(s) for s in selects):
        return
    if column.table == table[1] and not column.args.get("db"):
        column.set("table", exp.to_identifier(FILTERED_ALIAS))  # the filtered row itself
        return
    message = f"column {column.sql(dialect='postgres')} names no table of the row filter"
    raise ConfigError(key, message)


def _sources(select: exp.Select) -> list[str]:
    """Names the FROM items of one SELECT are known by (alias, else table name)."""
    items: list[exp.Expr] = []
    from_ = select.args.get("from_") or select.args.get("from")
    if isinstance(from_, exp.From):
        items.append(from_.this)
    items.extend(join.this for join in select.args.get("joins") or [])
    return [item.alias_or_name for item in items if item.alias_or_name]


def _ancestors(node: exp.Expr, root: exp.Expr) -> list[exp.Expr]:
    found: list[exp.Expr] = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        if parent is root:
            break
        parent = parent.parent
    return found


def check_role_filters(
    role_key: str, can_read: Mapping[TableKey, bool], filter_reads: Mapping[TableKey, frozenset[TableKey]]
) -> None:
    """Each filter's subqueries read only tables the role reads; no cycle among its filters."""
    for table, reads in sorted(filter_reads.items()):
        for read in sorted(reads):
            if not can_read.get(read, False):
                key = f"{role_key}.row_filters.{'.'.join(table)}"
                raise ConfigError(key, f"the filter reads {'.'.join(read)}, which this role may not read")
    for table in sorted(filter_reads):
        cycle = _cycle_from(table, filter_reads, ())
        if cycle:
            shown = " -> ".join(".".join(t) for t in cycle)
            raise ConfigError(f"{role_key}.row_filters.{'.'.join(table)}",
                              f"row filters refer to each other in a cycle ({shown})")


def _cycle_from(
    table: TableKey, edges: Mapping[TableKey, frozenset[TableKey]], path: tuple[TableKey, ...]
) -> tuple[TableKey, ...]:
    if table in path:
        return (*path, table)
    for nxt in sorted(edges.get(table, frozenset())):
        if nxt in edges:
            found = _cycle_from(nxt, edges, (*path, table))
            if found:
                return found
    return ()
