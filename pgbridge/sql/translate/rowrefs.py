"""Whole-row references: row_to_json(u), to_json(u), to_jsonb(u) as a query's output column.

The row becomes a BigQuery STRUCT of the source's columns, in order and by name. The gateway
prints a STRUCT column declared json the way row_to_json prints a row (compact, keys in
column order, timestamps as ISO strings in the session zone, encode/jsonfmt.py), and one
declared jsonb (to_jsonb) the same then re-rendered as jsonb. So the translation is exact
where that renderer is, which the byte-exact tests check type by type; it is allowed only
as a whole output column (inside an expression the STRUCT would meet BigQuery's own JSON
functions) and only over column types those tests cover. `SELECT u` (a record, printed
`(1,foo,...)`) and `u::text` stay refused: no BigQuery value prints as a PostgreSQL record.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from pgbridge.sql import pgtypes as T
from pgbridge.wire.errors import unsupported

ROW_FUNCTIONS = ("row_to_json", "to_json", "to_jsonb")
FIELDS_KEY = "pg_row_fields"  # column.meta: [(name, type), ...] of the row it stands for
_FIELD_TYPES = (
    T.INT,
    T.FLOAT,
    T.NUMERIC,
    T.STRING,
    T.BOOL,
    T.DATE,
    T.DATETIME,
    T.TIMESTAMP,
    T.array_of(T.INT),
    T.array_of(T.STRING),
)


def refused(name: str) -> Exception:
    return unsupported(
        f'whole-row reference "{name}" here',
        hint="row_to_json(u), to_json(u) and to_jsonb(u) as an output column are supported; "
        "otherwise name the columns you need",
    )


def is_row_argument(column: exp.Expr) -> bool:
    call = column.parent
    return (
        isinstance(call, exp.Anonymous)
        and str(call.this).lower() in ROW_FUNCTIONS
        and len(call.expressions) == 1
        and _is_output(call)
    )


def _is_output(node: exp.Expr) -> bool:
    parent = node.parent
    if isinstance(parent, exp.Alias):
        node, parent = parent, parent.parent
    return isinstance(parent, exp.Select) and node.arg_key == "expressions" and parent.parent is None


def fields_of(
    source: object, tables: dict[tuple[str, str], dict[str, str]], scope_types: object
) -> list[tuple[str, str | None]]:
    """(column name, type) of a FROM source, in order."""
    if isinstance(source, exp.Table):
        columns = tables.get((source.text("db"), source.name))
        if columns is None:
            raise unsupported(f'whole-row reference to "{source.alias_or_name}"')
        return list(columns.items())
    if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
        assert callable(scope_types)
        fields = [(p.alias_or_name, scope_types(p)) for p in source.expression.expressions]
        for projection, (name, type_) in zip(source.expression.expressions, fields, strict=True):
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if type_ == T.NUMERIC and not isinstance(inner, exp.Column):
                # PostgreSQL prints a computed numeric with its own display scale (1.5 * 2 = 3.0)
                raise unsupported(f'whole-row reference with computed numeric column "{name}"')
        return fields
    raise unsupported("whole-row reference to this kind of source")


def check_fields(name: str, fields: list[tuple[str, str | None]]) -> None:
    names = [n for n, _ in fields]
    if len(set(names)) != len(names) or not all(names):
        raise unsupported(f'whole-row reference "{name}" with unnamed or repeated columns')
    for column, type_ in fields:
        if type_ not in _FIELD_TYPES:
            raise unsupported(
                f'whole-row reference "{name}" with column "{column}" of type {(type_ or "unknown").lower()}',
                hint="name the columns you need instead",
            )


def as_struct(column: exp.Expr) -> exp.Expr:
    fields = column.meta[FIELDS_KEY]
    table = column.name
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(
                this=exp.to_identifier(n, quoted=True), expression=exp.column(n, table, quoted=True)
            )
            for n, _ in fields
        ]
    )
