"""Column types from their scopes: what a column of a table, a CTE, a derived table, VALUES,
unnest() or generate_series() is, before the typer types the expressions that read it.

Scopes are typed bottom-up (sqlglot's traverse_scope), so a column of a CTE or derived table
gets the type its projection computed, and a column of a warehouse table the type from its
TableMeta. A whole-row reference (row_to_json(u)) gets the row's fields (rowrefs.py).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import rowrefs, scales
from pgbridge.sql.translate.typer import Typer


def type_query(t: Typer, ast: exp.Expr) -> None:
    """Type every node of a query (or of a DML statement's parts), inner scopes first."""
    for scope in _inner_first(traverse_scope(ast)):
        _type_columns(t, scope)
        t.visit(scope.expression)
    t.visit(ast)


def _type_columns(t: Typer, scope: Scope) -> None:
    for row in scope.expression.find_all(exp.TableColumn):
        if row.find_ancestor(exp.Select) is scope.expression and id(row) not in t.types:
            source = _find_source(scope, row.name)
            if source is not None:
                _type_row(t, row, source)
    for column in scope.columns:
        if id(column) in t.types:
            continue
        if not column.table:
            row_source = _find_source(scope, column.name)
            if row_source is not None:
                _type_row(t, column, row_source)
            continue  # an output alias (ORDER BY total) or a name the parent resolves
        source = _find_source(scope, column.table)
        t.types[id(column)] = _source_column_type(t, source, column)
        t.column_scales[id(column)] = _source_column_scale(t, source, column)
        scales.note_column(t, source, column)
        declared = _source_column_typmod(t, source, column)
        if declared is not None:
            t.column_typmods[id(column)] = declared
        if isinstance(source, Scope):
            for typed in (t.int4, t.int2):  # int4 and int2 fail on overflow: keep the width
                if _source_has_width(t, source.expression, column.name, typed):
                    typed.add(id(column))
        if (
            isinstance(source, exp.Table)
            and (source.text("db"), source.name, column.name) in t.required_fields
        ):
            t.required.add(id(column))
        if isinstance(source, exp.Table) and isinstance(source.this, exp.ExplodingGenerateSeries):
            _type_series_column(t, source.this, column)


def _type_row(t: Typer, column: exp.Expr, source: object) -> None:
    if not rowrefs.is_row_argument(column):
        raise rowrefs.refused(column.name)
    fields = rowrefs.fields_of(source, t.tables, lambda p: t.types.get(id(p)))
    rowrefs.check_fields(column.name, fields)
    column.meta[rowrefs.FIELDS_KEY] = fields
    t.types[id(column)] = T.ROW


def _type_series_column(t: Typer, series: exp.ExplodingGenerateSeries, column: exp.Column) -> None:
    # generate_series(int4, int4) yields int4, as PostgreSQL types it.
    t.visit(series)
    t.types[id(column)] = t.types.get(id(series))
    if id(series) in t.int4:
        t.int4.add(id(column))


def _source_column_type(t: Typer, source: object, column: exp.Column) -> str | None:
    if isinstance(source, exp.Table):
        columns = t.tables.get((source.text("db"), source.name), {})
        return columns.get(column.name)
    if isinstance(source, Scope):
        return _scope_output_type(t, source.expression, column.name)
    return None


def _source_column_scale(t: Typer, source: object, column: exp.Column) -> int | None:
    """A numeric column's display scale when known: declared (NUMERIC(P, S)) or computed by
    the single SELECT it comes from (scales.py)."""
    if isinstance(source, exp.Table):
        return t.declared_scales.get((source.text("db"), source.name, column.name))
    query = source.expression if isinstance(source, Scope) else None
    while isinstance(query, (exp.Subquery, exp.Lateral)):
        query = query.this
    if not isinstance(query, exp.Select):
        return None
    for projection in query.expressions:
        if projection.alias_or_name == column.name:
            return scales.scale_of(t, projection)
    return None


def _source_column_typmod(t: Typer, source: object, column: exp.Column) -> tuple[int, int] | None:
    """numeric(P, S) of a table column that declares it, or of a derived table's column that
    is such a column itself (PostgreSQL passes the typmod through)."""
    if isinstance(source, exp.Table):
        return t.declared_numeric.get((source.text("db"), source.name, column.name))
    query = source.expression if isinstance(source, Scope) else None
    if not isinstance(query, exp.Select):
        return None
    for projection in query.expressions:
        if projection.alias_or_name == column.name:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            return t.column_typmods.get(id(inner)) if isinstance(inner, exp.Column) else None
    return None


def _scope_output_type(t: Typer, query: exp.Expr, name: str) -> str | None:
    if isinstance(query, exp.Values):
        return _values_type(t, query, name)
    if isinstance(query, exp.Unnest) and query.expressions:
        return T.element_of(t.types.get(id(query.expressions[0])))
    select = query.this if isinstance(query, exp.Lateral) else query
    while isinstance(select, (exp.SetOperation, exp.Subquery)):
        select = select.this
    if not isinstance(select, exp.Select):
        return None
    for index, projection in enumerate(select.expressions):
        if projection.alias_or_name == name:
            if isinstance(query, exp.SetOperation) and id(query) in t.setop_out:
                return t.setop_out[id(query)][index]
            return t.types.get(id(projection))
    return None


def _source_has_width(t: Typer, query: exp.Expr, name: str, typed: set[int]) -> bool:
    """Is every value of the derived table's (or VALUES list's) column in `typed` (int4/int2)?"""
    if isinstance(query, exp.Values):
        return _values_have_width(t, query, name, typed)
    found = False
    for select in leaf_selects(query):
        for projection in select.expressions:
            if projection.alias_or_name == name and id(projection) in t.types:
                found = True  # (the recursive part of a WITH RECURSIVE is not typed yet)
                if id(projection) not in typed:
                    return False
    return found


def _values_have_width(t: Typer, values: exp.Values, name: str, typed: set[int]) -> bool:
    alias = values.args.get("alias")
    names = [c.name for c in alias.columns] if alias is not None else []
    if name not in names or t.types.get(id(values.expressions[0].expressions[names.index(name)])) != T.INT:
        return False
    index = names.index(name)
    return all(id(row.expressions[index]) in typed for row in values.expressions)


def _values_type(t: Typer, values: exp.Values, name: str) -> str | None:
    alias = values.args.get("alias")
    names = [c.name for c in alias.columns] if alias is not None else []
    if name not in names:
        return None
    index = names.index(name)
    return T.common_type([t.types.get(id(row.expressions[index])) for row in values.expressions])


def leaf_selects(query: exp.Expr) -> list[exp.Select]:
    """The SELECTs a query's set operations (and parentheses) combine, left to right."""
    if isinstance(query, exp.SetOperation):
        return leaf_selects(query.left) + leaf_selects(query.right)
    if isinstance(query, exp.Subquery):
        return leaf_selects(query.this)
    return [query] if isinstance(query, exp.Select) else []


def _inner_first(scopes: list[Scope]) -> list[Scope]:
    """sqlglot yields a VALUES scope before the subqueries inside its rows; typing it first would
    type those subqueries' columns before their own scopes know them. Move each VALUES scope
    after every scope nested in it."""
    ordered = [scope for scope in scopes if not isinstance(scope.expression, exp.Values)]
    for values in (scope for scope in scopes if isinstance(scope.expression, exp.Values)):
        inner = [i for i, s in enumerate(ordered) if _contains(values.expression, s.expression)]
        ordered.insert(max(inner) + 1 if inner else _first_outer(ordered, values), values)
    return ordered


def _contains(outer: exp.Expr, node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is outer:
            return True
        parent = parent.parent
    return False


def _first_outer(ordered: list[Scope], values: Scope) -> int:
    return next((i for i, s in enumerate(ordered) if _contains(s.expression, values.expression)), 0)


def _find_source(scope: Scope | None, name: str) -> object | None:
    while scope is not None:
        if name in scope.sources:
            return scope.sources[name]
        scope = scope.parent
    return None
