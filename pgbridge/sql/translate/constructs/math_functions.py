"""Mathematical functions: abs, ceil, floor, round, sqrt, exp, ln, log, power, sign.

round(float8) rounds half to even in PostgreSQL (rint), half away from zero in BigQuery: it is
computed as PostgreSQL does. ceil, floor and sign of an integer are float8 in PostgreSQL;
log(x) and log10(x) are LOG10 and log(b, x) is refused (PostgreSQL computes it in numeric
with its own scale), as are round(float8, n) (PostgreSQL has none) and sqrt / exp / ln /
power of numeric. trunc(numeric[, n]) (typed by trigonometry.py's trunc rule, which owns
trunc(float8)) truncates toward zero, exact in both engines; its scale is n (0 for n < 0 or
without n) whatever the argument's, so it prints with PostgreSQL's digits (scales.py).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call, cast, round_half_even, type_at, width_checked
from pgbridge.sql.translate.checks import int_literal, need_literal, want
from pgbridge.sql.translate.constructs import numeric_exact
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("math functions")


@construct.rule(exp.Abs)
def _abs(t: Typer, node: exp.Abs) -> str | None:
    return want(t, node.this, (T.INT, T.FLOAT, T.NUMERIC), "abs()")


@construct.fixup(exp.Abs)
def _abs_fix(t: Typer, node: exp.Abs) -> exp.Expr | None:
    return width_checked(t, node, node.copy())  # abs(-2147483648) fails in int4


@construct.rule(exp.Ceil, exp.Floor)
def _ceil_floor(t: Typer, node: exp.Func) -> str | None:
    if node.args.get("decimals") is not None or node.args.get("to") is not None:
        raise unsupported(f"{node.sql_name().lower()}() with a second argument")
    arg = want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), f"{node.sql_name().lower()}()")
    return T.NUMERIC if arg == T.NUMERIC else T.FLOAT


@construct.rule(exp.Round)
def _round(t: Typer, node: exp.Round) -> str | None:
    if numeric_exact.ROUND_KEY in node.meta:
        return T.NUMERIC  # round(avg(x), n) as an output: the encoder rounds (numeric_exact)
    arg = want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), "round()")
    digits = node.args.get("decimals")
    if digits is not None:
        if arg == T.FLOAT:
            raise unsupported("round(float8, integer)", hint="PostgreSQL has none; cast to numeric first")
        need_literal(digits, "round() digits", -30)
    if node.args.get("truncate") is not None or node.args.get("casts_non_integer_decimals"):
        raise unsupported("round() with a rounding mode")
    if arg == T.NUMERIC:
        numeric_exact.mark_round(t, node)  # round(price, 1) prints 20.0, as PostgreSQL does
    if arg == T.INT:
        return T.NUMERIC if digits is not None else T.FLOAT
    return arg


def numeric_trunc(t: Typer, node: exp.Trunc, arg: str | None) -> str | None:
    """trunc(numeric[, n]) and trunc(integer, n) (read as trunc(numeric, n))."""
    digits = node.args.get("decimals")
    if arg == T.FLOAT:
        raise unsupported("trunc(float8, integer)", hint="PostgreSQL has none; cast to numeric first")
    need_literal(digits, "trunc() digits", -38)
    if (int_literal(digits) or 0) > 38:
        raise unsupported("trunc() to more than 38 decimals", hint="BigQuery BIGNUMERIC keeps 38")
    return T.NUMERIC


def numeric_trunc_sql(t: Typer, node: exp.Trunc) -> exp.Expr:
    value = cast(node.this, T.NUMERIC) if type_at(t, node.this) == T.INT else node.this
    digits = node.args.get("decimals")
    return call("TRUNC", value, *([digits] if digits is not None else []))


@construct.rule(exp.Sqrt, exp.Exp, exp.Ln)
def _float_math(t: Typer, node: exp.Func) -> str | None:
    arg = want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), f"{node.sql_name().lower()}()")
    if arg == T.NUMERIC:
        raise unsupported(f"{node.sql_name().lower()}(numeric)", hint="cast the argument to float8")
    return T.FLOAT


@construct.rule(exp.Log)
def _log(t: Typer, node: exp.Log) -> str | None:
    if node.expression is not None and _spelled(t, node) == "log10":
        node.set("this", node.args.pop("expression"))  # sqlglot reads log10(x) as log(10, x)
    if node.expression is not None:
        raise unsupported("log(base, x)", hint="PostgreSQL computes it in numeric with its own scale")
    for arg in (node.this, node.expression):
        if arg is not None and want(t, arg, (T.FLOAT, T.INT, T.NUMERIC), "log()") == T.NUMERIC:
            raise unsupported("log(numeric)", hint="cast the argument to float8")
    return T.FLOAT


def _spelled(t: Typer, node: exp.Expr) -> str:
    start, end = node.meta.get("start"), node.meta.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(t.text):
        return t.text[start : end + 1].lower()
    return ""


@construct.rule(exp.Pow)
def _pow(t: Typer, node: exp.Pow) -> str | None:
    for arg in (node.this, node.expression):
        if want(t, arg, (T.FLOAT, T.INT, T.NUMERIC), "power()") == T.NUMERIC:
            raise unsupported("power(numeric, ...)", hint="cast the arguments to float8")
    return T.FLOAT


@construct.rule(exp.Sign)
def _sign(t: Typer, node: exp.Sign) -> str | None:
    arg = want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), "sign()")
    return T.NUMERIC if arg == T.NUMERIC else T.FLOAT


@construct.fixup(exp.Round)
def _round_fix(t: Typer, node: exp.Round) -> exp.Expr:
    arg_type = type_at(t, node.this)
    digits = node.args.get("decimals")
    if arg_type == T.FLOAT:
        return round_half_even(node.this)
    if arg_type == T.INT and digits is None:
        return round_half_even(cast(node.this, T.FLOAT))
    value = cast(node.this, T.NUMERIC) if arg_type == T.INT else node.this
    return call("ROUND", value, *([digits] if digits is not None else []))


@construct.fixup(exp.Ceil, exp.Floor)
def _ceil_floor_fix(t: Typer, node: exp.Func) -> exp.Expr:
    value = cast(node.this, T.FLOAT) if type_at(t, node.this) == T.INT else node.this
    return call("CEIL" if isinstance(node, exp.Ceil) else "FLOOR", value)


@construct.fixup(exp.Sign)
def _sign_fix(t: Typer, node: exp.Sign) -> exp.Expr:
    value = cast(node.this, T.FLOAT) if type_at(t, node.this) == T.INT else node.this
    return cast(call("SIGN", value), type_at(t, node) or T.FLOAT)  # keep the argument's type everywhere


@construct.fixup(exp.Log)
def _log_fix(t: Typer, node: exp.Log) -> exp.Expr:
    if node.expression is None:
        return call("LOG10", node.this)
    return call("LOG", node.expression, node.this)  # PostgreSQL log(base, x)
