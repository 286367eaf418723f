"""Row filters: every read of a filtered table becomes a filtered derived table.

`shop.customers AS c` turns into `(SELECT * FROM shop.customers WHERE <predicate>) AS c`
wherever it is read — FROM, JOIN, subqueries, CTEs, set operations, EXISTS — so the rest of
the statement, written against the table, cannot reach rows outside the predicate. Claims
are bound as literals built by sqlglot (never string-formatted into SQL), so a claim value
cannot change the predicate's shape. A missing claim is an error: fail closed.

A predicate may read a related table through a subquery (filterscope.py checks it at
start-up); that read is wrapped in the principal's own filter for the related table, and a
table met again inside its own filter is refused as a cycle. The wrapper selects only the
columns the statement reads from it (by name), so typing and lineage see their source.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from pgbridge.policy.filterscope import FILTERED_ALIAS
from pgbridge.policy.inspect import check_table_name, write_role
from pgbridge.policy.settings import CLAIM_PLACEHOLDER, RowFilter
from pgbridge.wire.errors import PgError, SqlState

_INNER_ALIAS = FILTERED_ALIAS


def bind_claims(row_filter: RowFilter, claims: Mapping[str, object]) -> exp.Expr:
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


def claim_literal(row_filter: RowFilter, path: str, claims: Mapping[str, object]) -> exp.Expr:
    value: object = claims
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
    """A copy of `ast` with each read of a table in `predicates` wrapped in its filter.

    A predicate's own subqueries are wrapped too (a filter through a related table sees
    only the related rows the principal may see); a table met again inside its own filter
    is a cycle, refused rather than expanded forever.
    """
    tree = ast.copy()
    if not predicates:
        return tree
    return _wrap(tree, predicates, ())


def _wrap(
    tree: exp.Expr, predicates: Mapping[tuple[str, str], exp.Expr], inside: tuple[tuple[str, str], ...]
) -> exp.Expr:
    targets = [t for t in tree.find_all(exp.Table) if _filtered_read(t, tree, predicates)]
    used = columns_used(tree) if targets else {}
    wrapped: set[tuple[str, str]] = set()
    for table in targets:
        name = check_table_name(table)
        assert name is not None
        if name in inside:
            chain = " -> ".join(".".join(t) for t in (*inside, name))
            raise PgError(SqlState.INSUFFICIENT_PRIVILEGE,
                          f"the row filters of your roles refer to each other in a cycle ({chain})",
                          hint="ask an administrator to change the row filters of your roles")
        condition = _wrap(_qualified(predicates[name]), predicates, (*inside, name))
        table.replace(_filtered_subquery(table, condition, used.get(id(table))))
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


def _filtered_subquery(table: exp.Table, predicate: exp.Expr, columns: list[str] | None) -> exp.Subquery:
    alias = table.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(table.name, quoted=table.this.quoted))
    pivots = table.args.get("pivots")
    inner = table.copy()
    inner.set("alias", exp.TableAlias(this=exp.to_identifier(_INNER_ALIAS)))
    inner.set("pivots", None)
    projection: list[exp.Expr] = [exp.Star()]
    if columns and not alias.columns:
        projection = [exp.column(name, _INNER_ALIAS, quoted=True).as_(name, quoted=True) for name in columns]
    select = exp.Select(expressions=projection).from_(inner).where(_qualified(predicate), copy=False)
    subquery = exp.Subquery(this=select, alias=alias.copy())
    if pivots:
        subquery.set("pivots", [p.copy() for p in pivots])
    return subquery


def columns_used(tree: exp.Expr) -> dict[int, list[str] | None]:
    """For each table node (by id), the columns the statement reads from it; None for all.

    The wrapper then selects exactly those columns by name, so later stages (typing, lineage)
    see each column's source directly rather than through `*`. Any doubt means None (`*`):
    the projection decides which columns are visible, never which rows.
    """
    used: dict[int, list[str] | None] = {}
    roots = [tree] if isinstance(tree, exp.Query) else _outermost_queries(tree)
    for root in roots:
        try:
            scopes = traverse_scope(root)
        except Exception:  # a shape sqlglot's scoping does not model: select every column
            return {}
        external = [c for scope in scopes for c in scope.external_columns]
        for scope in scopes:
            for name, source in scope.selected_sources.items():
                if isinstance(source[1], exp.Table):
                    used[id(source[1])] = _names(name, [*scope.columns, *external])
    return used


def _names(alias: str, columns: list[exp.Column]) -> list[str] | None:
    names: list[str] = []
    for column in columns:
        if column.table != alias:
            continue
        if isinstance(column.this, exp.Star):
            return None
        if column.name not in names:
            names.append(column.name)
    return names or None


def _outermost_queries(condition: exp.Expr) -> list[exp.Query]:
    found = [q for q in condition.find_all(exp.Query) if not isinstance(q, exp.Subquery)]
    return [q for q in found if q.find_ancestor(exp.Select, exp.SetOperation) is None]


def _qualified(predicate: exp.Expr) -> exp.Expr:
    """Pin the predicate's own columns to the filtered table, so a missing column is an error
    instead of silently binding to a column of an enclosing query (correlation). Columns in
    its subqueries were pinned to their own tables when the filter was parsed (filterscope)."""
    condition = predicate.copy()
    for column in condition.find_all(exp.Column):
        if column.find_ancestor(exp.Select) is None:
            column.set("table", exp.to_identifier(_INNER_ALIAS))
    return condition


def _unqualify_columns(tree: exp.Expr, wrapped: set[tuple[str, str]]) -> None:
    """`shop.customers.name` must now say `customers.name`: the dataset left with the wrap."""
    for column in tree.find_all(exp.Column):
        db = column.args.get("db")
        if db is not None and (db.name, column.table) in wrapped:
            column.set("db", None)
            column.set("catalog", None)
