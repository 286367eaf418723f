"""Trigonometric functions and their neighbours on float8: sin cos tan asin acos atan atan2,
pi, degrees, radians, cbrt and trunc(float8) (trunc(numeric[, n]) is math_functions.py's).

The engines call the same C library functions PostgreSQL does; what differs is the edge:
PostgreSQL fails on sin/cos/tan of an infinity and on asin/acos outside [-1, 1], where RE2's
engines return NaN, so those inputs are made to fail here too. degrees and radians use
PostgreSQL's constant (one IEEE division or multiplication: the same double). Arguments are
float8 or integers (cast as PostgreSQL casts them); numeric arguments are refused, as the
engines' numeric-to-float conversions are not all correctly rounded. cot and the degree
variants (sind, ...) are refused by the catalogue (no rule).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.checks import want
from pgbridge.sql.translate.constructs import math_functions
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer

construct = Construct("trigonometry")

_RADIANS_PER_DEGREE = "0.0174532925199432957692"  # PostgreSQL's RADIANS_PER_DEGREE
_PI = "3.141592653589793"  # the double nearest pi, M_PI
_PERIODIC = (exp.Sin, exp.Cos, exp.Tan)
_BOUNDED = (exp.Asin, exp.Acos)
_ONE_ARGUMENT = (*_PERIODIC, *_BOUNDED, exp.Atan, exp.Cbrt, exp.Degrees, exp.Radians)


def _float_of(node: exp.Expr) -> exp.Expr:
    return cast(node, T.FLOAT)


@construct.rule(*_ONE_ARGUMENT)
def _one(t: Typer, node: exp.Func) -> str | None:
    want(t, node.this, (T.FLOAT, T.INT), f"{node.sql_name().lower()}()")
    return T.FLOAT


@construct.rule(exp.Atan2)
def _atan2(t: Typer, node: exp.Atan2) -> str | None:
    want(t, node.this, (T.FLOAT, T.INT), "atan2()")
    want(t, node.expression, (T.FLOAT, T.INT), "atan2()")
    return T.FLOAT


@construct.rule(exp.Trunc)
def _trunc(t: Typer, node: exp.Trunc) -> str | None:
    arg = want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), "trunc()")
    if arg == T.NUMERIC or node.args.get("decimals") is not None:
        return math_functions.numeric_trunc(t, node, arg)  # exact, with PostgreSQL's scale
    return T.FLOAT  # trunc(float8), and trunc(integer) which PostgreSQL reads as trunc(float8)


@construct.fixup(exp.Trunc)
def _trunc_fix(t: Typer, node: exp.Trunc) -> exp.Expr:
    if t.types.get(id(node)) == T.NUMERIC:
        return math_functions.numeric_trunc_sql(t, node)
    return call("TRUNC", cast(node.this, T.FLOAT) if t.types.get(id(node.this)) == T.INT else node.this)


@construct.rule(exp.Pi)
def _pi(t: Typer, node: exp.Pi) -> str | None:
    return T.FLOAT


@construct.fixup(exp.Pi)
def _pi_fix(t: Typer, node: exp.Pi) -> exp.Expr:
    return _float_of(exp.Literal.number(_PI))


def _fails(message: str) -> exp.Expr:
    return cast(call("ERROR", exp.Literal.string(message)), T.FLOAT)


@construct.fixup(*_ONE_ARGUMENT)
def _one_fix(t: Typer, node: exp.Func) -> exp.Expr:
    value = _float_of(node.this)
    name = node.sql_name().upper()
    if isinstance(node, exp.Degrees):
        return exp.Div(this=value, expression=_float_of(exp.Literal.number(_RADIANS_PER_DEGREE)))
    if isinstance(node, exp.Radians):
        return exp.Mul(this=value, expression=_float_of(exp.Literal.number(_RADIANS_PER_DEGREE)))
    computed = call(name, value.copy())
    if isinstance(node, _PERIODIC):
        infinite = exp.EQ(this=call("ABS", value), expression=_float_of(exp.Literal.string("inf")))
        return exp.If(this=infinite, true=_fails("input is out of range"), false=computed)
    if isinstance(node, _BOUNDED):
        outside = exp.GT(this=call("ABS", value), expression=exp.Literal.number(1))
        return exp.If(this=outside, true=_fails("input is out of range"), false=computed)
    return computed


@construct.fixup(exp.Atan2)
def _atan2_fix(t: Typer, node: exp.Atan2) -> exp.Expr:
    return call("ATAN2", _float_of(node.this), _float_of(node.expression))
