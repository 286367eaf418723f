"""Arithmetic on numbers: + - * / %, unary minus and div().

PostgreSQL's operator type rules for the types pgbridge knows: integers stay integers (so
`7 / 2` is 3: BigQuery's DIV, its `/` is always FLOAT64), any float makes float, numeric beats
integer. int4 arithmetic fails on overflow in PostgreSQL, where BigQuery computes in INT64:
the result is range-checked. numeric * numeric is computed exactly (BIGNUMERIC beyond 9
decimals) when its scale is known (scales.py); numeric division is refused unless
numeric_exact.py can print PostgreSQL's digits; date and time operands go to
date_arithmetic.py.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales
from pgbridge.sql.translate.build import call, type_at, width_checked
from pgbridge.sql.translate.checks import operands, type_name, want_or_null
from pgbridge.sql.translate.constructs import avg_compare, date_arithmetic, numeric_exact
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("arithmetic")


@construct.rule(exp.Add, exp.Sub, exp.Mul)
def _arithmetic(t: Typer, node: exp.Binary) -> str | None:
    left, right = operands(t, node)
    if left in T.NUMBERS and right in T.NUMBERS:
        result = _number_result(left, right)
        if result == T.NUMERIC:
            t.set_type(node, result)
            numeric_exact.mark_arithmetic(t, node)  # 1.5 + 1.5 prints 3.0
            if avg_compare.is_avg_term(t, node):
                t.unknown_scale.add(id(node))  # k * avg(y): a comparison decides it exactly
            elif isinstance(node, exp.Mul) and left == right == T.NUMERIC:
                _check_product(t, node)  # (numeric * integer keeps the numeric's scale, at most 9)
        return result
    return date_arithmetic.result_type(t, node, left, right)


def _check_product(t: Typer, node: exp.Mul) -> None:
    """numeric * numeric is exact in BIGNUMERIC when the product's scale (the operands' scales
    added) is known and at most 38, or when it is an output printed per value (numeric_exact)."""
    scale = scales.dynamic_scale(t, node)
    largest = None if scale is None else scales.bound(scale)
    node.meta[scales.BOUND_KEY] = largest
    if scales.scale_of(t, node) is None:
        t.unknown_scale.add(id(node))  # exact value, but its scale is known only per row (if at all)
    if numeric_exact.EXACT_KEY in node.meta or (largest is not None and largest <= scales.MAX_SCALE):
        return
    raise unsupported(
        "numeric * numeric",
        hint="pgbridge computes it exactly when both operands' scales are known (integers, literals, "
        "NUMERIC(P, S) columns and arithmetic on them) and add up to at most 38; else cast to float8",
    )


def _number_result(left: str | None, right: str | None) -> str:
    if T.FLOAT in (left, right):
        return T.FLOAT
    if T.NUMERIC in (left, right):
        return T.NUMERIC
    return T.INT


@construct.rule(exp.Div)
def _div(t: Typer, node: exp.Div) -> str | None:
    left, right = operands(t, node)
    if left == right == T.INT:
        return T.INT
    if T.FLOAT in (left, right) and left in T.NUMBERS and right in T.NUMBERS:
        return T.FLOAT
    if left in T.NUMBERS and right in T.NUMBERS:
        if numeric_exact.mark_division(t, node):
            return T.NUMERIC  # PostgreSQL's digits, as an output column
        raise unsupported(
            "numeric division",
            hint="PostgreSQL picks a per-value result scale (7.0 / 2 = 3.5000000000000000); pgbridge "
            "computes it for column or literal operands, as an output column of the outermost SELECT; "
            "elsewhere cast to float8",
        )
    raise unsupported(f"operator {type_name(left)} / {type_name(right)}")


@construct.rule(exp.Mod)
def _mod(t: Typer, node: exp.Mod) -> str | None:
    left, right = operands(t, node)
    if left in (T.INT, T.NUMERIC) and right in (T.INT, T.NUMERIC):
        return _number_result(left, right)
    raise unsupported(f"operator {type_name(left)} % {type_name(right)}")


@construct.rule(exp.Neg)
def _neg(t: Typer, node: exp.Neg) -> str | None:
    inner = t.types.get(id(node.this))
    if inner == T.NUMERIC and isinstance(node.this, exp.Literal):
        numeric_exact.mark_literal(t, node, "-" + str(node.this.this))  # `SELECT -2.0` prints -2.0
    if inner in T.NUMBERS:
        return inner
    raise unsupported(f"unary minus on {type_name(inner)}")


@construct.rule(exp.IntDiv)
def _int_div(t: Typer, node: exp.IntDiv) -> str | None:
    # div(a, b) arrives as CAST(a DIV b AS numeric); both engines truncate integer quotients
    # toward zero (numeric operands: not yet checked).
    for arg in (node.this, node.expression):
        want_or_null(t, arg, (T.INT,), "div()")
    return T.INT


@construct.fixup(exp.Div)
def _div_fix(t: Typer, node: exp.Div) -> exp.Expr | None:
    if type_at(t, node) == T.INT:  # int4 and int2 fail on MIN / -1
        quotient = exp.IntDiv(this=node.this, expression=node.expression)
        return width_checked(t, node, quotient) or quotient
    return None


@construct.fixup(exp.Neg)
def _neg_fix(t: Typer, node: exp.Neg) -> exp.Expr | None:
    if isinstance(node.this, exp.Literal):
        return None  # a negative literal (round(x, -1) reads it as one) cannot overflow
    return width_checked(t, node, node.copy())  # -(-2147483648) fails in int4


@construct.fixup(exp.Mod)
def _mod_fix(t: Typer, node: exp.Mod) -> exp.Expr:
    return call("MOD", node.this, node.expression)


@construct.fixup(exp.Mul)
def _mul_fix(t: Typer, node: exp.Mul) -> exp.Expr | None:
    if type_at(t, node) == T.NUMERIC and scales.needs_bignumeric(node):
        return numeric_exact.widened(node)
    return _int4_checked(t, node)


def _int4_checked(t: Typer, node: exp.Expr) -> exp.Expr | None:
    """int4 and int2 arithmetic fails on overflow in PostgreSQL; BigQuery computes in INT64."""
    return width_checked(t, node, node.copy())


@construct.fixup(exp.Add, exp.Sub)
def _add_sub_fix(t: Typer, node: exp.Binary) -> exp.Expr | None:
    if type_at(t, node.this) == type_at(t, node.expression) == T.INT:
        return _int4_checked(t, node)
    return None
