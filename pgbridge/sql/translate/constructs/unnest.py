"""unnest() and generate_series() as BigQuery UNNEST joins, in FROM and in the select list.

In FROM, `FROM products p, unnest(p.tags) AS t(tag)` is a lateral cross join in both
engines: a row with a NULL or empty array yields no rows. BigQuery names an UNNEST's value,
not its table, so each unnest column gets a unique name (`t.tag` -> `_unnest_t_tag`) that
cannot collide with a table column.

In the select list, PostgreSQL runs a set-returning function once per input row and emits
one output row per element (ProjectSet), before DISTINCT, ORDER BY and LIMIT: the same as a
lateral join of the FROM clause with the array, which is the rewrite. Where that stops being
the same it is refused: two set-returning functions in one select list (PostgreSQL zips
them), one under an aggregate, window or GROUP BY (PostgreSQL expands after grouping), or
inside CASE / COALESCE (PostgreSQL refuses it itself).

generate_series(a, b[, step]) of integers is UNNEST(GENERATE_ARRAY(a, b, step)); a step of
0 is refused (PostgreSQL errors). Of timestamps, with a positive interval step of fixed
length (no months; no days for timestamptz, whose days follow the session zone's calendar),
it is GENERATE_TIMESTAMP_ARRAY with the step in microseconds: timestamp (no zone) values go
through UTC, which has no DST, so adding the step is plain arithmetic in both.
WITH ORDINALITY is refused (BigQuery's offset counts from 0
and is not a column of the unnest's table alias).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.literals import parse_interval
from pgbridge.sql.translate.build import call
from pgbridge.sql.translate.constructs.intervals import INTERVAL_KEY
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("unnest and generate_series")


_SRF = (exp.Explode, exp.ExplodingGenerateSeries)
_NOT_UNDER = (exp.AggFunc, exp.Window, exp.Case, exp.Coalesce, exp.If, exp.Subquery, exp.Filter)


# -- typing ----------------------------------------------------------------------------------


@construct.rule(exp.Unnest)
def _unnest(t: Typer, node: exp.Unnest) -> str | None:
    if node.args.get("offset"):
        raise unsupported("unnest() WITH ORDINALITY")
    if len(node.expressions) != 1:
        raise unsupported("unnest() of several arrays")
    if not isinstance(node.parent, (exp.From, exp.Join)):
        raise unsupported("unnest() here", hint="use it in FROM or in the select list")
    join = node.parent
    if isinstance(join, exp.Join) and (join.side or join.args.get("on") or join.args.get("using")):
        raise unsupported("outer join with unnest()", hint="use FROM t, unnest(t.a) AS u(x)")
    if T.element_of(t.types.get(id(node.expressions[0]))) is None:
        raise unsupported("unnest() of something that is not an array")
    return None


def unnest_element_type(t: Typer, node: exp.Unnest) -> str | None:
    return T.element_of(t.types.get(id(node.expressions[0]))) if node.expressions else None


@construct.rule(exp.Explode)
def _explode(t: Typer, node: exp.Explode) -> str | None:
    _check_select_list_srf(node)
    element = T.element_of(t.types.get(id(node.this)))
    if element is None:
        raise unsupported("unnest() of something that is not an array")
    return element


@construct.rule(exp.ExplodingGenerateSeries)
def _generate_series(t: Typer, node: exp.ExplodingGenerateSeries) -> str | None:
    if isinstance(node.parent, exp.Table):
        _check_built_in(node.parent)
        if node.parent.args.get("alias") is not None and node.parent.alias_column_names[1:]:
            raise unsupported("generate_series() with several column names")
    else:
        _check_select_list_srf(node)
    start = t.types.get(id(node.args["start"]))
    if start in (T.DATETIME, T.TIMESTAMP) or t.types.get(id(node.args["end"])) in (T.DATETIME, T.TIMESTAMP):
        return _timestamp_series(t, node)
    for bound in (node.args["start"], node.args["end"]):
        t.settle(bound, T.INT)
        if t.types.get(id(bound)) != T.INT:
            raise unsupported("generate_series() of other than integers")
    step = node.args.get("step")
    if step is not None:
        t.settle(step, T.INT)
        if not _nonzero_int_literal(step):
            raise unsupported("generate_series() with a step that is not a non-zero integer literal")
    return T.INT


def _check_built_in(table: exp.Table) -> None:
    # `shop.generate_series(...)` names a function of dataset shop, not the built-in one.
    schema = table.args.get("db")
    if table.args.get("catalog") is not None or (schema is not None and schema.name != "pg_catalog"):
        raise unsupported(f"function {schema.name if schema else ''}.generate_series()")


SERIES_STEP = "pg_series_step"  # node.meta: a timestamp series' step in microseconds
SERIES_ZONED = "pg_series_via_utc"  # node.meta: timestamp (no zone) bounds, stepped in UTC


def _timestamp_series(t: Typer, node: exp.ExplodingGenerateSeries) -> str | None:
    bounds = [node.args["start"], node.args["end"]]
    kind = next(t.types.get(id(b)) for b in bounds if t.types.get(id(b)) in (T.DATETIME, T.TIMESTAMP))
    for bound in bounds:
        t.settle(bound, kind)
        if t.types.get(id(bound)) != kind:
            raise unsupported("generate_series() of a timestamp and another type")
    step = node.args.get("step")
    if isinstance(step, exp.Literal) and step.is_string:
        value = parse_interval(step.this)
    elif isinstance(step, exp.Interval) and INTERVAL_KEY in step.meta:
        value = step.meta[INTERVAL_KEY]
    else:
        raise unsupported("generate_series() of timestamps with a step that is not an interval literal")
    micros = value.days * 86_400_000_000 + value.micros
    if value.months or micros <= 0 or (kind == T.TIMESTAMP and value.days):
        raise unsupported(
            "generate_series() of timestamps with this step",
            hint="use a positive step in hours, minutes or seconds (or days, for timestamp without zone)",
        )
    node.meta[SERIES_STEP] = micros
    node.meta[SERIES_ZONED] = kind == T.DATETIME  # computed in UTC, returned as local time
    return kind


def _nonzero_int_literal(node: exp.Expr) -> bool:
    inner = node.this if isinstance(node, exp.Neg) else node
    return isinstance(inner, exp.Literal) and inner.is_int and int(inner.this) != 0


def _check_select_list_srf(node: exp.Expr) -> None:
    select = node.parent
    while select is not None and not isinstance(select, exp.Select):
        if isinstance(select, _NOT_UNDER):
            raise unsupported(f"set-returning {_name(node)} inside {select.key}")
        select = select.parent
    if select is None or not any(
        p is node or node in list(p.find_all(type(node))) for p in select.expressions
    ):
        raise unsupported(f"set-returning {_name(node)} outside the select list")
    found = [n for p in select.expressions for n in p.find_all(*_SRF)]
    if len(found) > 1:
        raise unsupported("several set-returning functions in one select list")
    if select.args.get("group") or any(p.find(exp.AggFunc, exp.Window) for p in select.expressions):
        raise unsupported(f"set-returning {_name(node)} with GROUP BY, aggregates or window functions")


def _name(node: exp.Expr) -> str:
    return "unnest()" if isinstance(node, exp.Explode) else "generate_series()"


# -- rewriting -------------------------------------------------------------------------------


def _series_array(node: exp.Expr) -> exp.Expr:
    micros = node.meta.get(SERIES_STEP)
    if micros is not None:
        return _timestamp_array(node, micros)
    args = [node.args["start"], node.args["end"]]
    if node.args.get("step") is not None:
        args.append(node.args["step"])
    return call("GENERATE_ARRAY", *args)


def _timestamp_array(node: exp.Expr, micros: int) -> exp.Expr:
    step = exp.Interval(this=exp.Literal.number(micros), unit=exp.Var(this="MICROSECOND"))
    start, end = node.args["start"], node.args["end"]
    if not node.meta.get(SERIES_ZONED):
        return call("GENERATE_TIMESTAMP_ARRAY", start, end, step)
    utc = exp.Literal.string("UTC")
    stamps = call(
        "GENERATE_TIMESTAMP_ARRAY", call("TIMESTAMP", start, utc), call("TIMESTAMP", end, utc.copy()), step
    )
    value = exp.to_identifier("_pgbridge_t")
    local = call("DATETIME", exp.column(value.copy()), utc.copy())
    query = exp.select(local).from_(exp.Unnest(expressions=[stamps], alias=exp.TableAlias(columns=[value])))
    return exp.Array(expressions=[query])


@construct.fixup(exp.Unnest)
def _unnest_fix(t: Typer, node: exp.Unnest) -> exp.Expr:
    return _renamed_unnest(node, node.expressions[0])


def _renamed_unnest(node: exp.Expr, array: exp.Expr) -> exp.Expr:
    """UNNEST(array) AS a unique value name; the alias's column references renamed to match."""
    alias = node.args["alias"]
    table, column = alias.name, alias.columns[0].name
    unique = f"_unnest_{table}_{column}"
    for ref in list(node.root().find_all(exp.Column)):
        if ref.table == table and ref.name == column:
            ref.set("table", None)
            ref.set("this", exp.to_identifier(unique))
    return exp.Unnest(expressions=[array], alias=exp.TableAlias(columns=[exp.to_identifier(unique)]))


@construct.fixup(exp.Table)
def _series_table(t: Typer, node: exp.Table) -> exp.Expr | None:
    series = node.this
    if not isinstance(series, exp.ExplodingGenerateSeries):
        return None
    return _renamed_unnest(node, _series_array(series))  # resolve named its alias and column


@construct.fixup(exp.Explode, exp.ExplodingGenerateSeries)
def _select_list_srf(t: Typer, node: exp.Expr) -> exp.Expr | None:
    if isinstance(node.parent, exp.Table):
        return None  # generate_series in FROM: the Table fixup rewrites it
    select = node.find_ancestor(exp.Select)
    assert select is not None  # the typer allowed it only in a select list
    array = node.this if isinstance(node, exp.Explode) else _series_array(node)
    name = f"_unnest_{len(list(select.find_all(exp.Unnest)))}"
    unnest = exp.Unnest(expressions=[array], alias=exp.TableAlias(columns=[exp.to_identifier(name)]))
    if select.args.get("from_") is None:
        select.set("from_", exp.From(this=unnest))
    else:
        select.append("joins", exp.Join(this=unnest, kind="CROSS"))
    return exp.column(name)
