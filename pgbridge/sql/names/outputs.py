"""The column names PostgreSQL gives a query's outputs (its FigureColname rules).

A column reference is named after the column, a function call after the function as
written (`char_length`, not sqlglot's canonical LENGTH), a cast after its inner name or else
the type (`int4`), CASE "case", ARRAY[...] "array", EXISTS "exists", anything else
"?column?". Names are computed on the parsed statement before resolution rewrites it and
kept in each top-level projection's meta, so `*` expansion and aliases added later do not
disturb them.
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql.pgtypes import cast_target

META_KEY = "pg_name"

# sqlglot classes whose PostgreSQL spelling has no position in the text (no meta), by class.
_CLASS_NAMES: dict[type[exp.Expr], str] = {
    exp.Case: "case",
    exp.Array: "array",
    exp.Exists: "exists",
    exp.Coalesce: "coalesce",
    exp.Greatest: "greatest",
    exp.Least: "least",
    exp.Nullif: "nullif",
    exp.CurrentTimestamp: "current_timestamp",
    exp.CurrentDate: "current_date",
    exp.Trim: "btrim",
    exp.Extract: "extract",
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
    exp.Substring: "substring",
    exp.StrPosition: "position",
    exp.GroupConcat: "string_agg",
}


def tag_output_names(ast: exp.Expr, text: str) -> None:
    """Record PostgreSQL's output column name on each top-level projection."""
    select = _leftmost_select(ast)
    if select is None:
        return
    for projection in select.expressions:
        if not isinstance(projection, exp.Star) and not _is_table_star(projection):
            projection.meta[META_KEY] = figure_name(projection, text)


def _leftmost_select(ast: exp.Expr) -> exp.Select | None:
    node: exp.Expr | None = ast
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _is_table_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and isinstance(node.this, exp.Star)


def figure_name(node: exp.Expr, text: str) -> str:
    name, _strength = _figure(node, text)
    return name if name is not None else "?column?"


def _figure(node: exp.Expr, text: str) -> tuple[str | None, int]:
    """PostgreSQL's FigureColnameInternal: (name, strength); 2 beats the 1 of a type name."""
    if isinstance(node, exp.Alias):
        return node.alias, 2
    if isinstance(node, exp.Column):
        return node.name, 2
    if isinstance(node, (exp.Paren, exp.Bracket, exp.Filter, exp.WithinGroup)):
        return _figure(node.this, text)
    if isinstance(node, exp.Window):
        return _figure(node.this, text)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.IntDiv):
        return "div", 2  # sqlglot reads div(a, b) as CAST(a DIV b AS numeric)
    if isinstance(node, exp.Cast):
        inner = _figure(node.this, text)
        if inner[1] > 1:
            return inner
        target = cast_target(node.to)
        return (target[1].removesuffix("[]") if target else node.to.sql("postgres").lower()), 1
    if isinstance(node, exp.Subquery):
        return _sublink_name(node, text)
    if isinstance(node, exp.Interval):
        return "interval", 1  # interval '1 day' is a cast of a literal
    if isinstance(node, exp.AtTimeZone):
        return "timezone", 2  # PostgreSQL calls the function timezone(zone, value)
    if isinstance(node, exp.Case):
        default = node.args.get("default")
        inner = _figure(default, text) if default is not None else (None, 0)
        return inner if inner[1] > 1 else ("case", 1)
    if isinstance(node, (exp.RegexpLike, exp.RegexpILike)) and "start" in node.meta:
        return _function_name(node, text), 2  # regexp_like(s, re) rather than the operator s ~ re
    if isinstance(node, (exp.Binary, exp.Unary, exp.Connector, exp.Not, exp.Is, exp.In, exp.Between)):
        return _operator_name(node, text)
    if isinstance(node, (exp.Sqrt, exp.Cbrt)) and "start" not in node.meta:
        return None, 0  # the prefix operators |/ and ||/, not a call
    if isinstance(node, exp.Func):
        return _function_name(node, text), 2
    return None, 0


def _sublink_name(node: exp.Subquery, text: str) -> tuple[str | None, int]:
    if _array_sublink(node):
        return "array", 2
    query = node.this
    if isinstance(query, exp.Select) and query.expressions:
        return _figure(query.expressions[0], text)
    return None, 0


def _operator_name(node: exp.Expr, text: str) -> tuple[str | None, int]:
    # mod(a, b) parses like a % b; PostgreSQL names only the function call.
    if isinstance(node, exp.Mod) and re.search(r"\bmod\s*\(", text, re.IGNORECASE):
        return "mod", 2
    if isinstance(node, exp.Pow):
        spelled = re.search(r"\b(power|pow)\s*\(", text, re.IGNORECASE)
        return (spelled.group(1).lower(), 2) if spelled else (None, 0)
    return None, 0


def _array_sublink(node: exp.Subquery) -> bool:
    return isinstance(node.parent, exp.Array)


def _function_name(node: exp.Func, text: str) -> str:
    meta = node.meta
    start, end = meta.get("start"), meta.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(text):
        spelled = text[start : end + 1]
        if spelled.replace("_", "").isalnum():
            return spelled.lower()
    if isinstance(node, exp.Trim):
        position = str(node.args.get("position") or "").upper()
        return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "btrim")
    if isinstance(node, exp.Extract):
        return "date_part" if re.search(r"\bdate_part\s*\(", text, re.IGNORECASE) else "extract"
    for cls, name in _CLASS_NAMES.items():
        if isinstance(node, cls):
            return name
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()
