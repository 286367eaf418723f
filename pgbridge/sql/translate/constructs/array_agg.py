"""array_agg(), where BigQuery's ARRAY_AGG builds the same array.

BigQuery arrays cannot hold NULL (ARRAY_AGG fails on one), PostgreSQL's can. So array_agg(x)
is translated only when no NULL can reach it: `FILTER (WHERE x IS NOT NULL)` on the same
expression, a REQUIRED column, or a literal. Everything else is refused, because the answer
would be an error where PostgreSQL returns an array with NULLs.

Over no rows (or when FILTER keeps none) PostgreSQL returns NULL; the translation says so
explicitly (IF(COUNT(...) = 0, NULL, ARRAY_AGG(...))) rather than rely on how BigQuery treats
an all-ignored input. ORDER BY inside is kept (NULL placement by ordering.order_nulls);
array_agg(DISTINCT x) is sorted by x, because PostgreSQL sorts to find distinct values.
Used as a window function it is refused.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("array_agg")


_ELEMENTS = (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)


def _value(node: exp.ArrayAgg) -> exp.Expr:
    inner = node.this.this if isinstance(node.this, exp.Order) else node.this
    if isinstance(inner, exp.Distinct):
        return inner.expressions[0]
    return inner


def _is_distinct(node: exp.ArrayAgg) -> bool:
    inner = node.this.this if isinstance(node.this, exp.Order) else node.this
    return isinstance(inner, exp.Distinct)


@construct.rule(exp.ArrayAgg)
def _array_agg(t: Typer, node: exp.ArrayAgg) -> str | None:
    value = _value(node)
    element = t.types.get(id(value))
    if element == T.UNKNOWN:
        t.settle(value, T.STRING)
        element = T.STRING
    if element not in _ELEMENTS:
        raise unsupported(f"array_agg() of {(element or 'unknown').lower()}")
    if node.find_ancestor(exp.Window, exp.Select) is not None and isinstance(
        node.find_ancestor(exp.Window, exp.Select), exp.Window
    ):
        raise unsupported("array_agg() as a window function")
    if _is_distinct(node) and isinstance(node.this, exp.Order):
        raise unsupported("array_agg(DISTINCT ... ORDER BY ...)", hint="PostgreSQL sorts by the value itself")
    if not _never_null(t, node, value):
        raise unsupported(
            "array_agg() of a value that may be NULL",
            hint="BigQuery arrays cannot hold NULL; add FILTER (WHERE x IS NOT NULL)",
        )
    return T.array_of(element)


def _never_null(t: Typer, node: exp.ArrayAgg, value: exp.Expr) -> bool:
    if isinstance(value, exp.Literal) or id(value) in t.required:
        return True
    filter_ = node.parent if isinstance(node.parent, exp.Filter) else None
    if filter_ is None:
        return False
    condition = filter_.expression.this
    tests = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    wanted = value.sql("postgres")
    return any(is_not_null_test(test, wanted) for test in tests)


def is_not_null_test(test: exp.Expr, wanted: str) -> bool:
    if isinstance(test, exp.Not) and isinstance(test.this, exp.Is):
        test = exp.Is(this=test.this.this, expression=test.this.expression, negate=True)
    return (
        isinstance(test, exp.Is)
        and bool(test.args.get("negate"))
        and isinstance(test.expression, exp.Null)
        and test.this.sql("postgres") == wanted
    )


@construct.fixup(exp.ArrayAgg)
def _array_agg_fix(t: Typer, node: exp.ArrayAgg) -> exp.Expr:
    # FILTER's condition moves into a CASE here (the FILTER fixup then keeps this as it is);
    # the NULLs it produces are dropped by IGNORE NULLS, and an empty result is NULL.
    filter_ = node.parent if isinstance(node.parent, exp.Filter) else None
    if filter_ is not None:
        _keep_only(node, filter_.expression.this)
    if _is_distinct(node):  # BigQuery wants the DISTINCT argument itself as the sort key
        ordered = exp.Ordered(this=_value(node).copy(), nulls_first=True)  # no NULLs reach it
        node.set("this", exp.Order(this=node.this, expressions=[ordered]))
    counted = exp.Count(this=_value(node).copy())
    empty = exp.EQ(this=counted, expression=exp.Literal.number(0))
    aggregate = exp.IgnoreNulls(this=node.copy())  # a copy: apply_fixups replaces `node` itself
    return exp.If(this=empty, true=exp.Null(), false=aggregate)


def _keep_only(node: exp.ArrayAgg, condition: exp.Expr) -> None:
    """FILTER (WHERE c) as CASE WHEN c THEN x END on the aggregated value (NULLs then ignored)."""
    value = _value(node)
    value.replace(exp.Case(ifs=[exp.If(this=condition.copy(), true=value.copy())]))
