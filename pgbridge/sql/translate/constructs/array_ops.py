"""Array operators: a && b (overlap), a @> b (contains), a <@ b (is contained by).

BigQuery has no such operators; each becomes a subquery over UNNEST, NULL when either array is
NULL as in PostgreSQL. BigQuery arrays hold no NULL elements, so PostgreSQL's rule that a NULL
element matches nothing never comes up. Both sides must be arrays of one element type whose
equality is the same in both engines: float8 arrays are refused (PostgreSQL's array equality
takes NaN = NaN, BigQuery's does not). jsonb @> is json_ops.py's; it hands arrays here.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("array operators")

_COMPARABLE = (T.INT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)
_SYMBOLS = {exp.ArrayOverlaps: "&&", exp.ArrayContainsAll: "@>", exp.ArrayContainedBy: "<@"}


def check(t: Typer, node: exp.Binary) -> str:
    """Type an array operator (BOOL), or refuse it naming what is missing."""
    symbol = _SYMBOLS[type(node)]
    left, right = t.types.get(id(node.this)), t.types.get(id(node.expression))
    element = T.element_of(left)
    if element is None or T.element_of(right) is None:
        hint = "cast it, e.g. '{a,b}'::text[]"
        raise unsupported(f"array operator {symbol} with a non-array operand", hint=hint)
    if left != right:
        raise unsupported(f"array operator {symbol} between {left} and {right}")
    if element == T.INT and _int_width(t, node.this) != _int_width(t, node.expression):
        # PostgreSQL has no int8[] && int4[] (ARRAY[1, 2] is int4[]): it fails where this would answer
        raise unsupported(f"array operator {symbol} between integer arrays of different widths",
                          hint="cast the literal, e.g. ARRAY[1, 2]::int8[]")
    if element not in _COMPARABLE:
        hint = "the engines compare NaN differently"
        raise unsupported(f"array operator {symbol} on {element} elements", hint=hint)
    return T.BOOL


def _int_width(t: Typer, node: exp.Expr) -> str | None:
    """int4 or int8 for an integer array whose width is evident, else None (refused)."""
    if isinstance(node, exp.Array):
        return "int4" if all(id(e) in t.int4 for e in node.expressions) else "int8"
    if isinstance(node, exp.Cast):
        target = T.cast_target(node.to)
        return target[1].removesuffix("[]") if target else None  # ::int8[] / ::int4[]
    if isinstance(node, exp.Column):
        return "int8"  # a BigQuery ARRAY<INT64> column
    return None


@construct.rule(exp.ArrayOverlaps, exp.ArrayContainedBy)
def _array_operator(t: Typer, node: exp.Binary) -> str | None:
    return check(t, node)


@construct.fixup(exp.ArrayOverlaps, exp.ArrayContainedBy)
def _array_operator_fix(t: Typer, node: exp.Binary) -> exp.Expr:
    return translated(node)


def translated(node: exp.Binary) -> exp.Expr:
    a, b = node.this, node.expression
    if isinstance(node, exp.ArrayOverlaps):
        found: exp.Expr = _exists(a, b, negate=False)
    elif isinstance(node, exp.ArrayContainsAll):
        found = exp.Not(this=_exists(b, a, negate=True))  # no element of b missing from a
    else:
        found = exp.Not(this=_exists(a, b, negate=True))  # no element of a missing from b
    either_null = exp.or_(*(exp.Is(this=side.copy(), expression=exp.Null()) for side in (a, b)))
    return exp.If(this=either_null, true=exp.Null(), false=found)


def _exists(source: exp.Expr, other: exp.Expr, negate: bool) -> exp.Exists:
    """EXISTS (SELECT 1 FROM UNNEST(source) AS e WHERE e [NOT] IN UNNEST(other))."""
    element = exp.column("pg_array_element")
    member: exp.Expr = exp.In(this=element, unnest=exp.Unnest(expressions=[other.copy()]))
    if negate:
        member = exp.Not(this=member)
    unnested = exp.Unnest(
        expressions=[source.copy()], alias=exp.TableAlias(columns=[exp.to_identifier("pg_array_element")])
    )
    query = exp.select("1").from_(unnested).where(member)
    return exp.Exists(this=query)
