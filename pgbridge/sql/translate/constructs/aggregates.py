"""Aggregates: count, sum, avg, min, max, stddev / variance, bool_and / bool_or / every,
string_agg, FILTER.

Result types follow PostgreSQL's catalogue: count is int8, sum(int4) int8, sum(int8) numeric
(cast before summing), sum(numeric) numeric. avg of integers or numerics is PostgreSQL's
numeric with its own display scale: translated only as an output column (numeric_exact.py),
refused elsewhere; stddev and variance only of float8. An aggregate's FILTER (WHERE c) becomes
a CASE inside the aggregate.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import scales
from pgbridge.sql.translate.build import cast, type_at
from pgbridge.sql.translate.checks import want
from pgbridge.sql.translate.constructs import avg_compare, numeric_exact
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("aggregates")


@construct.rule(exp.Count)
def _count(t: Typer, node: exp.Count) -> str | None:
    if node.expressions:
        raise unsupported("count() with several arguments")
    return T.INT


@construct.rule(exp.Sum)
def _sum(t: Typer, node: exp.Sum) -> str | None:
    arg = want(t, node.this, (T.INT, T.FLOAT, T.NUMERIC), "sum()")
    if arg == T.INT:
        return T.INT if id(node.this) in t.int4 else T.NUMERIC  # sum(int4) is int8, sum(int8) numeric
    if arg == T.NUMERIC:
        numeric_exact.mark_aggregate(t, node, "sum")  # printed with its inputs' largest scale
    return arg


@construct.rule(exp.Avg)
def _avg(t: Typer, node: exp.Avg) -> str | None:
    arg = want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), "avg()")
    if arg != T.FLOAT and numeric_exact.mark_aggregate(t, node, "avg"):
        return T.NUMERIC  # PostgreSQL's digits, as an output column
    if arg != T.FLOAT:
        avg_compare.pending(t, node, arg.lower() if arg else "this")  # compared, or refused
        return T.NUMERIC
    return T.FLOAT


@construct.rule(exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop)
def _stddev(t: Typer, node: exp.Func) -> str | None:
    arg = want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), f"{node.sql_name().lower()}()")
    if arg != T.FLOAT:
        raise unsupported(
            f"{node.sql_name().lower()}() of {arg.lower() if arg else 'this'}",
            hint="PostgreSQL returns numeric here; use a float8 argument",
        )
    return T.FLOAT


@construct.rule(exp.Min, exp.Max)
def _min_max(t: Typer, node: exp.Func) -> str | None:
    if node.expressions:
        raise unsupported(f"{node.sql_name().lower()}() with several arguments")
    return want(
        t,
        node.this,
        (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.DATE, T.DATETIME, T.TIMESTAMP),
        f"{node.sql_name().lower()}()",
    )


@construct.rule(exp.LogicalAnd, exp.LogicalOr)
def _bool_agg(t: Typer, node: exp.Func) -> str | None:
    want(t, node.this, (T.BOOL,), "bool_and()/bool_or()")
    return T.BOOL


@construct.rule(exp.GroupConcat)
def _string_agg(t: Typer, node: exp.GroupConcat) -> str | None:
    value = node.this.this if isinstance(node.this, exp.Order) else node.this
    want(t, value, (T.STRING,), "string_agg()")
    separator = node.args.get("separator")
    if not (isinstance(separator, exp.Literal) and separator.is_string):
        raise unsupported("string_agg() with a separator that is not a string literal")
    t.settle(separator, T.STRING)
    return T.STRING


@construct.rule(exp.Filter)
def _filter(t: Typer, node: exp.Filter) -> str | None:
    if not isinstance(
        node.this,
        (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg, exp.LogicalAnd, exp.LogicalOr, exp.ArrayAgg),
    ):
        raise unsupported(f"FILTER on {node.this.sql_name().lower()}()")
    return t.types.get(id(node.this))


@construct.fixup(exp.Sum)
def _sum_fix(t: Typer, node: exp.Sum) -> exp.Expr | None:
    if type_at(t, node.this) == T.INT and type_at(t, node) == T.NUMERIC:  # sum(int8), not sum(int4)
        return exp.Sum(this=cast(node.this, T.NUMERIC))
    return None


@construct.fixup(exp.Filter)
def _filter_fix(t: Typer, node: exp.Filter) -> exp.Expr:
    agg = node.this
    if not isinstance(agg, exp.AggFunc):
        return agg  # array_agg folded the condition in itself
    condition = node.expression.this
    value = agg.this
    if isinstance(value, exp.Star):
        value = exp.Literal.number(1)
    guarded = exp.Case(ifs=[exp.If(this=condition, true=value)])
    guarded.meta[scales.FILTER_GUARD_KEY] = True  # a sum's display scale counts these rows only
    agg.set("this", guarded)
    return agg


@construct.rule("every")
def _every(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("every() without exactly one argument")
    want(t, node.expressions[0], (T.BOOL,), "every()")
    if isinstance(node.parent, (exp.Filter, exp.Window)):
        raise unsupported("every() with FILTER or OVER", hint="bool_and() is the same aggregate")
    return T.BOOL


@construct.fixup("every")
def _every_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    return exp.LogicalAnd(this=node.expressions[0])  # SQL's every() is bool_and()
