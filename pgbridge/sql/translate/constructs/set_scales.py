"""Numeric outputs of UNION / INTERSECT / EXCEPT, printed with PostgreSQL's digits.

PostgreSQL does not bring a set operation's numeric values to one scale: each row keeps the
display scale its branch gave it (`SELECT price ... UNION ALL SELECT rate ...` prints 19.99
and 0.0500; the column's typmod is dropped when the branches' differ, and a value's scale is
its own either way). So each branch's value is written as the `d:<value>:<scale>` marker the
encoder finishes (numeric_digits.py), with the scale its branch knows (scales.py):

- UNION ALL only: any scale, known when translating, per group (sum(n)) or a column's digits;
- a set operation that compares rows (UNION, INTERSECT, EXCEPT, with or without ALL): the
  markers are compared as text there, so every branch must have the same scale s (known when
  translating, at most 9) and writes the value canonically at it (CAST AS NUMERIC(29 + s, s)
  first: equal values, equal text, in either engine). With different scales PostgreSQL keeps
  one of two equal values (1.5 or 1.50) as it happens: refused.

A column whose every branch prints its value's own digits (integers, columns without declared
scale, min/max of them) needs no marker. ORDER BY a marked column would sort text: refused.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales
from pgbridge.sql.translate.build import bq_type, cast
from pgbridge.sql.translate.scopes import leaf_selects
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

SET_KEY = "pg_set_scale"  # a branch's output node.meta: ("canon", s) | ("dynamic", Dynamic) | ("own",)


def mark(t: Typer, ast: exp.Expr) -> None:
    """Decide, per numeric output column, how each branch prints its values (or refuse)."""
    branches = leaf_selects(ast)
    if not branches:
        return
    comparing = _compares_rows(ast)
    for index in range(len(branches[0].expressions)):
        values = [b.expressions[index] for b in branches if index < len(b.expressions)]
        if not any(t.types.get(id(v)) == T.NUMERIC for v in values):
            continue
        if all(_own_digits(t, v) for v in values):
            continue
        _check_order(ast, branches[0].expressions[index], index)
        if comparing:
            scale = _mark_canonical(t, values)
            _note_numbered(ast, index, scale)
        else:
            for branch, value in zip(branches, values, strict=True):
                _mark_branch(t, branch, value)


def _compares_rows(node: exp.Expr) -> bool:
    while isinstance(node, exp.Subquery):
        node = node.this
    if not isinstance(node, exp.SetOperation):
        return False
    if not isinstance(node, exp.Union) or node.args.get("distinct"):
        return True
    return _compares_rows(node.left) or _compares_rows(node.right)


def _own_digits(t: Typer, value: exp.Expr) -> bool:
    """Does this value print as its own digits (scale 0, or a column's value as it is)?"""
    known = scales.scale_of(t, value)
    literal = value.this if isinstance(value, exp.Alias) else value
    if isinstance(literal, exp.Literal) and not literal.is_string and known is not None:
        return not str(literal.this).partition(".")[2].endswith("0")  # 1.5, not 1.50
    if known is not None:
        return known == 0
    return not scales.depends_on_rows(t, value)


def _mark_canonical(t: Typer, values: list[exp.Expr]) -> int:
    found = {scales.scale_of(t, v) for v in values}
    if len(found) != 1 or None in found or (found and max(s or 0 for s in found) > scales.NUMERIC_SCALE):
        raise unsupported(
            "UNION, INTERSECT or EXCEPT comparing numeric values of different scales",
            hint="PostgreSQL keeps either of two equal values (1.5 or 1.50); use UNION ALL, or round() "
            "every branch to one scale",
        )
    scale = found.pop()
    assert scale is not None
    for value in values:
        value.meta[SET_KEY] = ("canon", scale)
    return scale


NUMBERED_KEY = "pg_set_numbered"  # top INTERSECT / EXCEPT ALL's meta: {output index: scale}


def _note_numbered(ast: exp.Expr, index: int, scale: int) -> None:
    """INTERSECT ALL and EXCEPT ALL become a SELECT over numbered rows (set_operations.py):
    at the top, that SELECT's output is marked instead; deeper down, refused."""
    numbered = [
        n
        for n in (ast, *ast.find_all(exp.SetOperation))
        if isinstance(n, (exp.Intersect, exp.Except)) and not n.args.get("distinct")
    ]
    if numbered and numbered[0] is not ast:
        raise unsupported(
            "INTERSECT ALL or EXCEPT ALL of numeric(p, s) values inside another set operation",
            hint="cast the values to float8",
        )
    if numbered:
        ast.meta.setdefault(NUMBERED_KEY, {})[index] = scale


def _mark_branch(t: Typer, branch: exp.Select, value: exp.Expr) -> None:
    if t.types.get(id(value)) not in (T.NUMERIC, T.INT):
        return
    found = scales.dynamic_scale(t, value)
    per_row = found is not None and found[0] != "int"
    grouped = branch.args.get("group") is not None and found is not None and scales.reads_companion(found)
    if (
        (found is None and scales.depends_on_rows(t, value))
        or (per_row and branch.args.get("distinct"))
        or grouped
    ):
        raise unsupported(
            "a numeric output of UNION ALL whose display scale depends on the row",
            hint="round() it, or cast it to float8",
        )
    value.meta[SET_KEY] = ("own",) if found is None or scales.is_bare_column(found) else ("dynamic", found)


def _check_order(ast: exp.Expr, first: exp.Expr, index: int) -> None:
    """ORDER BY naming a marked column would sort the markers as text."""
    for holder in (ast, *(ast.find_all(exp.Subquery) if isinstance(ast, exp.Subquery) else ())):
        order = holder.args.get("order")
        for ordered in order.expressions if order is not None else ():
            key = ordered.this
            position = str(key.this) if isinstance(key, exp.Literal) and not key.is_string else ""
            by_position = position == str(index + 1)
            by_name = isinstance(key, exp.Column) and key.name == first.alias_or_name
            if by_position or by_name:
                raise unsupported(
                    "ORDER BY a numeric output of UNION, INTERSECT or EXCEPT printed with its scale",
                    hint="order by the column cast to float8, or by another column",
                )


def finish(ast: exp.Expr) -> None:
    """After the fix-ups: each marked branch value becomes its marker."""
    numbered = ast.meta.get(NUMBERED_KEY)
    if isinstance(ast, exp.Select) and numbered:
        for index, scale in numbered.items():
            projection = ast.expressions[index]
            value = projection.this if isinstance(projection, exp.Alias) else projection
            value.replace(_marker(value, ("fixed", scale)))
        return
    for branch in leaf_selects(ast):
        for projection in list(branch.expressions):
            value = projection.this if isinstance(projection, exp.Alias) else projection
            how = value.meta.get(SET_KEY) or projection.meta.get(SET_KEY)
            if how is not None:
                value.replace(_marker(value, how))


def _marker(value: exp.Expr, how: tuple) -> exp.Expr:
    text: exp.Expr
    digits: exp.Expr
    if how[0] == "canon":
        scale = int(how[1])
        fixed = cast(value.copy(), "NUMERIC")
        fixed.set("to", bq_type(f"NUMERIC({29 + scale}, {scale})"))
        text, digits = fixed, exp.Literal.number(scale)
    elif how[0] == "fixed":
        text, digits = value.copy(), exp.Literal.number(int(how[1]))
    elif how[0] == "dynamic":
        text, digits = value.copy(), scales.scale_sql(how[1], value)
    else:
        text, digits = value.copy(), scales.digits_scale(value.copy())
    pieces: list[exp.Expr] = [exp.Literal.string("d:"), cast(text, T.STRING)]
    pieces += [exp.Literal.string(":"), cast(digits, T.STRING)]
    return exp.Concat(expressions=pieces, safe=False, coalesce=False)
