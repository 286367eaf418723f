"""Predicates: comparisons, = ANY(...), IN, BETWEEN, IS, EXISTS, AND / OR / NOT.

Values compare when both engines order them alike: numbers with numbers, and text, bool,
dates and times with their own kind. A date or timestamp compared with a timestamptz is read
in the session zone, as PostgreSQL promotes it. Only = ANY(...) is translated: x = ANY(NULL
array) is NULL in PostgreSQL where BigQuery's IN UNNEST(NULL) is FALSE, so it becomes
IF(a IS NULL, NULL, x IN UNNEST(a)), and an array parameter only where NULL and FALSE keep
the same rows.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import type_at
from pgbridge.sql.translate.checks import operands, type_name
from pgbridge.sql.translate.constructs import avg_compare
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("predicates")


_COMPARABLE = {T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME}


@construct.rule(exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ, exp.NullSafeNEQ)
def _compare(t: Typer, node: exp.Binary) -> str | None:
    if isinstance(node.expression, (exp.Any, exp.All)):
        return _quantified(t, node)
    left, right = operands(t, node)
    if {left, right} in ({T.DATE, T.TIMESTAMP}, {T.DATETIME, T.TIMESTAMP}):
        t.zone()  # PostgreSQL reads the date or timestamp side in the session zone (_compare_fix)
        return T.BOOL
    _check_comparable(left, right, node)
    avg_compare.claim(t, node)  # x < (SELECT 0.2 * avg(y) ...)
    return T.BOOL


def _check_comparable(left: str | None, right: str | None, node: exp.Expr) -> None:
    both_numbers = left in T.NUMBERS and right in T.NUMBERS
    if both_numbers or left == T.UNKNOWN or right == T.UNKNOWN:
        return
    if left == right and left in _COMPARABLE:
        return
    if {left, right} == {T.DATE, T.DATETIME}:
        return
    raise unsupported(f"comparing {type_name(left)} with {type_name(right)}")


def _quantified(t: Typer, node: exp.Binary) -> str | None:
    quantifier = node.expression
    inner = quantifier.this.this if isinstance(quantifier.this, exp.Paren) else quantifier.this
    if not isinstance(node, exp.EQ) or not isinstance(quantifier, exp.Any):
        raise unsupported(
            f"{node.key.upper()} {quantifier.key.upper()}(...)", hint="only = ANY(...) is supported"
        )
    left = t.types.get(id(node.this))
    if isinstance(inner, (exp.Subquery, exp.Select)):
        return T.BOOL
    inner = _settle_array_parameter(t, node.this, inner)
    element = T.element_of(t.types.get(id(inner)))
    if element is None:
        raise unsupported("= ANY(...) of something that is not an array column")
    if t.param_number(inner.this if isinstance(inner, exp.Cast) else inner) is not None:
        _check_filter_only(node)
    if left == T.UNKNOWN:
        t.settle(node.this, element)
    else:
        _check_comparable(left, element, node)
    return T.BOOL


def _settle_array_parameter(t: Typer, left: exp.Expr, inner: exp.Expr) -> exp.Expr:
    # x = ANY($1) with $1 undeclared: PostgreSQL types $1 as an array of x's type.
    left_type = t.types.get(id(left))
    if t.param_number(inner) is not None and left_type in _ARRAY_ELEMENTS:
        t.settle(inner, f"ARRAY<{left_type}>")
    return inner


# Element types an undeclared = ANY($n) parameter may take (BigQuery array parameters).
_ARRAY_ELEMENTS = (T.INT, T.STRING, T.NUMERIC, T.FLOAT, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)


def _check_filter_only(node: exp.Expr) -> None:
    """x = ANY($n) only where a NULL and a FALSE answer keep the same rows.

    PostgreSQL answers NULL for a NULL array, BigQuery (which binds a NULL array parameter
    as an empty one) FALSE: the same in WHERE / HAVING / ON reached through AND / OR only.
    """
    parent = node.parent
    while isinstance(parent, (exp.And, exp.Or, exp.Paren)):
        parent = parent.parent
    if not isinstance(parent, (exp.Where, exp.Having, exp.Join)):
        raise unsupported(
            "= ANY($n) of an array parameter outside a WHERE / HAVING / ON condition",
            hint="BigQuery reads a NULL array parameter as an empty array",
        )


@construct.rule(exp.Any)
def _any(t: Typer, node: exp.Any) -> str | None:
    if not isinstance(node.parent, exp.EQ):
        raise unsupported("ANY(...) outside = ANY(...)")
    return None


@construct.rule(exp.And, exp.Or)
def _logic(t: Typer, node: exp.Binary) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.BOOL)
    return T.BOOL


@construct.rule(exp.Not)
def _not(t: Typer, node: exp.Not) -> str | None:
    t.settle(node.this, T.BOOL)
    return T.BOOL


@construct.rule(exp.Is)
def _is(t: Typer, node: exp.Is) -> str | None:
    if t.types.get(id(node.this)) == T.UNKNOWN:
        t.mark_undecidable(node.this)
    return T.BOOL


@construct.rule(exp.Between)
def _between(t: Typer, node: exp.Between) -> str | None:
    if node.args.get("symmetric") and list(node.this.find_all(exp.Rand, exp.Anonymous, exp.Subquery)):
        # sqlglot writes it as (x BETWEEN a AND b OR x BETWEEN b AND a), PostgreSQL's own
        # definition, but that evaluates x twice: only for a repeatable x.
        raise unsupported("BETWEEN SYMMETRIC of a volatile or subquery value")
    subject = t.types.get(id(node.this))
    for bound in (node.args["low"], node.args["high"]):
        t.settle(bound, subject)
        _check_comparable(subject, t.types.get(id(bound)), node)
    return T.BOOL


@construct.rule(exp.In)
def _in(t: Typer, node: exp.In) -> str | None:
    if node.args.get("unnest") or node.args.get("field"):
        raise unsupported("IN UNNEST(...)")
    subject = t.types.get(id(node.this))
    for item in node.expressions:
        if subject == T.UNKNOWN:
            t.settle(node.this, t.types.get(id(item)))
            subject = t.types.get(id(node.this))
        t.settle(item, subject)
        _check_comparable(subject, t.types.get(id(item)), node)
    return T.BOOL


@construct.rule(exp.Exists)
def _exists(t: Typer, node: exp.Exists) -> str | None:
    return T.BOOL


@construct.fixup(exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ, exp.NullSafeNEQ)
def _compare_fix(t: Typer, node: exp.Binary) -> exp.Expr | None:
    """date or timestamp compared with timestamptz: PostgreSQL promotes it in the session zone."""
    for side, other in ((node.this, node.expression), (node.expression, node.this)):
        if type_at(t, side) in (T.DATE, T.DATETIME) and type_at(t, other) == T.TIMESTAMP:
            side.replace(timefix.zoned_timestamp(side.copy(), t.zone()))
    return None


@construct.fixup(exp.EQ)
def _eq_any(t: Typer, node: exp.EQ) -> exp.Expr | None:
    if not isinstance(node.expression, exp.Any):
        return _compare_fix(t, node)
    inner = node.expression.this
    inner = inner.this if isinstance(inner, exp.Paren) else inner
    if isinstance(inner, (exp.Subquery, exp.Select)):
        query = inner.this if isinstance(inner, exp.Subquery) else inner
        return exp.In(this=node.this, query=exp.Subquery(this=query))
    member = exp.In(this=node.this, unnest=exp.Unnest(expressions=[inner.copy()]))
    is_null = exp.Is(this=inner, expression=exp.Null())
    return exp.If(this=is_null, true=exp.Null(), false=member)
