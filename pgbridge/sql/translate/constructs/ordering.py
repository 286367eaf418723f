"""ORDER BY, LIMIT, OFFSET and FETCH FIRST, and where NULLs sort.

BigQuery has NULLS FIRST / LAST only in a query's ORDER BY; inside OVER (...) and aggregates
its NULL position is fixed (first ascending, last descending), so where PostgreSQL wants the
other end the fix-up sorts on `x IS NULL` first. FETCH FIRST n ROWS ONLY is LIMIT n; LIMIT ALL,
FETCH ... PERCENT / WITH TIES and ORDER BY a json value are refused.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("ordering")


@construct.rule(exp.Order)
def _order(t: Typer, node: exp.Order) -> str | None:
    return None


@construct.rule(exp.Ordered)
def _ordered(t: Typer, node: exp.Ordered) -> str | None:
    if t.types.get(id(node.this)) == T.JSON:
        raise unsupported("ORDER BY a json value")
    if node.args.get("with_fill"):
        raise unsupported("ORDER BY ... WITH FILL")
    return None


@construct.rule(exp.Limit, exp.Fetch, exp.Offset)
def _limit(t: Typer, node: exp.Expr) -> str | None:
    count = node.args.get("count") if isinstance(node, exp.Fetch) else node.args.get("expression")
    if isinstance(count, exp.Var):
        raise unsupported("LIMIT ALL", hint="leave the LIMIT out")
    if count is not None:
        t.settle(count, T.INT)
    return None


@construct.fixup(exp.Order)
def order_nulls(t: Typer, node: exp.Order) -> exp.Expr:
    # BigQuery has NULLS FIRST/LAST only in a query's ORDER BY; inside OVER (...) and
    # aggregates its NULL position is fixed (first ascending, last descending). Where
    # PostgreSQL wants the other end, sort on `x IS NULL` first.
    if isinstance(node.parent, (exp.Select, exp.SetOperation)) or node.parent is None:
        return node
    keys: list[exp.Expr] = []
    for ordered in node.expressions:
        desc = bool(ordered.args.get("desc"))
        nulls_first = bool(ordered.args.get("nulls_first"))
        if nulls_first == desc:  # PostgreSQL wants NULLs where BigQuery will not put them
            flag = exp.Is(this=ordered.this.copy(), expression=exp.Null())
            keys.append(exp.Ordered(this=flag, desc=nulls_first, nulls_first=not nulls_first))
        ordered.set("nulls_first", not desc)
        keys.append(ordered)
    node.set("expressions", keys)
    return node


@construct.fixup(exp.Fetch)
def _fetch(t: Typer, node: exp.Fetch) -> exp.Expr:
    return exp.Limit(expression=node.args.get("count") or exp.Literal.number(1))
