"""Rewrite a typed PostgreSQL AST so that sqlglot's BigQuery output computes what PostgreSQL would.

Each fix-up is a function over one node (sqlglot optimizer style), chosen by node class and
the PostgreSQL types the typer computed. They run bottom-up, so a parent sees its children
already rewritten. The differences they repair, each checked against a real PostgreSQL by
the differential corpus:

- integer division truncates (7/2 = 3): DIV(a, b); BigQuery's `/` is always FLOAT64
- greatest/least ignore NULLs in PostgreSQL; BigQuery returns NULL if any argument is NULL
- concat() skips NULLs; lower/upper/ILIKE fold ASCII only (the C collation pgbridge emulates)
- trim() strips spaces only (BigQuery: all whitespace); split_part has no BigQuery twin
- round(float8) rounds half to even; float8 -> integer casts too
- sum(int8) and extract() are numeric; date - date is an integer; date + interval a timestamp
- a[i] out of range is NULL (SAFE_ORDINAL); array_length('{}', 1) is NULL
- x = ANY(NULL array) is NULL, BigQuery's IN UNNEST(NULL) is FALSE
- aggregate FILTER (WHERE c) becomes a CASE inside the aggregate
- untyped 'literals' take the type of what they meet; 1.5 is numeric, not FLOAT64
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql import timefix
from pgbridge.sql.casts import LITERAL_KEY, NO_OP, VARCHAR_KEY, ZONED_CASTS
from pgbridge.sql.rules import INTERVAL_KEY, interval_parts
from pgbridge.sql.rules_funcs import trunc_unit
from pgbridge.sql.typer import Typer
from pgbridge.sql.zones import explicit_zone
from pgbridge.wire.errors import PgError, SqlState

Fixup = Callable[[Typer, Any], "exp.Expr | None"]
FIXUPS: dict[type[exp.Expr], Fixup] = {}


def fixup(*classes: type[exp.Expr]) -> Callable[[Fixup], Fixup]:
    def register(func: Fixup) -> Fixup:
        for cls in classes:
            FIXUPS[cls] = func
        return func

    return register


def apply_fixups(t: Typer, ast: exp.Expr) -> exp.Expr:
    nodes = list(ast.walk(bfs=False))
    for node in reversed(nodes):  # children before their parents
        func = FIXUPS.get(type(node))
        if func is None:
            continue
        replacement = func(t, node)
        if replacement is not None and replacement is not node:
            t.types[id(replacement)] = t.types.get(id(node))
            replacement.meta.update(node.meta)
            if node is ast:
                ast = replacement
            else:
                node.replace(replacement)
    return ast


def bq_type(type_: str) -> exp.DataType:
    return exp.DataType.build(type_, dialect="bigquery")


def cast(node: exp.Expr, type_: str) -> exp.Cast:
    return exp.Cast(this=node, to=bq_type(type_))


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _type(t: Typer, node: exp.Expr | None) -> str | None:
    return None if node is None else t.types.get(id(node))


# -- literals and parameters -----------------------------------------------------------------


def _exact(node: exp.Expr) -> exp.Expr | None:
    """PostgreSQL's digits for an output numeric_exact.py marked (avg, division, sum, literal)."""
    if "pg_exact" not in node.meta:
        return None
    from pgbridge.sql import numeric_exact

    return numeric_exact.rewrite(node)


@fixup(exp.Literal)
def _literal(t: Typer, node: exp.Literal) -> exp.Expr | None:
    exact = _exact(node)
    if exact is not None:
        return exact
    target = t.coerce.get(id(node))
    if node.is_string:
        if target == T.TIMESTAMP:
            return timefix.stamp_literal(node.this, t.zone())
        if target is not None and target != T.STRING:
            return cast(exp.Literal.string(node.this), target)
        return None
    if _type(t, node) == T.NUMERIC:
        return cast(exp.Literal.string(node.this), T.NUMERIC)
    return None


@fixup(exp.RawString)
def _raw_string(t: Typer, node: exp.RawString) -> exp.Expr:
    return _literal(t, exp.Literal.string(node.this)) or exp.Literal.string(node.this)


@fixup(exp.Parameter, exp.Placeholder)
def _parameter(t: Typer, node: exp.Expr) -> exp.Expr:
    return exp.Parameter(this=exp.Var(this=f"p{t.param_number(node)}"))


# -- arithmetic ------------------------------------------------------------------------------


@fixup(exp.Div)
def _div(t: Typer, node: exp.Div) -> exp.Expr | None:
    exact = _exact(node)
    if exact is not None:
        return exact
    if _type(t, node) == T.INT:
        return exp.IntDiv(this=node.this, expression=node.expression)
    return None


@fixup(exp.Mod)
def _mod(t: Typer, node: exp.Mod) -> exp.Expr:
    return call("MOD", node.this, node.expression)


@fixup(exp.Mul)
def _mul(t: Typer, node: exp.Mul) -> exp.Expr | None:
    return _exact(node) or _int4_checked(t, node)


def _int4_checked(t: Typer, node: exp.Expr) -> exp.Expr | None:
    """int4 arithmetic fails on overflow in PostgreSQL; BigQuery computes it in INT64."""
    if id(node) not in t.int4:
        return None
    checked = _range_checked(node.copy(), *_INT_RANGES["int4"], "integer out of range")
    return checked


@fixup(exp.Add, exp.Sub)
def _add_sub(t: Typer, node: exp.Binary) -> exp.Expr | None:
    exact = _exact(node)
    if exact is not None:
        return exact
    left, right = _type(t, node.this), _type(t, node.expression)
    if left == right == T.INT:
        return _int4_checked(t, node)
    a, b = node.this, node.expression
    if left == T.INTERVAL:  # interval + date: put the date first
        left, right, a, b = right, left, b, a
    if left == T.INT and right == T.DATE:
        left, right, a, b = right, left, b, a
    sub = isinstance(node, exp.Sub)
    if left == T.DATE and right == T.INT:
        return (exp.DateSub if sub else exp.DateAdd)(this=a, expression=b, unit=exp.Var(this="DAY"))
    if left == right == T.DATE:
        return exp.DateDiff(this=a, expression=b, unit=exp.Var(this="DAY"))
    if sub and left == right and left in (T.DATETIME, T.TIMESTAMP):
        return _time_difference(a, b, left)
    if right == T.INTERVAL and isinstance(b, exp.Interval):
        return _interval_arithmetic(t, a, left, b, sub)
    return None


def _time_difference(a: exp.Expr, b: exp.Expr, type_: str | None) -> exp.Expr:
    """timestamp - timestamp: PostgreSQL's microsecond difference with justify_hours applied."""
    diff = exp.TimestampDiff if type_ == T.TIMESTAMP else exp.DatetimeDiff
    micros = diff(this=a, expression=b, unit=exp.Var(this="MICROSECOND"))
    return exp.JustifyHours(this=exp.Interval(this=micros, unit=exp.Var(this="MICROSECOND")))


@fixup(exp.Interval)
def _interval(t: Typer, node: exp.Interval) -> exp.Expr | None:
    # Date arithmetic consumes a single-unit interval itself (_interval_arithmetic); an interval
    # value is BigQuery's canonical literal of the same months, days and time.
    if isinstance(node.parent, (exp.Add, exp.Sub)) and interval_parts(node) is not None:
        return None
    value = node.meta.get(INTERVAL_KEY)
    return value.bigquery() if value is not None else None


def _interval_arithmetic(
    t: Typer, a: exp.Expr, left: str | None, interval: exp.Interval, sub: bool
) -> exp.Expr:
    parts = interval_parts(interval)
    assert parts is not None
    count, unit = parts
    amount = exp.Literal.number(abs(count))
    if count < 0:
        sub = not sub
    if left == T.TIMESTAMP and unit not in ("HOUR", "MINUTE", "SECOND"):
        return timefix.add_calendar(a, abs(count), unit, sub, t.zone())
    if left == T.TIMESTAMP:
        builder: type[exp.Expr] = exp.TimestampSub if sub else exp.TimestampAdd
        return builder(this=a, expression=amount, unit=exp.Var(this=unit))
    source = cast(a, T.DATETIME) if left == T.DATE else a
    builder = exp.DatetimeSub if sub else exp.DatetimeAdd
    return builder(this=source, expression=amount, unit=exp.Var(this=unit))


# -- conditional and strings -----------------------------------------------------------------


@fixup(exp.Greatest, exp.Least)
def _greatest(t: Typer, node: exp.Func) -> exp.Expr:
    args = [node.this, *node.expressions]
    # COALESCE(a_i, a_1, ..., a_n) is a_i unless NULL, then some other non-NULL argument:
    # the greatest of those is the greatest non-NULL argument, and NULL only if all are.
    rotated = [exp.Coalesce(this=a.copy(), expressions=[o.copy() for o in args if o is not a]) for a in args]
    return type(node)(this=rotated[0], expressions=rotated[1:])


@fixup(exp.Concat)
def _concat(t: Typer, node: exp.Concat) -> exp.Expr:
    parts = [
        exp.Coalesce(this=_as_string(t, a), expressions=[exp.Literal.string("")]) for a in node.expressions
    ]
    return exp.Concat(expressions=parts, safe=False, coalesce=False)


def _as_string(t: Typer, node: exp.Expr) -> exp.Expr:
    return cast(node, T.STRING) if _type(t, node) == T.INT else node


@fixup(exp.DPipe)
def _dpipe(t: Typer, node: exp.DPipe) -> exp.Expr:
    return exp.DPipe(this=_as_string(t, node.this), expression=_as_string(t, node.expression), safe=True)


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ascii_lower(node: exp.Expr) -> exp.Expr:
    return call("TRANSLATE", node, exp.Literal.string(_UPPER), exp.Literal.string(_UPPER.lower()))


@fixup(exp.Lower)
def _lower(t: Typer, node: exp.Lower) -> exp.Expr:
    return ascii_lower(node.this)


@fixup(exp.Upper)
def _upper(t: Typer, node: exp.Upper) -> exp.Expr:
    return call("TRANSLATE", node.this, exp.Literal.string(_UPPER.lower()), exp.Literal.string(_UPPER))


@fixup(exp.ILike)
def _ilike(t: Typer, node: exp.ILike) -> exp.Expr:
    return exp.Like(this=ascii_lower(node.this), expression=ascii_lower(node.expression))


@fixup(exp.Trim)
def _trim(t: Typer, node: exp.Trim) -> exp.Expr:
    chars = node.expression if node.expression is not None else exp.Literal.string(" ")
    name = {"LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(str(node.args.get("position") or "").upper(), "TRIM")
    return call(name, node.this, chars)


@fixup(exp.StrPosition)
def _position(t: Typer, node: exp.StrPosition) -> exp.Expr:
    return call("STRPOS", node.this, node.args["substr"])


@fixup(exp.Substring)
def _substring(t: Typer, node: exp.Substring) -> exp.Expr:
    args = [node.this, node.args["start"]]
    if node.args.get("length") is not None:
        args.append(node.args["length"])
    return call("SUBSTR", *args)


@fixup(exp.SplitPart)
def _split_part(t: Typer, node: exp.SplitPart) -> exp.Expr:
    value = node.this
    pieces = call("SPLIT", value.copy(), node.args["delimiter"])
    field = exp.Bracket(this=pieces, expressions=[node.args["part_index"]], offset=1, safe=True)
    found = exp.Coalesce(this=field, expressions=[exp.Literal.string("")])
    return exp.If(this=exp.Is(this=value, expression=exp.Null()), true=exp.Null(), false=found)


# -- math ------------------------------------------------------------------------------------


def round_half_even(x: exp.Expr) -> exp.Expr:
    """PostgreSQL's rint(): halves go to the even neighbour (2 * round(x / 2) on a tie)."""
    frac = call("ABS", exp.Sub(this=x.copy(), expression=call("TRUNC", x.copy())))
    tie = exp.EQ(this=frac, expression=cast(exp.Literal.string("0.5"), T.FLOAT))
    even = exp.Mul(
        this=exp.Literal.number(2),
        expression=call("ROUND", exp.Div(this=x.copy(), expression=exp.Literal.number(2))),
    )
    return exp.If(this=tie, true=even, false=call("ROUND", x.copy()))


@fixup(exp.Round)
def _round(t: Typer, node: exp.Round) -> exp.Expr:
    if "pg_exact_round" in node.meta:
        return node.this  # its argument's marker carries the rounding (numeric_exact)
    exact = _exact(node)
    if exact is not None:
        return exact
    arg_type = _type(t, node.this)
    digits = node.args.get("decimals")
    if arg_type == T.FLOAT:
        return round_half_even(node.this)
    if arg_type == T.INT and digits is None:
        return round_half_even(cast(node.this, T.FLOAT))
    value = cast(node.this, T.NUMERIC) if arg_type == T.INT else node.this
    return call("ROUND", value, *([digits] if digits is not None else []))


@fixup(exp.Ceil, exp.Floor)
def _ceil_floor(t: Typer, node: exp.Func) -> exp.Expr:
    value = cast(node.this, T.FLOAT) if _type(t, node.this) == T.INT else node.this
    return call("CEIL" if isinstance(node, exp.Ceil) else "FLOOR", value)


@fixup(exp.Sign)
def _sign(t: Typer, node: exp.Sign) -> exp.Expr:
    value = cast(node.this, T.FLOAT) if _type(t, node.this) == T.INT else node.this
    return cast(call("SIGN", value), _type(t, node) or T.FLOAT)  # keep the argument's type everywhere


@fixup(exp.Log)
def _log(t: Typer, node: exp.Log) -> exp.Expr:
    if node.expression is None:
        return call("LOG10", node.this)
    return call("LOG", node.expression, node.this)  # PostgreSQL log(base, x)


@fixup(exp.Sum)
def _sum(t: Typer, node: exp.Sum) -> exp.Expr | None:
    exact = _exact(node)
    if exact is not None:
        return exact
    if _type(t, node.this) == T.INT and _type(t, node) == T.NUMERIC:  # sum(int8), not sum(int4)
        return exp.Sum(this=cast(node.this, T.NUMERIC))
    return None


@fixup(exp.Filter)
def _filter(t: Typer, node: exp.Filter) -> exp.Expr:
    agg = node.this
    if not isinstance(agg, exp.AggFunc):
        return agg  # array_agg folded the condition in itself
    condition = node.expression.this
    value = agg.this
    if isinstance(value, exp.Star):
        value = exp.Literal.number(1)
    guarded = exp.Case(ifs=[exp.If(this=condition, true=value)])
    agg.set("this", guarded)
    return agg


# -- dates -----------------------------------------------------------------------------------


@fixup(exp.Extract)
def _extract(t: Typer, node: exp.Extract) -> exp.Expr:
    field = node.this.name.upper()
    source, source_type = node.expression, _type(t, node.expression)
    if source_type == T.TIMESTAMP and field != "EPOCH":
        source, source_type = timefix.local_datetime(source, t.zone()), T.DATETIME
    value = _extract_value(field, source, source_type)
    return cast(value, _type(t, node) or T.NUMERIC)


def _extract_value(field: str, source: exp.Expr, source_type: str | None) -> exp.Expr:
    if field == "EPOCH":
        if source_type == T.DATE:
            return exp.Mul(this=call("UNIX_DATE", source), expression=exp.Literal.number(86400))
        stamp = source if source_type == T.TIMESTAMP else call("TIMESTAMP", source)
        micros = cast(call("UNIX_MICROS", stamp), T.NUMERIC)
        # A multiplication keeps NUMERIC exact in both engines (DuckDB divides decimals as doubles).
        return exp.Mul(this=micros, expression=cast(exp.Literal.string("0.000001"), T.NUMERIC))
    if field in ("DOW", "ISODOW"):
        weekday = exp.Extract(this=exp.Var(this="DAYOFWEEK"), expression=source)  # Sunday = 1
        if field == "DOW":
            return exp.Sub(this=weekday, expression=exp.Literal.number(1))
        shifted = call("MOD", exp.Add(this=weekday, expression=exp.Literal.number(5)), exp.Literal.number(7))
        return exp.Add(this=shifted, expression=exp.Literal.number(1))
    part = {"DOY": "DAYOFYEAR", "WEEK": "ISOWEEK"}.get(field, field)
    return exp.Extract(this=exp.Var(this=part), expression=source)


@fixup(exp.DateTrunc, exp.TimestampTrunc)
def _date_trunc(t: Typer, node: exp.Func) -> exp.Expr:
    unit = trunc_unit(node)
    assert unit is not None
    source = _type(t, node.this)
    if source == T.TIMESTAMP:
        return timefix.trunc_timestamptz(node.this, unit, t.zone())
    if source == T.DATE:
        return timefix.trunc_date_as_timestamptz(node.this, unit, t.zone())
    return exp.DatetimeTrunc(this=node.this, unit=exp.Var(this=unit))


@fixup(exp.CurrentDate)
def _current_date(t: Typer, node: exp.CurrentDate) -> exp.Expr:
    return exp.CurrentDate(this=t.zone())


@fixup(exp.Localtimestamp)
def _localtimestamp(t: Typer, node: exp.Localtimestamp) -> exp.Expr:
    return timefix.local_datetime(exp.CurrentTimestamp(), t.zone())


@fixup(exp.AtTimeZone)
def _at_time_zone(t: Typer, node: exp.AtTimeZone) -> exp.Expr:
    zone = exp.Literal.string(explicit_zone(node.args["zone"].this))
    if _type(t, node.this) == T.TIMESTAMP:
        return timefix.local_datetime(node.this, zone)
    return timefix.zoned_timestamp(node.this, zone)


# -- arrays ----------------------------------------------------------------------------------


@fixup(exp.Bracket)
def _bracket(t: Typer, node: exp.Bracket) -> exp.Expr:
    index = node.expressions[0]
    literal = _signed_literal(index)
    if literal is not None:
        index = exp.Literal.number(literal + 1)  # sqlglot stored PostgreSQL's a[1] as 0
    return exp.Bracket(this=node.this, expressions=[index], offset=1, safe=True)


def _signed_literal(node: exp.Expr) -> int | None:
    if isinstance(node, exp.Neg):
        inner = _signed_literal(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        return int(node.this)
    return None


# Rewrites of Anonymous functions, by lower-case name (json_build.py registers some).
ANONYMOUS_FIXUPS: dict[str, Fixup] = {}


@fixup(exp.Anonymous)
def _anonymous(t: Typer, node: exp.Anonymous) -> exp.Expr:
    name = str(node.this).lower()
    if name in ANONYMOUS_FIXUPS:
        return ANONYMOUS_FIXUPS[name](t, node) or node
    if name == "cardinality":
        return call("ARRAY_LENGTH", node.expressions[0])
    return node


@fixup(exp.Order)
def _order_nulls(t: Typer, node: exp.Order) -> exp.Expr:
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


@fixup(exp.ArraySize)
def _array_length(t: Typer, node: exp.ArraySize) -> exp.Expr:
    return exp.Nullif(this=call("ARRAY_LENGTH", node.this), expression=exp.Literal.number(0))


@fixup(exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ, exp.NullSafeNEQ)
def _compare(t: Typer, node: exp.Binary) -> exp.Expr | None:
    """date or timestamp compared with timestamptz: PostgreSQL promotes it in the session zone."""
    for side, other in ((node.this, node.expression), (node.expression, node.this)):
        if _type(t, side) in (T.DATE, T.DATETIME) and _type(t, other) == T.TIMESTAMP:
            side.replace(timefix.zoned_timestamp(side.copy(), t.zone()))
    return None


@fixup(exp.EQ)
def _eq_any(t: Typer, node: exp.EQ) -> exp.Expr | None:
    if not isinstance(node.expression, exp.Any):
        return _compare(t, node)
    inner = node.expression.this
    inner = inner.this if isinstance(inner, exp.Paren) else inner
    if isinstance(inner, (exp.Subquery, exp.Select)):
        query = inner.this if isinstance(inner, exp.Subquery) else inner
        return exp.In(this=node.this, query=exp.Subquery(this=query))
    member = exp.In(this=node.this, unnest=exp.Unnest(expressions=[inner.copy()]))
    is_null = exp.Is(this=inner, expression=exp.Null())
    return exp.If(this=is_null, true=exp.Null(), false=member)


# -- casts and limits ------------------------------------------------------------------------

_INT_RANGES = {"int4": (-(2**31), 2**31 - 1), "int2": (-(2**15), 2**15 - 1)}


@fixup(exp.Cast)
def _cast(t: Typer, node: exp.Cast) -> exp.Expr:
    target = T.cast_target(node.to)
    assert target is not None
    to_type, pg_name = target
    value = node.this
    literal = node.meta.get(LITERAL_KEY)
    if literal is not None:
        return value if literal == NO_OP else literal.copy()
    if to_type == T.PGJSON:
        return cast(value, T.STRING)  # NULL::json
    zoned = _zoned_cast(t, value, to_type)
    if zoned is not None:
        return zoned
    if to_type == T.INT and _type(t, value) == T.FLOAT:
        value = round_half_even(value)
    if to_type == T.NUMERIC and node.to.expressions:
        return _numeric_typmod(value, node.to.expressions)
    if node.meta.get(VARCHAR_KEY):
        return call("LEFT", cast(value, T.STRING), exp.Literal.number(node.meta[VARCHAR_KEY]))
    result: exp.Expr = cast(value, to_type)
    if pg_name in _INT_RANGES and _signed_literal(node.this) is not None:
        _check_literal_range(_signed_literal(node.this) or 0, pg_name)
    elif pg_name in _INT_RANGES:
        result = _range_checked(result, *_INT_RANGES[pg_name], f"{_RANGE_NAMES[pg_name]} out of range")
    return result


_RANGE_NAMES = {"int4": "integer", "int2": "smallint"}


def _zoned_cast(t: Typer, value: exp.Expr, to_type: str) -> exp.Expr | None:
    source = _type(t, value)
    if (source, to_type) not in ZONED_CASTS:
        return None
    if to_type == T.TIMESTAMP:
        return timefix.zoned_timestamp(value, t.zone())
    if to_type == T.DATE:
        return timefix.local_date(value, t.zone())
    if to_type == T.TIME:
        return cast(timefix.local_datetime(value, t.zone()), T.TIME)
    return timefix.local_datetime(value, t.zone())


def _check_literal_range(value: int, pg_name: str) -> None:
    low, high = _INT_RANGES[pg_name]
    if not low <= value <= high:
        raise PgError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, f"{_RANGE_NAMES[pg_name]} out of range")


def _range_checked(value: exp.Expr, low: int, high: int, message: str) -> exp.Expr:
    inside = exp.Between(this=value.copy(), low=exp.Literal.number(low), high=exp.Literal.number(high))
    fails = call("ERROR", exp.Literal.string(message))
    ok = exp.Or(this=inside, expression=exp.Is(this=value.copy(), expression=exp.Null()))
    return exp.If(this=ok, true=value, false=cast(fails, T.INT))


def _numeric_typmod(value: exp.Expr, params: list[exp.Expr]) -> exp.Expr:
    precision = int(params[0].name)
    scale = int(params[1].name) if len(params) > 1 else 0
    rounded = call("ROUND", cast(value, T.NUMERIC), exp.Literal.number(scale))
    limit = cast(exp.Literal.string("1" + "0" * (precision - scale)), T.NUMERIC)
    overflow = exp.GTE(this=call("ABS", rounded.copy()), expression=limit)
    fails = cast(call("ERROR", exp.Literal.string("numeric field overflow")), T.NUMERIC)
    return exp.If(this=overflow, true=fails, false=rounded)


@fixup(exp.Fetch)
def _fetch(t: Typer, node: exp.Fetch) -> exp.Expr:
    return exp.Limit(expression=node.args.get("count") or exp.Literal.number(1))
