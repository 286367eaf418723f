"""Ordered-set aggregates: percentile_cont(p), percentile_disc(p) and mode() WITHIN GROUP
(ORDER BY x).

BigQuery has PERCENTILE_CONT / _DISC only as window functions, so the aggregate is computed
from the sorted values, ARRAY_AGG(x IGNORE NULLS ORDER BY x), with PostgreSQL's own
arithmetic (orderedsetaggs.c):

- percentile_disc: the value at row ceil(p * n) (at least the first), of x's own type;
- percentile_cont: float8; rows floor(p * (n - 1)) and ceil(p * (n - 1)) (from 0), and
  lo + (pos - floor(pos)) * (hi - lo) between them, in float8 operations in the same order.

- mode: the most frequent value; among equally frequent ones the first in the sort order
  (PostgreSQL's mode_final keeps the first), counted over UNNEST(ARRAY_AGG(x)).

No rows (or only NULLs) give NULL. A float8 NaN sorts after every number in PostgreSQL and
before them in BigQuery: the sort puts it last explicitly. The fraction must be a literal in
[0, 1]; arrays of fractions, numeric values for percentile_cont (the engines' numeric to float8
conversions are not all correctly rounded), FILTER, and the other ordered-set and hypothetical
aggregates (rank(v) ...) are refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.checks import type_name
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("ordered-set aggregates")

META_KEY = "pg_ordered_set"  # node.meta: (fraction as float, the value's type)
_DISC_TYPES = (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.DATE, T.DATETIME, T.TIMESTAMP)
_CONT_TYPES = (T.INT, T.FLOAT)
_MODE_VALUE = "pg_mode_value"  # the UNNEST alias inside mode()'s subquery


@construct.rule(exp.PercentileCont, exp.PercentileDisc, exp.Mode)
def _percentile(t: Typer, node: exp.Func) -> str | None:
    if not isinstance(node.parent, exp.WithinGroup):
        raise unsupported(f"{node.sql_name().lower()}() as a window function")
    return None  # typed by the WITHIN GROUP around it


@construct.rule(exp.WithinGroup)
def _within_group(t: Typer, node: exp.WithinGroup) -> str | None:
    function = node.this
    name = function.sql_name().lower() if isinstance(function, exp.Func) else "ordered-set aggregate"
    if not isinstance(function, (exp.PercentileCont, exp.PercentileDisc, exp.Mode)):
        raise unsupported(
            f"{name}() WITHIN GROUP", hint="percentile_cont, percentile_disc and mode are supported"
        )
    if isinstance(node.parent, exp.Filter):
        raise unsupported(f"{name}() WITHIN GROUP with FILTER")
    order = node.expression
    if not isinstance(order, exp.Order) or len(order.expressions) != 1:
        raise unsupported(f"{name}() WITHIN GROUP without exactly one sort key")
    value_type = t.types.get(id(order.expressions[0].this))
    allowed = _CONT_TYPES if isinstance(function, exp.PercentileCont) else _DISC_TYPES
    if value_type not in allowed:
        raise unsupported(f"{name}() of {type_name(value_type)}")
    if isinstance(function, exp.Mode):
        if function.this is not None or function.expressions:
            raise unsupported("mode() with an argument")
        node.meta[META_KEY] = (0.0, value_type)
        return value_type
    node.meta[META_KEY] = (_fraction(function.this, name), value_type)
    if isinstance(function, exp.PercentileCont):
        return T.FLOAT
    return value_type


def _fraction(node: exp.Expr | None, name: str) -> float:
    text = str(node.this) if isinstance(node, exp.Literal) and not node.is_string else None
    try:
        value = Decimal(text) if text is not None else None
    except InvalidOperation:
        value = None
    if value is None or not 0 <= value <= 1:
        raise unsupported(f"{name}() with a fraction other than a literal between 0 and 1")
    return float(value)  # PostgreSQL's float8 of the literal: correctly rounded in both


@construct.fixup(exp.WithinGroup)
def _within_group_fix(t: Typer, node: exp.WithinGroup) -> exp.Expr:
    fraction, value_type = node.meta[META_KEY]
    ordered = node.expression.expressions[-1]  # the original key (ordering may add a NULL flag)
    desc = bool(ordered.args.get("desc"))
    value = ordered.this
    if isinstance(node.this, exp.Mode):
        return _mode(value, desc, value_type == T.FLOAT)
    if isinstance(node.this, exp.PercentileCont):
        value = cast(value, T.FLOAT)
    keys = [exp.Ordered(this=value.copy(), desc=desc, nulls_first=not desc)]
    if value_type == T.FLOAT or isinstance(node.this, exp.PercentileCont):
        nan = exp.Ordered(this=call("IS_NAN", value.copy()), desc=desc, nulls_first=not desc)
        keys.insert(0, nan)  # NaN after every number ascending, before them descending
    sorted_values = exp.IgnoreNulls(this=exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=keys)))
    count = exp.Count(this=value.copy())
    if isinstance(node.this, exp.PercentileDisc):
        result = _disc(sorted_values, count, fraction)
    else:
        result = _cont(sorted_values, count, fraction)
    empty = exp.EQ(this=count.copy(), expression=exp.Literal.number(0))
    return exp.If(
        this=empty,
        true=cast(exp.Null(), value_type if isinstance(node.this, exp.PercentileDisc) else T.FLOAT),
        false=result,
    )


def _mode(value: exp.Expr, desc: bool, is_float: bool) -> exp.Expr:
    """(SELECT v FROM UNNEST(ARRAY_AGG(x IGNORE NULLS)) AS v GROUP BY v
    ORDER BY COUNT(*) DESC, v LIMIT 1): the first most frequent value in the sort order."""
    direction = "DESC" if desc else "ASC"
    nan = f"IS_NAN({_MODE_VALUE}) {direction}, " if is_float else ""
    query = sqlglot.parse_one(
        f"SELECT {_MODE_VALUE} FROM UNNEST(ARRAY_AGG(pg_mode_input IGNORE NULLS)) AS {_MODE_VALUE}"
        f" GROUP BY {_MODE_VALUE} ORDER BY COUNT(*) DESC, {nan}{_MODE_VALUE} {direction} LIMIT 1",
        read="bigquery",
    )
    placeholder = next(c for c in query.find_all(exp.Column) if c.name == "pg_mode_input")
    placeholder.replace(value.copy())
    return exp.Subquery(this=query)


def _at(values: exp.Expr, index: exp.Expr) -> exp.Expr:
    """values[OFFSET(index)], index from 0."""
    return exp.Bracket(this=values.copy(), expressions=[cast(index, T.INT)], offset=0, safe=True)


def _disc(values: exp.Expr, count: exp.Expr, fraction: float) -> exp.Expr:
    row = call("CEIL", exp.Mul(this=_float(fraction), expression=cast(count.copy(), T.FLOAT)))
    first = call("GREATEST", row, _float(1.0))
    return _at(values, exp.Sub(this=first, expression=exp.Literal.number(1)))


def _cont(values: exp.Expr, count: exp.Expr, fraction: float) -> exp.Expr:
    rows = cast(exp.Sub(this=count.copy(), expression=exp.Literal.number(1)), T.FLOAT)
    position = exp.Paren(this=exp.Mul(this=_float(fraction), expression=rows))
    low, high = call("FLOOR", position.copy()), call("CEIL", position.copy())
    first, second = _at(values, low.copy()), _at(values, high.copy())
    proportion = exp.Paren(this=exp.Sub(this=position.copy(), expression=low.copy()))
    step = exp.Mul(this=proportion, expression=exp.Paren(this=exp.Sub(this=second, expression=first.copy())))
    between = exp.Add(this=first.copy(), expression=step)
    return exp.If(this=exp.EQ(this=low, expression=high), true=first, false=between)


def _float(value: float) -> exp.Expr:
    return cast(exp.Literal.number(repr(value)), T.FLOAT)
