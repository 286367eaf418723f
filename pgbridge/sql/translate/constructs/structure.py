"""The shape of a query: SELECT, FROM, JOIN, WHERE, GROUP BY (with grouping sets), CTEs,
subqueries, VALUES, names.

These rules mostly pass the shape through and refuse its parts BigQuery reads otherwise
(SELECT ... FOR UPDATE, JOIN ... USING, MATERIALIZED CTEs, recursive UNION, row constructors,
NULL in VALUES). The one repair: BigQuery refuses WHERE / GROUP BY / HAVING without FROM,
where PostgreSQL reads one row.
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import rowrefs, scales
from pgbridge.sql.translate.constructs.distinct_on import check_distinct_on
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("structure")


@construct.rule(
    exp.From,
    exp.Where,
    exp.Group,
    exp.Having,
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


@construct.rule(exp.DataType)
def _data_type(t: Typer, node: exp.DataType) -> str | None:
    return None


@construct.rule(exp.Select)
def _select(t: Typer, node: exp.Select) -> str | None:
    _check_select(node)
    distinct = node.args.get("distinct")
    if distinct is not None and distinct.args.get("on") is not None:
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


@construct.rule(exp.Distinct)
def _distinct(t: Typer, node: exp.Distinct) -> str | None:
    if len(node.expressions) > 1:
        raise unsupported("COUNT(DISTINCT a, b)", hint="PostgreSQL itself has no such aggregate")
    return t.types.get(id(node.expressions[0])) if node.expressions else None


@construct.rule(exp.Subquery)
def _subquery(t: Typer, node: exp.Subquery) -> str | None:
    if node.args.get("lateral"):
        raise unsupported("LATERAL subquery")
    scales.note_subquery(t, node)  # (SELECT sum(n) ...) prints sum's scale, not its digits
    return t.types.get(id(node.this))


@construct.rule(exp.CTE)
def _cte(t: Typer, node: exp.CTE) -> str | None:
    if node.args.get("materialized") is not None:
        raise unsupported("WITH ... [NOT] MATERIALIZED")
    with_ = node.parent
    if isinstance(with_, exp.With) and with_.args.get("recursive"):
        body = node.this
        if isinstance(body, exp.Union) and body.args.get("distinct"):
            raise unsupported("recursive WITH using UNION (without ALL)")
    return None


@construct.rule(exp.Join)
def _join(t: Typer, node: exp.Join) -> str | None:
    if node.args.get("method") or node.kind in ("SEMI", "ANTI", "ASOF"):
        raise unsupported(f"{node.args.get('method') or node.kind} JOIN")
    if isinstance(node.this, exp.Subquery) and node.this.args.get("lateral"):
        raise unsupported("LATERAL subquery")
    if node.args.get("using"):
        raise unsupported("JOIN ... USING here", hint="write the join condition with ON")
    return None


@construct.rule(exp.Values)
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


@construct.rule(exp.Rollup, exp.Cube, exp.GroupingSets)
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


@construct.rule(exp.Grouping)
def _grouping(t: Typer, node: exp.Grouping) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("grouping() of several columns", hint="PostgreSQL returns a bit mask; use one each")
    return T.INT


@construct.rule(exp.Tuple)
def _tuple(t: Typer, node: exp.Tuple) -> str | None:
    if isinstance(node.parent, (exp.GroupingSets, exp.Cube, exp.Rollup)):
        return None
    if not isinstance(node.parent, (exp.Values, exp.In)) and node.arg_key != "on":
        raise unsupported("row constructor (a, b)")
    return None


@construct.rule(exp.TableColumn)
def _table_column(t: Typer, node: exp.TableColumn) -> str | None:
    if t.types.get(id(node)) == T.ROW:  # typed with its scope (rowrefs)
        return T.ROW
    raise rowrefs.refused(node.name)


@construct.rule(exp.Alias)
def _alias(t: Typer, node: exp.Alias) -> str | None:
    return t.types.get(id(node.this))


@construct.rule(exp.Paren)
def _paren(t: Typer, node: exp.Paren) -> str | None:
    return t.types.get(id(node.this))


@construct.rule(exp.Column)
def _column(t: Typer, node: exp.Column) -> str | None:
    return t.types.get(id(node))


@construct.fixup(exp.Select)
def _from_one_row(t: Typer, select: exp.Select) -> None:
    """BigQuery refuses WHERE / GROUP BY / HAVING without FROM; PostgreSQL reads one row."""
    if select.args.get("from_") is not None:
        return
    if any(select.args.get(k) is not None for k in ("where", "group", "having")):
        one_row = exp.Unnest(expressions=[exp.Array(expressions=[exp.Literal.number(0)])])
        select.set("from_", exp.From(this=one_row))
