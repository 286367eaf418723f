"""The allow-list: one rule per sqlglot node class that translation may pass.

Each rule returns the node's PostgreSQL type (pgtypes spelling) or refuses with 0A000 when
BigQuery would compute something different and fixups.py has no exact rewrite for it. A
node class missing here is refused by the typer. Every rule below is exercised by the
differential corpus in tests/sql against a real PostgreSQL; the refusals by the refusal
corpus. Comments give the PostgreSQL/BigQuery difference each refusal guards against.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.typer import Typer, rule
from pgbridge.wire.errors import unsupported

# -- structure -------------------------------------------------------------------------------


@rule(
    exp.From,
    exp.Where,
    exp.Group,
    exp.Having,
    exp.Order,
    exp.With,
    exp.Table,
    exp.TableAlias,
    exp.Identifier,
    exp.Var,
    exp.DataTypeParam,
    exp.Star,
    exp.Null,
    exp.LimitOptions,
)
def _structure(t: Typer, node: exp.Expr) -> str | None:
    return T.UNKNOWN if isinstance(node, exp.Null) else None


@rule(exp.DataType)
def _data_type(t: Typer, node: exp.DataType) -> str | None:
    return None


@rule(exp.Select)
def _select(t: Typer, node: exp.Select) -> str | None:
    _check_select(node)
    distinct = node.args.get("distinct")
    if distinct is not None and distinct.args.get("on") is not None:
        from pgbridge.sql.distinct_on import check_distinct_on

        check_distinct_on(t, node)
    if len(node.expressions) == 1:
        return t.types.get(id(node.expressions[0]))
    return None


def _check_select(node: exp.Select) -> None:
    for arg in ("locks", "into", "laterals", "prewhere", "qualify", "connect", "sample", "kind", "settings"):
        if node.args.get(arg):
            raise unsupported(f"SELECT ... {arg.upper()}")
    group = node.args.get("group")
    if group is not None and any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup", "totals")):
        raise unsupported("GROUPING SETS / ROLLUP / CUBE in this form")
    limit = node.args.get("limit")
    if isinstance(limit, exp.Fetch) and limit.args.get("limit_options") is not None:
        options = limit.args["limit_options"]
        if options.args.get("percent") or options.args.get("with_ties"):
            raise unsupported("FETCH ... PERCENT / WITH TIES")


@rule(exp.Distinct)
def _distinct(t: Typer, node: exp.Distinct) -> str | None:
    if len(node.expressions) > 1:
        raise unsupported("COUNT(DISTINCT a, b)", hint="PostgreSQL itself has no such aggregate")
    return t.types.get(id(node.expressions[0])) if node.expressions else None


@rule(exp.Subquery)
def _subquery(t: Typer, node: exp.Subquery) -> str | None:
    if node.args.get("lateral"):
        raise unsupported("LATERAL subquery")
    return t.types.get(id(node.this))


@rule(exp.CTE)
def _cte(t: Typer, node: exp.CTE) -> str | None:
    if node.args.get("materialized") is not None:
        raise unsupported("WITH ... [NOT] MATERIALIZED")
    with_ = node.parent
    if isinstance(with_, exp.With) and with_.args.get("recursive"):
        body = node.this
        if isinstance(body, exp.Union) and body.args.get("distinct"):
            raise unsupported("recursive WITH using UNION (without ALL)")
    return None


@rule(exp.Join)
def _join(t: Typer, node: exp.Join) -> str | None:
    if node.args.get("method") or node.kind in ("SEMI", "ANTI", "ASOF"):
        raise unsupported(f"{node.args.get('method') or node.kind} JOIN")
    if isinstance(node.this, exp.Subquery) and node.this.args.get("lateral"):
        raise unsupported("LATERAL subquery")
    if node.args.get("using"):
        raise unsupported("JOIN ... USING here", hint="write the join condition with ON")
    return None


@rule(exp.Union, exp.Intersect, exp.Except)
def _set_operation(t: Typer, node: exp.SetOperation) -> str | None:
    left, right = node.left.selects, node.right.selects
    if len(left) != len(right):
        return None  # PostgreSQL reports the mismatch; so will BigQuery
    out = [T.common_type([t.types.get(id(a)), t.types.get(id(b))]) for a, b in zip(left, right, strict=True)]
    if None in out:
        raise unsupported(
            f"mixing these types in one {node.key.upper()} column", hint="cast the columns to one type"
        )
    for side in (left, right):
        for projection, target in zip(side, out, strict=True):
            _settle_projection(t, projection, target)
    if not isinstance(node, exp.Union) and not node.args.get("distinct"):
        from pgbridge.sql.setops_all import check_all

        check_all(node, out)
    t.setop_out[id(node)] = out
    return out[0] if len(out) == 1 else None


def _settle_projection(t: Typer, projection: exp.Expr, target: str | None) -> None:
    inner = projection.this if isinstance(projection, exp.Alias) else projection
    if target is not None and t.types.get(id(inner)) == T.UNKNOWN and not isinstance(inner, exp.Null):
        t.settle(inner, target)


@rule(exp.Values)
def _values(t: Typer, node: exp.Values) -> str | None:
    if not isinstance(node.parent, (exp.From, exp.Join, exp.Subquery)) or not node.args.get("alias"):
        raise unsupported("VALUES outside FROM ... AS name(columns)")
    rows = node.expressions
    width = len(rows[0].expressions)
    for index in range(width):
        column = [row.expressions[index] for row in rows]
        target = T.common_type([t.types.get(id(c)) for c in column])
        if any(isinstance(c, exp.Null) for c in column):
            raise unsupported("NULL in VALUES", hint="cast it, e.g. NULL::int8, in a SELECT")
        for cell in column:
            t.settle(cell, target)
    return None


@rule(exp.Rollup, exp.Cube, exp.GroupingSets)
def _grouping_sets(t: Typer, node: exp.Expr) -> str | None:
    # PostgreSQL and BigQuery both add the rows of each grouping set, NULL in the columns a
    # set leaves out; nesting (ROLLUP inside GROUPING SETS) is refused for simplicity.
    if not isinstance(node.parent, exp.Group):
        raise unsupported(f"{node.key.upper()} inside another grouping construct")
    for item in node.expressions:
        inner = item.this if isinstance(item, exp.Paren) else item
        if isinstance(inner, (exp.Rollup, exp.Cube, exp.GroupingSets)):
            raise unsupported(f"{inner.key.upper()} inside another grouping construct")
    return None


@rule(exp.Grouping)
def _grouping(t: Typer, node: exp.Grouping) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("grouping() of several columns", hint="PostgreSQL returns a bit mask; use one each")
    return T.INT


@rule(exp.Tuple)
def _tuple(t: Typer, node: exp.Tuple) -> str | None:
    if isinstance(node.parent, (exp.GroupingSets, exp.Cube, exp.Rollup)):
        return None
    if not isinstance(node.parent, (exp.Values, exp.In)) and node.arg_key != "on":
        raise unsupported("row constructor (a, b)")
    return None


@rule(exp.TableColumn)
def _table_column(t: Typer, node: exp.TableColumn) -> str | None:
    from pgbridge.sql.rowrefs import refused

    if t.types.get(id(node)) == T.ROW:  # typed with its scope (rowrefs)
        return T.ROW
    raise refused(node.name)


@rule(exp.Alias)
def _alias(t: Typer, node: exp.Alias) -> str | None:
    return t.types.get(id(node.this))


@rule(exp.Paren)
def _paren(t: Typer, node: exp.Paren) -> str | None:
    return t.types.get(id(node.this))


@rule(exp.Column)
def _column(t: Typer, node: exp.Column) -> str | None:
    return t.types.get(id(node))


@rule(exp.Ordered)
def _ordered(t: Typer, node: exp.Ordered) -> str | None:
    if t.types.get(id(node.this)) == T.JSON:
        raise unsupported("ORDER BY a json value")
    if node.args.get("with_fill"):
        raise unsupported("ORDER BY ... WITH FILL")
    return None


@rule(exp.Limit, exp.Fetch, exp.Offset)
def _limit(t: Typer, node: exp.Expr) -> str | None:
    count = node.args.get("count") if isinstance(node, exp.Fetch) else node.args.get("expression")
    if isinstance(count, exp.Var):
        raise unsupported("LIMIT ALL", hint="leave the LIMIT out")
    if count is not None:
        t.settle(count, T.INT)
    return None


# -- literals and parameters -----------------------------------------------------------------

_INT64 = (-(2**63), 2**63 - 1)


@rule(exp.Literal)
def _literal(t: Typer, node: exp.Literal) -> str | None:
    if node.is_string:
        return T.UNKNOWN
    text = str(node.this)
    if re.fullmatch(r"\d+", text):
        if int(text) > _INT64[1]:
            raise unsupported(f"integer literal {text} beyond int8")
        return T.INT
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise unsupported(f"numeric literal {text}") from None
    exponent = value.as_tuple().exponent
    if "e" in text.lower() or not isinstance(exponent, int) or -exponent > 9 or len(text) > 38:
        raise unsupported(f"numeric literal {text}", hint="BigQuery NUMERIC keeps 9 decimal places")
    from pgbridge.sql import numeric_exact

    t.set_type(node, T.NUMERIC)
    numeric_exact.mark_literal(t, node, text)  # `SELECT 1.50` prints 1.50
    return T.NUMERIC


@rule(exp.RawString)
def _raw_string(t: Typer, node: exp.RawString) -> str | None:
    return T.UNKNOWN


@rule(exp.Boolean)
def _boolean(t: Typer, node: exp.Boolean) -> str | None:
    return T.BOOL


@rule(exp.Parameter, exp.Placeholder)
def _parameter(t: Typer, node: exp.Expr) -> str | None:
    number = t.param_number(node)
    if number is None:
        raise unsupported(f"parameter {node.sql('postgres')}")
    t.param_nodes.setdefault(number, []).append(node)
    declared = t.declared[number - 1] if number <= len(t.declared) else None
    if declared is not None:
        t.param_types[number] = declared
        return declared
    return t.param_types.get(number, T.UNKNOWN)


@rule(exp.Interval)
def _interval(t: Typer, node: exp.Interval) -> str | None:
    from pgbridge.sql.literals import parse_interval

    text = node.this.name if isinstance(node.this, exp.Literal) else None
    if text is None or isinstance(node.args.get("unit"), exp.IntervalSpan):
        raise unsupported(f"interval {node.sql('postgres')}", hint="write interval '3 days'")
    node.meta[INTERVAL_KEY] = parse_interval(text, node.text("unit"))
    return T.INTERVAL


INTERVAL_KEY = "pg_interval"  # node.meta: the literal's value (literals.IntervalValue)


_INTERVAL_UNITS = {
    "year": "YEAR",
    "month": "MONTH",
    "week": "WEEK",
    "day": "DAY",
    "hour": "HOUR",
    "minute": "MINUTE",
    "second": "SECOND",
}


def interval_parts(node: exp.Interval) -> tuple[int, str] | None:
    """(count, BigQuery unit) of a single-unit integer interval literal, else None."""
    text = node.this.name if isinstance(node.this, exp.Literal) else ""
    unit = node.text("unit")
    match = re.fullmatch(r"\s*(-?\d+)\s*([a-zA-Z]*)\s*", text)
    if match is None:
        return None
    word = (match.group(2) or unit).lower().rstrip("s")
    if (match.group(2) and unit) or word not in _INTERVAL_UNITS:
        return None
    return int(match.group(1)), _INTERVAL_UNITS[word]
