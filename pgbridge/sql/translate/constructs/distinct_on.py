"""SELECT DISTINCT ON (keys) as ROW_NUMBER() OVER (PARTITION BY keys ORDER BY ...) = 1.

PostgreSQL keeps the first row of each group of equal keys in the query's ORDER BY order,
which must begin with the keys (it errors otherwise; so does pgbridge). Among rows that tie
on the whole ORDER BY, PostgreSQL keeps whichever its sort put first, an unspecified choice;
ROW_NUMBER() makes its own unspecified choice, so results can differ exactly where
PostgreSQL's own are not determined (order by enough columns to make them so). Without an
ORDER BY the kept row is unspecified in both.

The window is evaluated after GROUP BY and HAVING, like DISTINCT ON, and before ORDER BY and
LIMIT. BigQuery wants a WHERE, GROUP BY or HAVING next to QUALIFY: WHERE TRUE is added.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.constructs.ordering import order_nulls
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("distinct on")


def _by_output(select: exp.Select, node: exp.Expr) -> exp.Expr:
    """An ORDER BY / DISTINCT ON item as an expression: output names mean their projections."""
    if isinstance(node, exp.Column) and not node.table:
        for projection in select.expressions:
            if isinstance(projection, exp.Alias) and projection.alias == node.name:
                return projection.this
    return node


def check_distinct_on(t: Typer, select: exp.Select) -> None:
    keys = [_by_output(select, k).sql("postgres") for k in select.args["distinct"].args["on"].expressions]
    order = select.args.get("order")
    for key in select.args["distinct"].args["on"].expressions:
        type_ = t.types.get(id(_by_output(select, key)))
        if type_ == T.JSON or T.element_of(type_) is not None:
            raise unsupported("DISTINCT ON a json or array value")
    if order is None:
        return
    if any(_by_output(select, o.this).find(exp.Window) for o in order.expressions):
        raise unsupported("SELECT DISTINCT ON with a window function in ORDER BY")
    leading = [_by_output(select, o.this).sql("postgres") for o in order.expressions[: len(keys)]]
    if sorted(leading) != sorted(keys):
        raise unsupported(
            "SELECT DISTINCT ON expressions that do not match the initial ORDER BY expressions",
            hint="PostgreSQL requires ORDER BY to start with the DISTINCT ON expressions",
        )


@construct.fixup(exp.Select)
def _distinct_on(t: Typer, select: exp.Select) -> exp.Expr | None:
    distinct = select.args.get("distinct")
    if distinct is None or distinct.args.get("on") is None:
        return None
    keys = [_by_output(select, k).copy() for k in distinct.args["on"].expressions]
    order = select.args.get("order")
    spec: dict[str, object] = {"partition_by": keys}
    if order is not None:
        items = [o.copy() for o in order.expressions]
        for item in items:
            item.set("this", _by_output(select, item.this).copy())
        spec["order"] = exp.Order(expressions=items)
    window = exp.Window(this=exp.RowNumber(), **spec)
    if window.args.get("order") is not None:
        order_nulls(t, window.args["order"])
    select.set("distinct", None)
    select.set("qualify", exp.Qualify(this=exp.EQ(this=window, expression=exp.Literal.number(1))))
    if select.args.get("where") is None and select.args.get("group") is None:
        select.set("where", exp.Where(this=exp.true()))
    return select

