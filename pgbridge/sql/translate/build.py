"""Small pieces of BigQuery SQL the fix-ups build, and the readers they share.

Leaves of the translate package: they know sqlglot and the PostgreSQL type names, nothing of
rules, fix-ups or constructs, so every construct module may use them.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.typer import Typer

# PostgreSQL's int4 and int2 ranges: BigQuery computes in INT64 and never fails inside them.
INT_RANGES = {"int4": (-(2**31), 2**31 - 1), "int2": (-(2**15), 2**15 - 1)}
RANGE_NAMES = {"int4": "integer", "int2": "smallint"}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def bq_type(type_: str) -> exp.DataType:
    return exp.DataType.build(type_, dialect="bigquery")


def cast(node: exp.Expr, type_: str) -> exp.Cast:
    return exp.Cast(this=node, to=bq_type(type_))


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def type_at(t: Typer, node: exp.Expr | None) -> str | None:
    """The PostgreSQL type the typer gave `node` (None for no node or an untyped one)."""
    return None if node is None else t.types.get(id(node))


def signed_literal(node: exp.Expr) -> int | None:
    """The value of an integer literal, negated or not; None for anything else."""
    if isinstance(node, exp.Neg):
        inner = signed_literal(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        return int(node.this)
    return None


def ascii_lower(node: exp.Expr) -> exp.Expr:
    """lower() of the C collation pgbridge emulates: ASCII letters only."""
    return call("TRANSLATE", node, exp.Literal.string(_UPPER), exp.Literal.string(_UPPER.lower()))


def ascii_upper(node: exp.Expr) -> exp.Expr:
    return call("TRANSLATE", node, exp.Literal.string(_UPPER.lower()), exp.Literal.string(_UPPER))


def round_half_even(x: exp.Expr) -> exp.Expr:
    """PostgreSQL's rint(): halves go to the even neighbour (2 * round(x / 2) on a tie)."""
    frac = call("ABS", exp.Sub(this=x.copy(), expression=call("TRUNC", x.copy())))
    tie = exp.EQ(this=frac, expression=cast(exp.Literal.string("0.5"), T.FLOAT))
    even = exp.Mul(
        this=exp.Literal.number(2),
        expression=call("ROUND", exp.Div(this=x.copy(), expression=exp.Literal.number(2))),
    )
    return exp.If(this=tie, true=even, false=call("ROUND", x.copy()))


def width_checked(t: Typer, node: exp.Expr, value: exp.Expr) -> exp.Expr | None:
    """`value` (node's translation) failing as PostgreSQL's int2 or int4 arithmetic fails on
    overflow (BigQuery computes in INT64); None when node is an int8."""
    for width, typed in (("int2", t.int2), ("int4", t.int4)):
        if id(node) in typed:
            return range_checked(value, *INT_RANGES[width], f"{RANGE_NAMES[width]} out of range")
    return None


def range_checked(value: exp.Expr, low: int, high: int, message: str) -> exp.Expr:
    """`value`, or a run-time ERROR(message) outside [low, high], as PostgreSQL's overflow."""
    inside = exp.Between(this=value.copy(), low=exp.Literal.number(low), high=exp.Literal.number(high))
    fails = call("ERROR", exp.Literal.string(message))
    ok = exp.Or(this=inside, expression=exp.Is(this=value.copy(), expression=exp.Null()))
    return exp.If(this=ok, true=value, false=cast(fails, T.INT))
