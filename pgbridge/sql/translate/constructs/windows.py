"""Window functions: OVER (...), row_number, rank, dense_rank, ntile, percent_rank, cume_dist,
lag, lead, first_value, last_value, nth_value.

Frames are translated as written except GROUPS, EXCLUDE and RANGE with an offset, which
BigQuery reads differently; rank() and friends as ordered-set aggregates are refused, and a
lag/lead offset and an nth_value position must be integer literals (nth_value's at least 1:
PostgreSQL fails on 0).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.checks import need_literal
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("windows")


@construct.rule(exp.Window)
def _window(t: Typer, node: exp.Window) -> str | None:
    spec = node.args.get("spec")
    if spec is not None and (spec.args.get("exclude") or spec.args.get("kind", "").upper() == "GROUPS"):
        raise unsupported("window frame GROUPS / EXCLUDE")
    if spec is not None and spec.args.get("kind", "").upper() == "RANGE":
        for bound in (spec.args.get("start"), spec.args.get("end")):
            if bound not in (None, "UNBOUNDED", "CURRENT ROW"):
                raise unsupported("RANGE frame with an offset")
    if node.args.get("alias") is not None and not node.this:
        return None
    return t.types.get(id(node.this))


@construct.rule(exp.WindowSpec)
def _window_spec(t: Typer, node: exp.WindowSpec) -> str | None:
    return None


@construct.rule(exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)
def _ranking(t: Typer, node: exp.Func) -> str | None:
    if isinstance(node, (exp.Rank, exp.DenseRank)) and node.expressions:
        raise unsupported("rank() as an ordered-set aggregate")
    return T.INT


@construct.rule(exp.PercentRank, exp.CumeDist)
def _distribution(t: Typer, node: exp.Func) -> str | None:
    if node.expressions:
        raise unsupported(f"{node.sql_name().lower()}() as an ordered-set aggregate")
    return T.FLOAT


@construct.rule(exp.Lag, exp.Lead)
def _lag_lead(t: Typer, node: exp.Func) -> str | None:
    need_literal(node.args.get("offset"), "lag/lead offset", 0)
    value = t.types.get(id(node.this))
    default = node.args.get("default")
    if default is not None:
        t.settle(default, value)
        if T.common_type([value, t.types.get(id(default))]) != value:
            raise unsupported("lag/lead default of another type")
    return value


@construct.rule(exp.FirstValue, exp.LastValue)
def _first_last(t: Typer, node: exp.Func) -> str | None:
    return t.types.get(id(node.this))


@construct.rule(exp.NthValue)
def _nth_value(t: Typer, node: exp.NthValue) -> str | None:
    if node.args.get("from_first") is not None:
        raise unsupported("nth_value() FROM FIRST / FROM LAST")
    need_literal(node.args.get("offset"), "nth_value position", 1)
    return t.types.get(id(node.this))
