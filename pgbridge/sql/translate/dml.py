"""INSERT / UPDATE / DELETE on one warehouse table, translated to BigQuery DML.

Each statement's expressions are typed and rewritten by the same typer and fix-ups as a
query: the parts are assembled into a SELECT (UPDATE t SET c = e WHERE w becomes
SELECT e FROM t WHERE w; DELETE is SELECT 1 FROM t WHERE w; each VALUES row a SELECT),
translated, and put back. A value must have its column's type (an untyped 'literal' or $n
takes it, integers widen to numeric and float8 as PostgreSQL's assignment casts would);
anything else is refused, since PostgreSQL's assignment casts round and truncate where
BigQuery refuses or does not.

BigQuery requires a WHERE on UPDATE and DELETE: WHERE TRUE when there is none. Refused:
RETURNING, ON CONFLICT, UPDATE ... FROM, DELETE ... USING, WITH, subqueries in UPDATE and
DELETE, and DEFAULT values (BigQuery columns have no PostgreSQL defaults).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from pgbridge.backends.base import TableMeta
from pgbridge.sql import pgtypes as T
from pgbridge.sql.names.resolve import Resolved, TableRef, fold, qualify_columns
from pgbridge.sql.translate.catalogue import REGISTRY
from pgbridge.sql.translate.rewrite import apply_fixups
from pgbridge.sql.translate.scopes import leaf_selects, type_query
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import PgError, SqlState, unsupported

_WIDENS = {(T.INT, T.NUMERIC), (T.INT, T.FLOAT)}


def target_of(ast: exp.Expr, resolved: Resolved) -> TableMeta:
    table = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    if not isinstance(table, exp.Table):
        raise unsupported(f"{ast.key.upper()} into this target")
    for meta in resolved.metas:
        if (meta.dataset, meta.name) == (table.text("db"), table.name):
            return meta
    raise PgError(SqlState.UNDEFINED_TABLE, f'relation "{table.name}" does not exist')


def refuse_extras(ast: exp.Expr) -> None:
    for arg, what in (
        ("returning", "RETURNING"),
        ("conflict", "ON CONFLICT"),
        ("from_", "UPDATE ... FROM"),
        ("using", "DELETE ... USING"),
        ("with_", "WITH"),
        ("with", "WITH"),
    ):
        if ast.args.get(arg):
            raise unsupported(f"{what} in {ast.key.upper()}")
    if not isinstance(ast, exp.Insert) and ast.find(exp.Subquery, exp.Exists) is not None:
        raise unsupported(f"subqueries in {ast.key.upper()}")
    if ast.find(exp.Var) is not None and any(v.name.upper() == "DEFAULT" for v in ast.find_all(exp.Var)):
        raise unsupported(
            "DEFAULT values", hint="BigQuery columns have no PostgreSQL defaults; name the value"
        )


def column_types(meta: TableMeta) -> dict[str, str]:
    return {f.name: T.field_type(f.type, f.mode) for f in meta.fields}


def assign(t: Typer, value: exp.Expr, column: str, types: dict[str, str]) -> None:
    """A value stored into a column: PostgreSQL's assignment, where BigQuery's agrees."""
    if column not in types:
        raise PgError(SqlState.UNDEFINED_COLUMN, f'column "{column}" of relation does not exist')
    target = types[column]
    inner = value.this if isinstance(value, exp.Alias) else value
    if isinstance(inner, exp.Null):
        return
    t.settle(inner, target)
    got = t.types.get(id(inner))
    if got != target and (got, target) not in _WIDENS:
        raise unsupported(
            f'storing {(got or "unknown").lower()} into {target.lower()} column "{column}"',
            hint="cast the value to the column's type",
        )


def table_select(
    meta: TableMeta, alias: str, projections: Sequence[exp.Expr], where: exp.Expr | None
) -> exp.Select:
    table = exp.Table(
        this=exp.to_identifier(meta.name, quoted=True),
        db=exp.to_identifier(meta.dataset, quoted=True),
        alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
    )
    select = exp.Select(expressions=list(projections) or [exp.Literal.number(1)]).from_(table)
    if where is not None:
        select.set("where", where)
    return select


def typed(t: Typer, select: exp.Select, metas: Sequence[TableMeta]) -> exp.Expr:
    qualified = qualify_columns(select, list(metas))
    type_query(t, qualified)
    return qualified


def finish(t: Typer, select: exp.Expr) -> exp.Expr:
    return apply_fixups(t, select, REGISTRY.fixups)


def alias_of(table: exp.Table) -> str:
    return table.alias or fold(table.this)


def ref_of(meta: TableMeta) -> TableRef:
    return TableRef(meta.dataset, meta.name)


# -- the three statements -----------------------------------------------------------------------


def _target_table(meta: TableMeta, alias: str | None) -> exp.Table:
    table = exp.Table(
        this=exp.to_identifier(meta.name, quoted=True), db=exp.to_identifier(meta.dataset, quoted=True)
    )
    if alias is not None:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    return table


def _inner(projection: exp.Expr) -> exp.Expr:
    return projection.this if isinstance(projection, exp.Alias) else projection


def _where(select: exp.Expr) -> exp.Where:
    where = select.args.get("where")
    return where if isinstance(where, exp.Where) else exp.Where(this=exp.true())


def update_sql(t: Typer, ast: exp.Update, meta: TableMeta) -> exp.Expr:
    alias = alias_of(ast.this)
    types = column_types(meta)
    items = list(ast.expressions)
    columns = [fold(item.this.this) if isinstance(item.this, exp.Column) else "" for item in items]
    where = ast.args.get("where")
    select = table_select(meta, alias, [i.expression.copy() for i in items], where.copy() if where else None)
    typed_select = typed(t, select, [meta])
    for column, projection in zip(columns, typed_select.expressions, strict=True):
        assign(t, projection, column, types)
    fixed = finish(t, typed_select)
    sets = [
        exp.EQ(this=exp.column(exp.to_identifier(column, quoted=True)), expression=_inner(projection))
        for column, projection in zip(columns, fixed.expressions, strict=True)
    ]
    return exp.Update(this=_target_table(meta, alias), expressions=sets, where=_where(fixed))


def delete_sql(t: Typer, ast: exp.Delete, meta: TableMeta) -> exp.Expr:
    alias = alias_of(ast.this)
    where = ast.args.get("where")
    select = finish(t, typed(t, table_select(meta, alias, [], where.copy() if where else None), [meta]))
    return exp.Delete(this=_target_table(meta, alias), where=_where(select))


def insert_sql(t: Typer, ast: exp.Insert, meta: TableMeta, metas: Sequence[TableMeta]) -> exp.Expr:
    types = column_types(meta)
    schema = ast.this
    named = schema.expressions if isinstance(schema, exp.Schema) else []
    columns = [fold(c) for c in named] if named else [f.name for f in meta.fields]
    source = ast.expression
    if not named:  # INSERT INTO t VALUES (...): the leading columns; the rest get NULL
        columns = columns[: max(_width(source), 0)] if _width(source) <= len(columns) else columns
    if isinstance(source, exp.Values):
        body: exp.Expr = _insert_values(t, source, columns, types)
    elif isinstance(source, exp.Query):
        body = _insert_query(t, source, columns, types)
    else:
        raise unsupported("INSERT without VALUES or a query")
    target = exp.Schema(
        this=_target_table(meta, None), expressions=[exp.to_identifier(c, quoted=True) for c in columns]
    )
    return exp.Insert(this=target, expression=body)


def _width(source: exp.Expr) -> int:
    if isinstance(source, exp.Values) and source.expressions:
        return len(source.expressions[0].expressions)
    leaves = leaf_selects(source)
    return len(leaves[0].expressions) if leaves else 0


def _check_width(values: int, columns: int) -> None:
    if values > columns:
        raise PgError(SqlState.SYNTAX_ERROR, "INSERT has more expressions than target columns")
    if values < columns:
        raise PgError(SqlState.SYNTAX_ERROR, "INSERT has more target columns than expressions")


def _insert_values(t: Typer, source: exp.Values, columns: list[str], types: dict[str, str]) -> exp.Values:
    # Every row is typed before any is rewritten: the typer keys its notes by id(), and a
    # rewritten row's discarded nodes must stay alive until all rows are typed.
    selects = []
    for row in source.expressions:
        _check_width(len(row.expressions), len(columns))
        if any(v.find(exp.Column) is not None for v in row.expressions):
            raise unsupported("column references in INSERT ... VALUES")
        select = exp.Select(expressions=[v.copy() for v in row.expressions])
        type_query(t, select)
        for column, value in zip(columns, select.expressions, strict=True):
            assign(t, value, column, types)
        selects.append(select)
    fixed = [finish(t, select) for select in selects]
    return exp.Values(expressions=[exp.Tuple(expressions=[_inner(p) for p in f.expressions]) for f in fixed])


def _insert_query(t: Typer, query: exp.Query, columns: list[str], types: dict[str, str]) -> exp.Expr:
    type_query(t, query)
    for select in leaf_selects(query):
        _check_width(len(select.expressions), len(columns))
        for column, projection in zip(columns, select.expressions, strict=True):
            assign(t, projection, column, types)
    return finish(t, query)
