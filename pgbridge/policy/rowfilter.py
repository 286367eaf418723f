"""Row filters: every read of a filtered table becomes a filtered derived table.

`shop.customers AS c` turns into `(SELECT * FROM shop.customers WHERE <predicate>) AS c`
wherever it is read — FROM, JOIN, subqueries, CTEs, set operations, EXISTS — so the rest of
the statement, written against the table, cannot reach rows outside the predicate. Claims
are bound as literals built by sqlglot (never string-formatted into SQL), so a claim value
cannot change the predicate's shape. A missing claim is an error: fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from pgbridge.policy.inspect import check_table_name, write_role
from pgbridge.policy.settings import CLAIM_PLACEHOLDER, RowFilter
from pgbridge.wire.errors import PgError, SqlState

_INNER_ALIAS = "__pgbridge_filtered"


def bind_claims(row_filter: RowFilter, claims: Mapping[str, Any]) -> exp.Expr:
    """The filter's condition with each `{claims.x}` replaced by the claim's value."""
    values = {
        CLAIM_PLACEHOLDER.format(i): claim_literal(row_filter, path, claims)
        for i, path in enumerate(row_filter.claim_paths)
    }

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return values[node.name].copy()
        return node

    return row_filter.condition.copy().transform(substitute)


def claim_literal(row_filter: RowFilter, path: str, claims: Mapping[str, Any]) -> exp.Expr:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    table = ".".join(row_filter.table)
    if value is None:
        raise PgError(
            SqlState.INSUFFICIENT_PRIVILEGE,
            f"row filter on {table} needs claim {path!r}, which your token does not carry",
            hint="ask for a token that carries this claim",
        )
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise PgError(
        SqlState.INSUFFICIENT_PRIVILEGE,
        f"row filter on {table} needs claim {path!r} to be a string, number or boolean",
    )


def wrap_filtered_tables(
    ast: exp.Expr, predicates: Mapping[tuple[str, str], exp.Expr]
) -> exp.Expr:
    """A copy of `ast` with each read of a table in `predicates` wrapped in its filter."""
    tree = ast.copy()
    if not predicates:
        return tree
    targets = [t for t in tree.find_all(exp.Table) if _filtered_read(t, tree, predicates)]
    wrapped: set[tuple[str, str]] = set()
    for table in targets:
        name = check_table_name(table)
        assert name is not None
        table.replace(_filtered_subquery(table, predicates[name]))
        wrapped.add(name)
    _unqualify_columns(tree, wrapped)
    return tree


def _filtered_read(
    table: exp.Table, root: exp.Expr, predicates: Mapping[tuple[str, str], exp.Expr]
) -> bool:
    if not isinstance(table.this, exp.Identifier):
        return False
    name = check_table_name(table)
    if name is None or name not in predicates:
        return False
    if write_role(table, root) != "read":
        # The engine refuses writes to filtered tables; reaching here means a caller skipped it.
        message = f"writing to row-filtered table {'.'.join(name)} is refused"
        raise PgError(SqlState.INSUFFICIENT_PRIVILEGE, message)
    return True


def _filtered_subquery(table: exp.Table, predicate: exp.Expr) -> exp.Subquery:
    alias = table.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(table.name, quoted=table.this.quoted))
    pivots = table.args.get("pivots")
    inner = table.copy()
    inner.set("alias", exp.TableAlias(this=exp.to_identifier(_INNER_ALIAS)))
    inner.set("pivots", None)
    select = exp.Select(expressions=[exp.Star()]).from_(inner).where(_qualified(predicate), copy=False)
    subquery = exp.Subquery(this=select, alias=alias.copy())
    if pivots:
        subquery.set("pivots", [p.copy() for p in pivots])
    return subquery


def _qualified(predicate: exp.Expr) -> exp.Expr:
    """Pin the predicate's columns to the filtered table, so a missing column is an error
    instead of silently binding to a column of an enclosing query (correlation)."""
    condition = predicate.copy()
    for column in condition.find_all(exp.Column):
        column.set("table", exp.to_identifier(_INNER_ALIAS))
    return condition


def _unqualify_columns(tree: exp.Expr, wrapped: set[tuple[str, str]]) -> None:
    """`shop.customers.name` must now say `customers.name`: the dataset left with the wrap."""
    for column in tree.find_all(exp.Column):
        db = column.args.get("db")
        if db is not None and (db.name, column.table) in wrapped:
            column.set("db", None)
            column.set("catalog", None)
