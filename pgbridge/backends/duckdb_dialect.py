"""The embedded backend's second translation: BigQuery SQL -> DuckDB SQL, BigQuery semantics kept.

sqlglot transpiles most of BigQuery to DuckDB; these fix-ups cover where DuckDB would
compute something else (each checked by the differential corpus):

- `/` by zero is an error in BigQuery; DuckDB returns inf (guarded with error())
- LIKE has `\\` as escape character in BigQuery; DuckDB has none unless told (ESCAPE '\\')
- EXTRACT(DAYOFWEEK) is 1..7 from Sunday in BigQuery, 0..6 in DuckDB
- NUMERIC is DECIMAL(38, 9) in BigQuery; sqlglot's bare DECIMAL is DuckDB's DECIMAL(18, 3)
- CAST(x AS BIGNUMERIC) widening an exact product needs nothing: DuckDB's DECIMAL is exact
- FORMAT('%.14e', x) is DuckDB's printf
- SAFE_ORDINAL(i) is NULL for i < 1; DuckDB reads a[-1] as the last element
- EXTRACT(ISOWEEK) is DuckDB's WEEK
- CHR(n) gets n as DuckDB's INTEGER (its chr() has no BIGINT form)
- DIV(a + 1, b) keeps its operands whole (sqlglot writes a + 1 // b)
- DATE_ADD/DATE_SUB return a DATE in BigQuery; DuckDB's date + interval is a TIMESTAMP
- GROUP BY name: a SELECT alias wins over a FROM column in BigQuery, the column in DuckDB
  (sqlglot writes grouped expressions as their alias when the query also has ORDER BY), so
  unqualified GROUP BY names become the aliased expressions again
- INTERVAL 'Y-M D H:M:S.F' YEAR TO SECOND (BigQuery's canonical literal) has no DuckDB
  spelling; it becomes INTERVAL 'm months d days u microseconds' of the same fields
- JUSTIFY_HOURS(INTERVAL n MICROSECOND) is to_days(n // day) + to_microseconds(n % day): both
  engines' integer division and remainder truncate toward zero, as justify_hours does
- JSON_TYPE names BigQuery's JSON types ('object', 'number', ...); DuckDB's json_type names
  its own ('OBJECT', 'BIGINT', 'DOUBLE', ...)

Parameters: BigQuery's @p1 becomes DuckDB's named parameter $p1; the backend binds a dict
{"p1": value, ...}.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from pgbridge.wire.errors import PgError, SqlState, unsupported


def bigquery_to_duckdb(sql: str) -> str:
    try:
        ast = sqlglot.parse_one(sql, read="bigquery")
    except ParseError as error:
        # The description only: sqlglot's full text quotes the generated SQL (error_text.py).
        what = error.errors[0].get("description") if error.errors else None
        raise PgError(
            SqlState.INTERNAL_ERROR, f"pgbridge produced BigQuery SQL it cannot read: {what or 'parse error'}"
        ) from None
    ast = ast.transform(_fix, copy=False)
    try:
        return ast.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise unsupported("this query on the embedded DuckDB backend", hint=str(error)) from None


def _fix(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Interval) and isinstance(node.args.get("unit"), exp.IntervalSpan):
        return _canonical_interval(node)
    if isinstance(node, exp.JustifyHours) and isinstance(node.this, exp.Interval):
        return _justify_micros(node.this.this)
    if isinstance(node, exp.Select) and node.args.get("group") is not None:
        _unalias_group(node)
    if isinstance(node, exp.JSONType) and not node.meta.get("mapped"):
        return _json_type(node)
    if isinstance(node, exp.Div) and not node.meta.get("guarded"):
        return _guarded_div(node)
    if isinstance(node, exp.IntDiv):
        _parenthesize_operands(node)
    if isinstance(node, exp.Chr) and not node.meta.get("int32"):
        node.meta["int32"] = True  # DuckDB's chr() takes an INTEGER only; BigQuery has INT64
        node.set("expressions", [exp.Cast(this=e, to=exp.DataType.build("INT")) for e in node.expressions])
    if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Escape):
        return exp.Escape(this=node, expression=exp.Literal.string("\\"))
    if isinstance(node, exp.Extract) and node.this.name.upper() == "ISOWEEK":
        return exp.Extract(this=exp.Var(this="WEEK"), expression=node.expression)  # DuckDB's week is ISO
    if isinstance(node, exp.Bracket) and node.args.get("safe") and node.args.get("offset") == 1:
        return _guarded_ordinal(node)
    if isinstance(node, exp.Extract) and node.this.name.upper() == "DAYOFWEEK":
        dow = exp.Extract(this=exp.Var(this="DOW"), expression=node.expression)
        return exp.Paren(this=exp.Add(this=dow, expression=exp.Literal.number(1)))
    if isinstance(node, exp.Format) and _printf_format(node):
        arguments = [a.transform(_fix, copy=False) for a in (node.this, *node.expressions)]
        return exp.Anonymous(this="printf", expressions=arguments)  # (a replacement is not descended into)
    if _widening(node):
        return node.this.transform(_fix, copy=False)  # (transform does not descend into a replacement)
    if isinstance(node, exp.ParseBignumeric):  # text the translator checked has <= 18 decimals
        text = node.this.transform(_fix, copy=False)
        return exp.Cast(this=text, to=_decimal(exp.DataType.build("BIGNUMERIC")))
    if isinstance(node, exp.Cast) and _big_literal(node):
        return _decimal_literal(node)
    if isinstance(node, exp.DataType) and node.this in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL):
        return _decimal(node)
    if isinstance(node, exp.Unicode):
        return exp.Anonymous(this="ascii", expressions=[node.this])  # DuckDB's unicode('') is -1
    if isinstance(node, exp.ByteLength):
        return exp.Anonymous(this="strlen", expressions=[node.this])  # DuckDB's bytes of a VARCHAR
    if isinstance(node, (exp.DateAdd, exp.DateSub)) and not node.meta.get("dated"):
        node.meta["dated"] = True  # BigQuery's DATE_ADD stays a DATE; DuckDB's becomes a TIMESTAMP
        return exp.Cast(this=node, to=exp.DataType.build("DATE"))
    return node


def _parenthesize_operands(node: exp.IntDiv) -> None:
    """BigQuery's DIV(a + 1, b) is written as DuckDB's a // b without parentheses around a
    compound operand (sqlglot), which `//` would then bind first: a + (1 // b)."""
    for key in ("this", "expression"):
        operand = node.args.get(key)
        if isinstance(operand, (exp.Binary, exp.Unary)) and not isinstance(operand, exp.Paren):
            node.set(key, exp.Paren(this=operand))


_CANONICAL = re.compile(r"(-?)(\d+)-(\d+) (-?\d+) (-?)(\d+):(\d+):(\d+)(?:\.(\d{1,6}))?")


def _canonical_interval(node: exp.Interval) -> exp.Expr:
    match = _CANONICAL.fullmatch(node.this.name)
    span = node.args["unit"]
    if match is None or span.this.name != "YEAR" or span.expression.name != "SECOND":
        raise unsupported(f"interval {node.sql('bigquery')} on the embedded DuckDB backend")
    ym_sign, years, months, days, t_sign, hours, minutes, seconds, fraction = match.groups()
    total_months = (int(years) * 12 + int(months)) * (-1 if ym_sign else 1)
    micros = (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1_000_000
    micros = (micros + int((fraction or "").ljust(6, "0"))) * (-1 if t_sign else 1)
    text = f"{total_months} months {int(days)} days {micros} microseconds"
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("INTERVAL"))


def _justify_micros(micros: exp.Expr) -> exp.Expr:
    day = exp.Literal.number(86_400_000_000)
    days = exp.Anonymous(this="to_days", expressions=[exp.IntDiv(this=micros.copy(), expression=day)])
    rest = exp.Anonymous(
        this="to_microseconds", expressions=[exp.Mod(this=micros.copy(), expression=day.copy())]
    )
    return exp.Paren(this=exp.Add(this=days, expression=rest))


def _unalias_group(select: exp.Select) -> None:
    aliased = {p.alias: p.this for p in select.expressions if isinstance(p, exp.Alias)}
    for grouped in select.args["group"].expressions:
        if isinstance(grouped, exp.Column) and not grouped.table and grouped.name in aliased:
            grouped.replace(aliased[grouped.name].copy())


_JSON_TYPES = {
    "OBJECT": "object",
    "ARRAY": "array",
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "NULL": "null",
    "BIGINT": "number",
    "UBIGINT": "number",
    "HUGEINT": "number",
    "DOUBLE": "number",
}


def _json_type(node: exp.JSONType) -> exp.Expr:
    node.meta["mapped"] = True
    ifs = [
        exp.If(this=exp.Literal.string(duck), true=exp.Literal.string(bigquery))
        for duck, bigquery in _JSON_TYPES.items()
    ]
    return exp.Case(this=node, ifs=ifs)


def _guarded_div(node: exp.Div) -> exp.Expr:
    divisor = node.expression
    fails = exp.Anonymous(this="error", expressions=[exp.Literal.string("division by zero")])
    zero = exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0))
    safe = exp.Case(ifs=[exp.If(this=zero, true=fails)], default=divisor)
    guarded = exp.Div(
        this=node.this, expression=safe, typed=node.args.get("typed"), safe=node.args.get("safe")
    )
    guarded.meta["guarded"] = True
    return guarded


def _guarded_ordinal(node: exp.Bracket) -> exp.Expr:
    # SAFE_ORDINAL(i) is NULL for i < 1; DuckDB counts negative indexes from the end.
    if node.meta.get("guarded"):
        return node
    node.meta["guarded"] = True
    index = node.expressions[0]
    positive = exp.GTE(this=index.copy(), expression=exp.Literal.number(1))
    return exp.Case(ifs=[exp.If(this=positive, true=node)])


def _printf_format(node: exp.Format) -> bool:
    """BigQuery's FORMAT('%...', ...) is DuckDB's printf (DuckDB's format() reads {} fields)."""
    pattern = node.this
    return isinstance(pattern, exp.Literal) and pattern.is_string and "%" in pattern.this


def _widening(node: exp.Expr) -> bool:
    """CAST(x AS BIGNUMERIC) is how the translator widens an exact product beyond NUMERIC's 9
    decimals (numeric_exact); DuckDB's DECIMAL arithmetic is exact already (a product's scale is
    the sum of its operands', an overflow is an error), and DECIMAL(38, 18) would cut integer
    digits, so the operand stays as it is. (Client SQL has no bignumeric type to cast to.)"""
    return (
        isinstance(node, exp.Cast)
        and not isinstance(node, exp.TryCast)
        and node.to.this == exp.DType.BIGDECIMAL
        and not node.to.expressions
        and not (isinstance(node.this, exp.Literal) and node.this.is_string)
    )


def _big_literal(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Cast)
        and node.to.this == exp.DType.BIGDECIMAL
        and not node.to.expressions
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and re.fullmatch(r"-?\d+(\.\d+)?", node.this.this) is not None
    )


def _decimal_literal(node: exp.Cast) -> exp.Expr:
    """A BIGNUMERIC literal gets its own scale in DuckDB (DECIMAL(38, 18) would round it)."""
    text = node.this.this
    scale = len(text.partition(".")[2])
    to = exp.DataType.build(f"DECIMAL(38, {scale})", dialect="duckdb")
    return exp.Cast(this=node.this, to=to)


def _decimal(node: exp.DataType) -> exp.DataType:
    if node.expressions:
        return node
    spelling = "DECIMAL(38, 9)" if node.this == exp.DType.DECIMAL else "DECIMAL(38, 18)"
    return exp.DataType.build(spelling, dialect="duckdb")
