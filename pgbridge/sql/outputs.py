"""The column names PostgreSQL gives a query's outputs (its FigureColname rules).

A column reference is named after the column, a function call after the function as
written (`char_length`, not sqlglot's canonical LENGTH), a cast after its inner name or else
the type (`int4`), CASE "case", ARRAY[...] "array", EXISTS "exists", anything else
"?column?". Names are computed on the parsed statement before resolution rewrites it and
kept in each top-level projection's meta, so `*` expansion and aliases added later do not
disturb them.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql.pgtypes import cast_target

META_KEY = "pg_name"

# sqlglot classes whose PostgreSQL spelling has no position in the text (no meta), by class.
_CLASS_NAMES: dict[type[exp.Expression], str] = {
    exp.Case: "case", exp.Array: "array", exp.Exists: "exists", exp.Coalesce: "coalesce",
    exp.Greatest: "greatest", exp.Least: "least", exp.Nullif: "nullif",
    exp.CurrentTimestamp: "current_timestamp", exp.CurrentDate: "current_date",
    exp.Trim: "btrim", exp.Extract: "extract", exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg",
    exp.Min: "min", exp.Max: "max", exp.Substring: "substring", exp.StrPosition: "position",
}


def tag_output_names(ast: exp.Expression, text: str) -> None:
    """Record PostgreSQL's output column name on each top-level projection."""
    select = _leftmost_select(ast)
    if select is None:
        return
    for projection in select.expressions:
        if not isinstance(projection, exp.Star) and not _is_table_star(projection):
            projection.meta[META_KEY] = figure_name(projection, text)


def _leftmost_select(ast: exp.Expression) -> exp.Select | None:
    node: exp.Expression | None = ast
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _is_table_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and isinstance(node.this, exp.Star)


def figure_name(node: exp.Expression, text: str) -> str:
    name = _figure(node, text)
    return name if name is not None else "?column?"


def _figure(node: exp.Expression, text: str) -> str | None:
    if isinstance(node, exp.Alias):
        return node.alias
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Paren):
        return _figure(node.this, text)
    if isinstance(node, exp.Cast):
        inner = _figure(node.this, text) if not isinstance(node.this, exp.Literal) else None
        target = cast_target(node.to)
        return inner or (target[1] if target else node.to.sql("postgres").lower())
    if isinstance(node, exp.Bracket):
        return _figure(node.this, text)
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select) and _array_sublink(node):
        return "array"
    if isinstance(node, exp.Func):
        return _function_name(node, text)
    return None


def _array_sublink(node: exp.Subquery) -> bool:
    return isinstance(node.parent, exp.Array)


def _function_name(node: exp.Func, text: str) -> str:
    meta = node.meta
    start, end = meta.get("start"), meta.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(text):
        spelled = text[start : end + 1]
        if spelled.replace("_", "").isalnum():
            return spelled.lower()
    for cls, name in _CLASS_NAMES.items():
        if isinstance(node, cls):
            return name
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()
