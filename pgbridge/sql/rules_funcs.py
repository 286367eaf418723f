"""Allow-list rules for functions, aggregates, window functions, CASE and casts.

Result types follow PostgreSQL's function catalogue (count -> int8, sum(int8) -> numeric,
extract -> numeric, date_part -> float8, ...). Arguments whose semantics differ between the
two engines in ways fixups.py cannot rewrite exactly are refused here, e.g. avg(int8)
anywhere but as an output column (its numeric result scale is PostgreSQL's own, finished by
numeric_exact.py), round(float8, n) (PostgreSQL has none),
substring with a computed start (BigQuery counts negative starts from the end).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.typer import Typer, rule
from pgbridge.sql.zones import explicit_zone
from pgbridge.wire.errors import unsupported


def _arg(t: Typer, node: exp.Expr | None, target: str | None = None) -> str | None:
    if node is None:
        return None
    if target is not None:
        t.settle(node, target)
    return t.types.get(id(node))


def _want(t: Typer, node: exp.Expr | None, allowed: tuple[str, ...], what: str) -> str | None:
    type_ = _arg(t, node, allowed[0] if node is not None and t.types.get(id(node)) == T.UNKNOWN else None)
    if node is not None and type_ not in allowed:
        raise unsupported(f"{what} of {(type_ or 'unknown').lower()}")
    return type_


def _int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return -int(node.this.this)
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return int(node.this)
    return None


def _need_literal(node: exp.Expr | None, what: str, minimum: int) -> None:
    value = _int_literal(node)
    if node is not None and (value is None or value < minimum):
        raise unsupported(f"{what} other than an integer literal >= {minimum}")


# -- conditional ----------------------------------------------------------------------------


@rule(exp.Case)
def _case(t: Typer, node: exp.Case) -> str | None:
    if node.this is not None:
        raise unsupported("CASE x WHEN ...", hint="write CASE WHEN x = ... instead")
    branches = [i.args["true"] for i in node.args.get("ifs", [])]
    if node.args.get("default") is not None:
        branches.append(node.args["default"])
    for cond in node.args.get("ifs", []):
        t.settle(cond.this, T.BOOL)
    return _settle_common(t, branches)


@rule(exp.If)
def _if(t: Typer, node: exp.If) -> str | None:
    return None  # only the WHEN ... THEN parts of a CASE


def _settle_common(t: Typer, nodes: list[exp.Expr]) -> str | None:
    result = T.common_type([t.types.get(id(n)) for n in nodes])
    if result is None:
        raise unsupported("mixing these types in one CASE/COALESCE/GREATEST/LEAST")
    for item in nodes:
        t.settle(item, result)
    return result


@rule(exp.Coalesce, exp.Greatest, exp.Least)
def _coalesce(t: Typer, node: exp.Func) -> str | None:
    return _settle_common(t, [node.this, *node.expressions])


@rule(exp.Nullif)
def _nullif(t: Typer, node: exp.Nullif) -> str | None:
    return _settle_common(t, [node.this, node.expression])


# -- aggregates ------------------------------------------------------------------------------


@rule(exp.Count)
def _count(t: Typer, node: exp.Count) -> str | None:
    if node.expressions:
        raise unsupported("count() with several arguments")
    return T.INT


@rule(exp.Sum)
def _sum(t: Typer, node: exp.Sum) -> str | None:
    arg = _want(t, node.this, (T.INT, T.FLOAT, T.NUMERIC), "sum()")
    if arg == T.INT:
        return T.INT if id(node.this) in t.int4 else T.NUMERIC  # sum(int4) is int8, sum(int8) numeric
    if arg == T.NUMERIC:
        from pgbridge.sql import numeric_exact

        numeric_exact.mark_aggregate(t, node, "sum")  # printed with its inputs' largest scale
    return arg


@rule(exp.Avg)
def _avg(t: Typer, node: exp.Avg) -> str | None:
    arg = _want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), "avg()")
    from pgbridge.sql import numeric_exact  # (it imports fixups, which import this module)

    if arg != T.FLOAT and numeric_exact.mark_aggregate(t, node, "avg"):
        return T.NUMERIC  # PostgreSQL's digits, as an output column
    if arg != T.FLOAT:
        raise unsupported(
            f"avg() of {arg.lower() if arg else 'this'}",
            hint=(
                "PostgreSQL prints numeric averages with a per-value scale (avg(2, 3) = 2.5000000000000000); "
                "pgbridge computes it only for avg(column) as an output column of the outermost SELECT, "
                "without DISTINCT, FILTER, OVER or ORDER BY on it; elsewhere use avg(x::float8)"
            ),
        )
    return T.FLOAT


@rule(exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance, exp.VariancePop)
def _stddev(t: Typer, node: exp.Func) -> str | None:
    arg = _want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), f"{node.sql_name().lower()}()")
    if arg != T.FLOAT:
        raise unsupported(
            f"{node.sql_name().lower()}() of {arg.lower() if arg else 'this'}",
            hint="PostgreSQL returns numeric here; use a float8 argument",
        )
    return T.FLOAT


@rule(exp.Min, exp.Max)
def _min_max(t: Typer, node: exp.Func) -> str | None:
    if node.expressions:
        raise unsupported(f"{node.sql_name().lower()}() with several arguments")
    return _want(
        t,
        node.this,
        (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.DATE, T.DATETIME, T.TIMESTAMP),
        f"{node.sql_name().lower()}()",
    )


@rule(exp.LogicalAnd, exp.LogicalOr)
def _bool_agg(t: Typer, node: exp.Func) -> str | None:
    _want(t, node.this, (T.BOOL,), "bool_and()/bool_or()")
    return T.BOOL


@rule(exp.GroupConcat)
def _string_agg(t: Typer, node: exp.GroupConcat) -> str | None:
    value = node.this.this if isinstance(node.this, exp.Order) else node.this
    _want(t, value, (T.STRING,), "string_agg()")
    separator = node.args.get("separator")
    if not (isinstance(separator, exp.Literal) and separator.is_string):
        raise unsupported("string_agg() with a separator that is not a string literal")
    t.settle(separator, T.STRING)
    return T.STRING


@rule(exp.Filter)
def _filter(t: Typer, node: exp.Filter) -> str | None:
    if not isinstance(
        node.this,
        (exp.Count, exp.Sum, exp.Min, exp.Max, exp.Avg, exp.LogicalAnd, exp.LogicalOr, exp.ArrayAgg),
    ):
        raise unsupported(f"FILTER on {node.this.sql_name().lower()}()")
    return t.types.get(id(node.this))


# -- windows ---------------------------------------------------------------------------------


@rule(exp.Window)
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


@rule(exp.WindowSpec)
def _window_spec(t: Typer, node: exp.WindowSpec) -> str | None:
    return None


@rule(exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)
def _ranking(t: Typer, node: exp.Func) -> str | None:
    if isinstance(node, (exp.Rank, exp.DenseRank)) and node.expressions:
        raise unsupported("rank() as an ordered-set aggregate")
    return T.INT


@rule(exp.PercentRank, exp.CumeDist)
def _distribution(t: Typer, node: exp.Func) -> str | None:
    if node.expressions:
        raise unsupported(f"{node.sql_name().lower()}() as an ordered-set aggregate")
    return T.FLOAT


@rule(exp.Lag, exp.Lead)
def _lag_lead(t: Typer, node: exp.Func) -> str | None:
    _need_literal(node.args.get("offset"), "lag/lead offset", 0)
    value = t.types.get(id(node.this))
    default = node.args.get("default")
    if default is not None:
        t.settle(default, value)
        if T.common_type([value, t.types.get(id(default))]) != value:
            raise unsupported("lag/lead default of another type")
    return value


@rule(exp.FirstValue, exp.LastValue)
def _first_last(t: Typer, node: exp.Func) -> str | None:
    return t.types.get(id(node.this))


# -- math ------------------------------------------------------------------------------------


@rule(exp.Abs)
def _abs(t: Typer, node: exp.Abs) -> str | None:
    return _want(t, node.this, (T.INT, T.FLOAT, T.NUMERIC), "abs()")


@rule(exp.Ceil, exp.Floor)
def _ceil_floor(t: Typer, node: exp.Func) -> str | None:
    if node.args.get("decimals") is not None or node.args.get("to") is not None:
        raise unsupported(f"{node.sql_name().lower()}() with a second argument")
    arg = _want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), f"{node.sql_name().lower()}()")
    return T.NUMERIC if arg == T.NUMERIC else T.FLOAT


@rule(exp.Round)
def _round(t: Typer, node: exp.Round) -> str | None:
    if "pg_exact_round" in node.meta:
        return T.NUMERIC  # round(avg(x), n) as an output: the encoder rounds (numeric_exact)
    arg = _want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), "round()")
    digits = node.args.get("decimals")
    if digits is not None:
        if arg == T.FLOAT:
            raise unsupported("round(float8, integer)", hint="PostgreSQL has none; cast to numeric first")
        _need_literal(digits, "round() digits", -30)
    if node.args.get("truncate") is not None or node.args.get("casts_non_integer_decimals"):
        raise unsupported("round() with a rounding mode")
    if arg == T.NUMERIC:
        from pgbridge.sql import numeric_exact

        numeric_exact.mark_round(t, node)  # round(price, 1) prints 20.0, as PostgreSQL does
    if arg == T.INT:
        return T.NUMERIC if digits is not None else T.FLOAT
    return arg


@rule(exp.Sqrt, exp.Exp, exp.Ln)
def _float_math(t: Typer, node: exp.Func) -> str | None:
    arg = _want(t, node.this, (T.FLOAT, T.INT, T.NUMERIC), f"{node.sql_name().lower()}()")
    if arg == T.NUMERIC:
        raise unsupported(f"{node.sql_name().lower()}(numeric)", hint="cast the argument to float8")
    return T.FLOAT


@rule(exp.Log)
def _log(t: Typer, node: exp.Log) -> str | None:
    if node.expression is not None:
        raise unsupported("log(base, x)", hint="PostgreSQL computes it in numeric with its own scale")
    for arg in (node.this, node.expression):
        if arg is not None and _want(t, arg, (T.FLOAT, T.INT, T.NUMERIC), "log()") == T.NUMERIC:
            raise unsupported("log(numeric)", hint="cast the argument to float8")
    return T.FLOAT


@rule(exp.Pow)
def _pow(t: Typer, node: exp.Pow) -> str | None:
    for arg in (node.this, node.expression):
        if _want(t, arg, (T.FLOAT, T.INT, T.NUMERIC), "power()") == T.NUMERIC:
            raise unsupported("power(numeric, ...)", hint="cast the arguments to float8")
    return T.FLOAT


@rule(exp.Sign)
def _sign(t: Typer, node: exp.Sign) -> str | None:
    arg = _want(t, node.this, (T.FLOAT, T.NUMERIC, T.INT), "sign()")
    return T.NUMERIC if arg == T.NUMERIC else T.FLOAT


# -- strings ---------------------------------------------------------------------------------


@rule(exp.Length)
def _length(t: Typer, node: exp.Length) -> str | None:
    if node.args.get("binary") or node.args.get("encoding") is not None:
        raise unsupported("length() of bytes or with an encoding")
    _want(t, node.this, (T.STRING,), "length()")
    return T.INT


@rule(exp.Lower, exp.Upper, exp.Reverse)
def _string_to_string(t: Typer, node: exp.Func) -> str | None:
    _want(t, node.this, (T.STRING,), f"{node.sql_name().lower()}()")
    return T.STRING


@rule(exp.Initcap)
def _initcap(t: Typer, node: exp.Initcap) -> str | None:
    raise unsupported("function initcap()", hint="its word rules differ between PostgreSQL and BigQuery")


@rule(exp.Substring)
def _substring(t: Typer, node: exp.Substring) -> str | None:
    _want(t, node.this, (T.STRING,), "substring()")
    # BigQuery counts a negative start from the end and treats 0 as 1; PostgreSQL does not.
    _need_literal(node.args.get("start"), "substring() start", 1)
    _need_literal(node.args.get("length"), "substring() length", 0)
    return T.STRING


@rule(exp.StrPosition)
def _position(t: Typer, node: exp.StrPosition) -> str | None:
    if node.args.get("position") is not None or node.args.get("occurrence") is not None:
        raise unsupported("strpos() with a start position")
    _want(t, node.this, (T.STRING,), "position()")
    _want(t, node.args.get("substr"), (T.STRING,), "position()")
    return T.INT


@rule(exp.Trim)
def _trim(t: Typer, node: exp.Trim) -> str | None:
    _want(t, node.this, (T.STRING,), "trim()")
    chars = node.expression
    if chars is not None and not (isinstance(chars, exp.Literal) and chars.is_string):
        raise unsupported("trim() with characters that are not a string literal")
    if chars is not None:
        t.settle(chars, T.STRING)
    return T.STRING


@rule(exp.Replace)
def _replace(t: Typer, node: exp.Replace) -> str | None:
    for arg in (node.this, node.expression, node.args.get("replacement")):
        _want(t, arg, (T.STRING,), "replace()")
    return T.STRING


@rule(exp.Left, exp.Right)
def _left_right(t: Typer, node: exp.Func) -> str | None:
    _want(t, node.this, (T.STRING,), f"{node.sql_name().lower()}()")
    # PostgreSQL's negative n means "all but n"; BigQuery rejects it.
    _need_literal(node.expression, f"{node.sql_name().lower()}() length", 0)
    return T.STRING


@rule(exp.Pad)
def _pad(t: Typer, node: exp.Pad) -> str | None:
    _want(t, node.this, (T.STRING,), "lpad()/rpad()")
    _need_literal(node.expression, "lpad()/rpad() length", 0)
    fill = node.args.get("fill_pattern")
    if fill is not None:
        if not (isinstance(fill, exp.Literal) and fill.is_string and fill.this):
            raise unsupported("lpad()/rpad() with a fill that is not a non-empty string literal")
        t.settle(fill, T.STRING)
    return T.STRING


@rule(exp.Repeat)
def _repeat(t: Typer, node: exp.Repeat) -> str | None:
    _want(t, node.this, (T.STRING,), "repeat()")
    _need_literal(node.args.get("times"), "repeat() count", 0)
    return T.STRING


@rule(exp.Concat)
def _concat(t: Typer, node: exp.Concat) -> str | None:
    for arg in node.expressions:
        if _arg(t, arg, T.STRING) not in (T.STRING, T.INT):
            raise unsupported(
                f"concat() of {(t.types.get(id(arg)) or 'unknown').lower()}",
                hint="PostgreSQL and BigQuery print other types differently",
            )
    return T.STRING


@rule(exp.SplitPart)
def _split_part(t: Typer, node: exp.SplitPart) -> str | None:
    _want(t, node.this, (T.STRING,), "split_part()")
    delimiter = node.args.get("delimiter")
    if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this):
        raise unsupported("split_part() with a delimiter that is not a non-empty string literal")
    t.settle(delimiter, T.STRING)
    _need_literal(node.args.get("part_index"), "split_part() field", 1)
    return T.STRING


@rule(exp.MD5)
def _md5(t: Typer, node: exp.MD5) -> str | None:
    # BigQuery's TO_HEX(MD5(x)) hashes the same UTF-8 bytes and prints lowercase hex.
    _want(t, node.this, (T.STRING,), "md5()")
    return T.STRING


@rule(exp.StartsWith)
def _starts_with(t: Typer, node: exp.StartsWith) -> str | None:
    _want(t, node.this, (T.STRING,), "starts_with()")
    _want(t, node.expression, (T.STRING,), "starts_with()")
    return T.BOOL


# -- dates and times -------------------------------------------------------------------------


@rule(exp.CurrentTimestamp)
def _now(t: Typer, node: exp.CurrentTimestamp) -> str | None:
    if node.this is not None:
        raise unsupported("current_timestamp(precision)")
    return T.TIMESTAMP


@rule(exp.CurrentDate, exp.Localtimestamp)
def _session_date(t: Typer, node: exp.Func) -> str | None:
    if node.this is not None:
        raise unsupported(f"{node.sql_name().lower()}(precision)")
    t.zone()  # the session zone decides today's date
    return T.DATE if isinstance(node, exp.CurrentDate) else T.DATETIME


@rule(exp.CurrentTime, exp.Localtime)
def _session_clock(t: Typer, node: exp.Func) -> str | None:
    raise unsupported(f"{node.sql_name().lower()}", hint="time values are not supported; use now()")


@rule(exp.AtTimeZone)
def _at_time_zone(t: Typer, node: exp.AtTimeZone) -> str | None:
    zone = node.args.get("zone")
    if not (isinstance(zone, exp.Literal) and zone.is_string):
        raise unsupported("AT TIME ZONE with a zone that is not a string literal")
    explicit_zone(zone.this)
    t.set_type(zone, T.STRING)
    source = t.types.get(id(node.this))
    if source == T.TIMESTAMP:
        return T.DATETIME
    if source == T.DATETIME:
        return T.TIMESTAMP
    raise unsupported(f"AT TIME ZONE on {(source or 'unknown').lower()}", hint="cast it to timestamp first")


# extract field -> BigQuery part, for date and timestamp (without time zone) sources.
_EXTRACT_DATE = {
    "YEAR": "YEAR",
    "MONTH": "MONTH",
    "DAY": "DAY",
    "QUARTER": "QUARTER",
    "DOY": "DAYOFYEAR",
    "DOW": "DOW",
    "ISODOW": "ISODOW",
    "WEEK": "ISOWEEK",
    "ISOYEAR": "ISOYEAR",
    "EPOCH": "EPOCH",
}
_EXTRACT_TIME = {"HOUR": "HOUR", "MINUTE": "MINUTE"}


@rule(exp.Extract)
def _extract(t: Typer, node: exp.Extract) -> str | None:
    field = node.this.name.upper()
    source = _want(t, node.expression, (T.DATE, T.DATETIME, T.TIMESTAMP), "extract()")
    if source == T.TIMESTAMP and field != "EPOCH":
        t.zone()  # fields of a timestamptz are those of its local time in the session zone
    allowed = _EXTRACT_DATE if source == T.DATE else {**_EXTRACT_DATE, **_EXTRACT_TIME}
    if field not in allowed:
        raise unsupported(f"extract({field.lower()} from {(source or '').lower()})")
    has_date_part = re.search(r"\bdate_part\s*\(", t.text, re.IGNORECASE) is not None
    has_extract = re.search(r"\bextract\s*\(", t.text, re.IGNORECASE) is not None
    if has_date_part and has_extract:
        raise unsupported(
            "extract() and date_part() in one statement", hint="they return different types; use one of them"
        )
    return T.FLOAT if has_date_part else T.NUMERIC


_TRUNC_UNITS = {
    "microseconds": "MICROSECOND",
    "milliseconds": "MILLISECOND",
    "second": "SECOND",
    "minute": "MINUTE",
    "hour": "HOUR",
    "day": "DAY",
    "week": "ISOWEEK",
    "month": "MONTH",
    "quarter": "QUARTER",
    "year": "YEAR",
}


@rule(exp.DateTrunc, exp.TimestampTrunc)
def _date_trunc(t: Typer, node: exp.Func) -> str | None:
    source = t.types.get(id(node.this))
    unit = trunc_unit(node)
    if node.args.get("zone") is not None:
        raise unsupported("date_trunc() with a time zone argument", hint="SET TimeZone instead")
    if source not in (T.DATETIME, T.TIMESTAMP, T.DATE) or unit is None:
        raise unsupported(
            f"date_trunc() of {(source or 'unknown').lower()}",
            hint="supported for timestamp, timestamptz and date values",
        )
    if source == T.DATETIME:
        return T.DATETIME
    t.zone()  # date and timestamptz are truncated on the session zone's calendar
    return T.TIMESTAMP


def trunc_unit(node: exp.Func) -> str | None:
    unit = node.args.get("unit")
    name = unit.name if isinstance(unit, (exp.Literal, exp.Var)) else ""
    return _TRUNC_UNITS.get(name.lower().rstrip("s")) or _TRUNC_UNITS.get(name.lower())


# -- arrays ----------------------------------------------------------------------------------


@rule(exp.Array)
def _array(t: Typer, node: exp.Array) -> str | None:
    if not node.expressions:
        raise unsupported("empty ARRAY[]")
    if any(isinstance(e, exp.Null) for e in node.expressions):
        raise unsupported("NULL inside ARRAY[...]", hint="BigQuery arrays cannot hold NULL")
    if any(isinstance(e, (exp.Subquery, exp.Select)) for e in node.expressions):
        return _array_subquery(t, node)
    element = _settle_common(t, list(node.expressions))
    return T.array_of(element) if element else None


# Functions sqlglot leaves as Anonymous, by lower-case name (json_build.py registers some).
ANONYMOUS_RULES: dict[str, Callable[[Typer, exp.Anonymous], str | None]] = {}


_ARRAY_ELEMENTS = (T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)


def _array_subquery(t: Typer, node: exp.Array) -> str | None:
    """ARRAY(SELECT x ...): BigQuery's ARRAY(subquery) is the same array when no x is NULL
    (a BigQuery array cannot hold one): a literal, a REQUIRED column, count(), or a WHERE
    that says x IS NOT NULL. The empty result is '{}' in both."""
    from pgbridge.sql.array_agg import is_not_null_test

    query = node.expressions[0]
    query = query.this if isinstance(query, exp.Subquery) else query
    if len(node.expressions) != 1 or not isinstance(query, exp.Select) or len(query.expressions) != 1:
        raise unsupported("ARRAY(subquery) of several columns or a set operation")
    projection = query.expressions[0]
    value = projection.this if isinstance(projection, exp.Alias) else projection
    element = t.types.get(id(projection))
    if element == T.UNKNOWN:  # a subquery's untyped literal is text, as in PostgreSQL
        t.settle(value, T.STRING)
        t.set_type(projection, T.STRING)
        element = T.STRING
    if element not in _ARRAY_ELEMENTS:
        raise unsupported(f"ARRAY(subquery) of {(element or 'unknown').lower()}")
    where = query.args.get("where")
    tests = list(where.this.flatten()) if where is not None and isinstance(where.this, exp.And) else []
    if where is not None and not tests:
        tests = [where.this]
    never_null = (
        isinstance(value, (exp.Literal, exp.Count))
        or id(value) in t.required
        or any(is_not_null_test(test, value.sql("postgres")) for test in tests)
    )
    if not never_null:
        raise unsupported(
            "ARRAY(subquery) of a value that may be NULL",
            hint="BigQuery arrays cannot hold NULL; add WHERE x IS NOT NULL to the subquery",
        )
    return T.array_of(element)


@rule(exp.Anonymous)
def _anonymous(t: Typer, node: exp.Anonymous) -> str | None:
    name = str(node.this).lower()
    if name in ANONYMOUS_RULES:
        return ANONYMOUS_RULES[name](t, node)
    if name == "cardinality" and len(node.expressions) == 1:
        if T.element_of(t.types.get(id(node.expressions[0]))) is None:
            raise unsupported("cardinality() of something that is not an array")
        return T.INT
    raise unsupported(f"function {name}()")


@rule(exp.ArraySize)
def _array_length(t: Typer, node: exp.ArraySize) -> str | None:
    if T.element_of(t.types.get(id(node.this))) is None:
        raise unsupported("array_length() of something that is not an array")
    if _int_literal(node.expression) != 1:
        raise unsupported("array_length() of a dimension other than 1")
    return T.INT


# -- casts -----------------------------------------------------------------------------------


@rule(exp.Cast)
def _cast(t: Typer, node: exp.Cast) -> str | None:
    from pgbridge.sql.casts import check_cast

    return check_cast(t, node)
