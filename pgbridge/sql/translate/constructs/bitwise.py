"""Bitwise operators & | # ~ and the aggregates bit_and, bit_or, bit_xor on integers, and
isfinite() of a date or timestamp.

On two's complement integers these compute the same value whatever the width, so int4 and
int8 alike translate to INT64 (the shifts << >> do not: int4 overflow and BigQuery's shift
rules differ, and they are refused, as is any other operand type). PostgreSQL gives & | #
one precedence, left to right, where sqlglot reads them with C's (& before #, # before |):
a mix of them without parentheses is refused rather than read differently. isfinite() is
true for every value BigQuery can hold (it has no infinite dates or timestamps).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.checks import want
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("bitwise")

_OPERATORS = {exp.BitwiseAnd: "&", exp.BitwiseOr: "|", exp.BitwiseXor: "#"}
_AGGREGATES: dict[type[exp.Expr], str] = {
    exp.BitwiseAndAgg: "bit_and()",
    exp.BitwiseOrAgg: "bit_or()",
    exp.BitwiseXorAgg: "bit_xor()",
}


@construct.rule(exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor)
def _operator(t: Typer, node: exp.Binary) -> str | None:
    symbol = _OPERATORS[type(node)]
    for side in (node.this, node.expression):
        want(t, side, (T.INT,), f"operator {symbol}")
        if type(side) in _OPERATORS and type(side) is not type(node):
            raise unsupported(
                f"operators {symbol} and {_OPERATORS[type(side)]} mixed without parentheses",
                hint="PostgreSQL reads & | # left to right with one precedence; add parentheses",
            )
    return T.INT


@construct.rule(exp.BitwiseNot)
def _not(t: Typer, node: exp.BitwiseNot) -> str | None:
    want(t, node.this, (T.INT,), "operator ~")
    return T.INT


@construct.rule(exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg)
def _aggregate(t: Typer, node: exp.Func) -> str | None:
    want(t, node.this, (T.INT,), _AGGREGATES[type(node)])
    return T.INT


@construct.rule("isfinite")
def _isfinite(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("isfinite() without exactly one argument")
    want(t, node.expressions[0], (T.DATE, T.DATETIME, T.TIMESTAMP), "isfinite()")
    return T.BOOL


@construct.fixup("isfinite")
def _isfinite_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    value = node.expressions[0]
    return exp.If(this=exp.Is(this=value, expression=exp.Null()), true=exp.Null(), false=exp.true())
