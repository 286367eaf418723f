"""The PostgreSQL type and name of each result column, as a real server would report them.

DuckDB cannot tell oid from int4, name from text or regclass from oid, yet drivers decode by
type, so types are inferred over the rewritten sqlglot tree: a column has the type its
catalog relation gives it in PostgreSQL 15 (facts.relations), a cast its target, a function
its declared result, a subquery its first column. Where nothing is known, the caller falls
back to the type DuckDB computed. Column names follow PostgreSQL's FigureColname: the
alias, else the column, function or type name, else "?column?".
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

from pgbridge.catalog.facts import load_facts
from pgbridge.catalog.functions import FUNCTION_TYPES
from pgbridge.catalog.rewrite import function_name, type_name_of

_SCHEMA_BACK = {"pgc": "pg_catalog", "pgi": "information_schema"}
_BOOL = (exp.Predicate, exp.And, exp.Or, exp.Not, exp.Exists, exp.RegexpLike)
_FIRST_ARG = (exp.Coalesce, exp.Min, exp.Max, exp.Greatest, exp.Least, exp.Nullif, exp.First, exp.AnyValue)


class Inferrer:
    def __init__(self, tree: exp.Expr) -> None:
        self.root = build_scope(tree)
        self.scopes: dict[int, Scope] = {}
        self._active: set[int] = set()  # scopes being typed: a recursive CTE must not loop
        if self.root is not None:
            for scope in self.root.traverse():
                self.scopes[id(scope.expression)] = scope

    def output(self) -> list[tuple[str, str | None, exp.Expr]]:
        """(name, pg type name or None, projection) for each result column."""
        if self.root is None:
            return []
        return self._projections(self.root)

    def scope_of(self, node: exp.Expr) -> Scope | None:
        """The scope of the SELECT that holds node (for typing columns next to it)."""
        current: exp.Expr | None = node
        while current is not None:
            scope = self.scopes.get(id(current))
            if scope is not None:
                return scope
            current = current.parent
        return self.root

    def _projections(self, scope: Scope) -> list[tuple[str, str | None, exp.Expr]]:
        if id(scope) in self._active:
            return []
        self._active.add(id(scope))
        try:
            return self._typed_projections(scope)
        finally:
            self._active.discard(id(scope))

    def _typed_projections(self, scope: Scope) -> list[tuple[str, str | None, exp.Expr]]:
        select = _leftmost(scope.expression)
        inner = self.scopes.get(id(select), scope)
        out: list[tuple[str, str | None, exp.Expr]] = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                out.extend(self._star(inner, projection))
            else:
                out.append((column_name(projection), self.type_of(projection, inner), projection))
        return out

    def _star(self, scope: Scope, star: exp.Expr) -> list[tuple[str, str | None, exp.Expr]]:
        wanted = star.table if isinstance(star, exp.Column) else ""
        out: list[tuple[str, str | None, exp.Expr]] = []
        for name in scope.selected_sources or scope.sources:
            if wanted and name != wanted:
                continue
            for column, pgtype in self._source_columns(scope.sources[name]):
                out.append((column, pgtype, exp.column(column, table=name)))
        return out

    def _source_columns(self, source: object) -> list[tuple[str, str | None]]:
        if isinstance(source, tuple):
            source = source[1]
        if isinstance(source, exp.Table):
            relation = f"{_SCHEMA_BACK.get(source.db, source.db)}.{source.name}"
            return [(n, t.name) for n, t in load_facts().relations.get(relation, ())]
        if isinstance(source, Scope) and isinstance(source.expression, exp.Unnest):
            return self._unnest_columns(source)
        if isinstance(source, Scope):
            columns = [(n, t) for n, t, _ in self._projections(source)]
            alias_columns = _cte_columns(source)
            if alias_columns:
                columns = [(a, t) for a, (_, t) in zip(alias_columns, columns, strict=False)]
            return columns
        return []

    def _unnest_columns(self, scope: Scope) -> list[tuple[str, str | None]]:
        """`FROM unnest(a, ...) [AS t[(c, ...)]]`: a column per array, of its element type, named
        as PostgreSQL names them (the alias's columns, else the alias for one array, else unnest)."""
        unnest = scope.expression
        types = [_element_of(self.type_of(arg, scope.parent)) for arg in unnest.expressions]
        alias = unnest.args.get("alias")
        named = [c.name for c in alias.columns] if alias is not None else []
        default = alias.name if alias is not None and alias.name and len(types) == 1 else "unnest"
        return [(named[i] if i < len(named) else default, t) for i, t in enumerate(types)]

    def _column_type(self, column: exp.Column, scope: Scope | None) -> str | None:
        while scope is not None:
            sources = scope.sources
            names = [column.table] if column.table else list(sources)
            for name in names:
                if name in sources:
                    for col, pgtype in self._source_columns(sources[name]):
                        if col == column.name:
                            return pgtype
            if column.table and column.table in sources:
                return None
            scope = scope.parent
        return None

    def type_of(self, node: exp.Expr, scope: Scope | None) -> str | None:  # noqa: C901
        if node.meta.get("pgtype"):
            return str(node.meta["pgtype"])
        if isinstance(node, (exp.Alias, exp.Paren)):
            return self.type_of(node.this, scope)
        if isinstance(node, exp.Column):
            return self._column_type(node, scope)
        if isinstance(node, exp.Cast):
            return type_name_of(node.to)
        if isinstance(node, exp.Literal):
            return "text" if node.is_string else _number_type(node.this)
        if isinstance(node, (exp.Boolean, _BOOL)):
            return "bool"
        if isinstance(node, exp.Null):
            return "text"
        if isinstance(node, exp.Case):
            for branch in [*(i.args["true"] for i in node.args.get("ifs", [])), node.args.get("default")]:
                if branch is not None and not isinstance(branch, exp.Null):
                    return self.type_of(branch, scope)
            return "text"
        if isinstance(node, (exp.Subquery, exp.Select)):
            inner = node.this if isinstance(node, exp.Subquery) else node
            sub = self.scopes.get(id(_leftmost(inner)))
            cols = self._projections(sub) if sub else []
            return cols[0][1] if cols else None
        if isinstance(node, exp.Array):
            first = node.expressions[0] if node.expressions else None
            return array_of(self.type_of(first, scope) if first is not None else "text")
        if isinstance(node, exp.ArrayAgg):
            arg = node.this.this if isinstance(node.this, exp.Order) else node.this
            return array_of(self.type_of(arg, scope))
        if isinstance(node, (exp.Unnest, exp.Explode)):
            arg = node.expressions[0] if isinstance(node, exp.Unnest) else node.this
            return _element_of(self.type_of(arg, scope))
        if isinstance(node, exp.DPipe):
            left = self.type_of(node.this, scope)
            return left if left and left.startswith("_") else "text"
        if isinstance(node, exp.Sub) and _is_point_in_time(self.type_of(node.expression, scope)):
            # timestamp - timestamp (now() - pg_postmaster_start_time()) is an interval
            return "interval" if _is_point_in_time(self.type_of(node.this, scope)) else None
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod)):
            return self.type_of(node.this, scope)
        if isinstance(node, _FIRST_ARG):
            return self.type_of(node.this, scope)
        if isinstance(node, exp.Func):
            return FUNCTION_TYPES.get(function_name(node))
        return None


def _is_point_in_time(pgtype: str | None) -> bool:
    return pgtype in ("timestamptz", "timestamp")


def _leftmost(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.SetOperation):
        node = node.this
    if isinstance(node, exp.Subquery):
        return _leftmost(node.this)
    return node


def _cte_columns(scope: Scope) -> list[str]:
    parent = scope.expression.parent
    if isinstance(parent, exp.CTE):
        alias = parent.args.get("alias")
        if alias is not None:
            return [c.name for c in alias.columns]
    if isinstance(parent, exp.Subquery) and parent.args.get("alias") is not None:
        return [c.name for c in parent.args["alias"].columns]
    return []


def _number_type(text: str) -> str:
    if any(c in text for c in ".eE"):
        return "numeric"
    return "int4" if -(2**31) <= int(text) < 2**31 else "int8"


def array_of(element: str | None) -> str | None:
    if element is None:
        return None
    pg = load_facts().types_by_name.get(element)
    if pg is None or not pg.array_oid:
        return None
    return load_facts().types_by_oid[pg.array_oid].name


def _element_of(array: str | None) -> str | None:
    pg = load_facts().types_by_name.get(array or "")
    if pg is None:
        return None
    if pg.name in ("int2vector", "oidvector"):
        return "int2" if pg.name == "int2vector" else "oid"
    return load_facts().types_by_oid[pg.element_oid].name if pg.element_oid else None


def column_name(node: exp.Expr) -> str:
    """PostgreSQL's FigureColname for a select-list expression."""
    if isinstance(node, exp.Alias):
        return node.alias
    if isinstance(node, exp.Column):
        return node.name
    if node.meta.get("pgname"):
        return str(node.meta["pgname"])
    if isinstance(node, exp.Dot):
        return column_name(node.expression)
    if isinstance(node, exp.Cast):
        inner = column_name(node.this)
        return inner if inner != "?column?" else type_name_of(node.to).split("[")[0].split("(")[0]
    if isinstance(node, exp.Case):
        default = node.args.get("default")
        name = column_name(default) if default is not None else "?column?"
        return name if name != "?column?" else "case"
    if isinstance(node, exp.Array):
        return "array"
    if isinstance(node, exp.Exists):
        return "exists"
    if isinstance(node, exp.Subquery):
        select = _leftmost(node.this)
        return column_name(select.expressions[0]) if isinstance(select, exp.Select) else "?column?"
    if isinstance(node, exp.Paren):
        return column_name(node.this)
    if isinstance(node, exp.Func) and not isinstance(node, (exp.Predicate, exp.Binary)):
        return function_name(node)
    return "?column?"


def name_projections(tree: exp.Expr) -> None:
    """Record each result column's PostgreSQL name before rewriting replaces its expression."""
    select = _leftmost(tree)
    if isinstance(select, exp.Select):
        for projection in select.expressions:
            if not isinstance(projection, exp.Alias):
                projection.meta["pgname"] = column_name(projection)
