"""round(float8::numeric, n): the most common rounding idiom, computed as PostgreSQL does.

PostgreSQL converts a float8 to numeric through its 15 significant digits (float8_numeric
prints "%.15g"), then round(numeric, n) rounds half away from zero to n places, scale
max(n, 0). BigQuery's CAST(FLOAT64 AS NUMERIC) keeps 9 decimals instead, so the cast alone
stays refused (casts.py); as round()'s argument it is computed here with integers only:

    s = FORMAT('%.14e', x)                 the same 15 digits, as mantissa and exponent e
    m = the 15 digits as an INT64 (signed), the value being m * 10^(e - 14)
    k = 14 - e - n                         digits of m below the n-th decimal
    R = m * 10^-k (k <= 0), 0 (k > 15: |m| < 10^15 rounds to nothing),
        else m DIV 10^k, plus 1 away from zero when the remainder is at least half of 10^k
    round(x::numeric, n) = R * 10^-n

Both engines format with correctly rounded digits, as PostgreSQL's printf does. NaN and
infinities do not parse as integers: an error, never a number. Overflow of INT64 (values
beyond 9.2e18 at scale n) is an error (22003).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call, cast, signed_literal
from pgbridge.wire.errors import unsupported

KEY = "pg_float_round"  # node.meta of the float8 -> numeric cast inside round(..., n)
MAX_PLACES = 30


def is_rounded(cast_node: exp.Cast) -> bool:
    """Is this float8 -> numeric cast the whole argument of round(..., n literal)?"""
    parent = cast_node.parent
    if not isinstance(parent, exp.Round) or cast_node.arg_key != "this":
        return False
    digits = parent.args.get("decimals")
    places = 0 if digits is None else signed_literal(digits)
    return places is not None and abs(places) <= MAX_PLACES


def rewrite(node: exp.Round) -> exp.Expr | None:
    """The exact round(x::numeric, n) of a marked round() (its children translated)."""
    argument = node.this
    if not argument.meta.get(KEY):
        return None
    if not isinstance(argument, exp.Cast):
        raise unsupported("round(float8::numeric, n) here", hint="round the float8 itself")
    digits = node.args.get("decimals")
    places = 0 if digits is None else signed_literal(digits)
    assert places is not None
    return _rounded(argument.this, places)


def _rounded(x: exp.Expr, places: int) -> exp.Expr:
    text = call("FORMAT", exp.Literal.string("%.14e"), x.copy())
    at_e = call("STRPOS", text.copy(), exp.Literal.string("e"))
    mantissa_text = call("SUBSTR", text.copy(), exp.Literal.number(1), exp.Sub(this=at_e, expression=_n(1)))
    digits = call("REPLACE", mantissa_text, exp.Literal.string("."), exp.Literal.string(""))
    m = cast(digits, T.INT)
    exponent = cast(call("SUBSTR", text.copy(), exp.Add(this=at_e.copy(), expression=_n(1))), T.INT)
    k = exp.Sub(this=exp.Sub(this=_n(14), expression=exponent), expression=_n(places))
    shift_up = exp.Mul(this=m.copy(), expression=_power(exp.Neg(this=exp.Paren(this=k.copy())), 18))
    scaled = exp.Case(
        ifs=[
            exp.If(this=exp.LTE(this=k.copy(), expression=_n(0)), true=shift_up),
            exp.If(this=exp.GT(this=k.copy(), expression=_n(15)), true=_n(0)),
        ],
        default=_half_away(m, _power(k, 15)),
    )
    if places <= 0:
        return cast(exp.Mul(this=scaled, expression=_n(10 ** (-places))), T.NUMERIC)
    unit_text = exp.Literal.string("0." + "0" * (places - 1) + "1")
    unit = cast(unit_text, "NUMERIC" if places <= 9 else "BIGNUMERIC")
    return exp.Mul(this=cast(scaled, T.NUMERIC), expression=unit)


def _half_away(m: exp.Expr, power: exp.Expr) -> exp.Expr:
    """m / power rounded half away from zero, in integers."""
    magnitude = call("ABS", m.copy())
    quotient = exp.IntDiv(this=magnitude.copy(), expression=power.copy())
    remainder = call("MOD", magnitude.copy(), power.copy())
    up = exp.If(
        this=exp.GTE(this=exp.Mul(this=_n(2), expression=remainder), expression=power.copy()),
        true=_n(1),
        false=_n(0),
    )
    rounded = exp.Paren(this=exp.Add(this=quotient, expression=up))
    return exp.Mul(this=call("SIGN", m.copy()), expression=rounded)


def _power(k: exp.Expr, most: int) -> exp.Expr:
    """10^k as an INT64 for k in [0, most] (exact: powers of ten up to 10^18 are float64
    integers). Clamped, so that no CASE arm fails where another one is taken: beyond the
    clamp the arm's own product overflows (an error), as it must."""
    clamped = call("LEAST", call("GREATEST", k, _n(0)), _n(most))
    return cast(exp.Pow(this=_n(10), expression=clamped), T.INT)


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value)
