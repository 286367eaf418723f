"""Allow-list rules for operators: arithmetic, comparison, logic, LIKE, regex, IN, ANY.

PostgreSQL's operator type rules for the types pgbridge knows: integers stay integers (so
`7 / 2` is 3), any float makes float, numeric beats integer; date +/- integer is a date,
date - date an integer, date/timestamp +/- an interval a timestamp. The fixups module
rewrites these into the BigQuery spelling; combinations not listed are refused.
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.rules import interval_parts
from pgbridge.sql.typer import Typer, rule
from pgbridge.wire.errors import unsupported


def _operands(t: Typer, node: exp.Binary) -> tuple[str | None, str | None]:
    left, right = t.types.get(id(node.this)), t.types.get(id(node.expression))
    if left == T.UNKNOWN and right not in (None, T.UNKNOWN):
        t.settle(node.this, _settle_target(right, node))
        left = t.types.get(id(node.this))
    elif right == T.UNKNOWN and left not in (None, T.UNKNOWN):
        t.settle(node.expression, _settle_target(left, node))
        right = t.types.get(id(node.expression))
    elif left == T.UNKNOWN and right == T.UNKNOWN and isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        t.mark_undecidable(node.this)
        t.mark_undecidable(node.expression)
    return left, right


def _settle_target(other: str | None, node: exp.Binary) -> str | None:
    # date + $1 means date + integer; timestamp - $1 would be an interval: PostgreSQL's own
    # resolution picks the same-type operator first, which we mirror except for dates.
    if other == T.DATE and isinstance(node, (exp.Add, exp.Sub)):
        return T.INT
    return other


@rule(exp.Add, exp.Sub, exp.Mul)
def _arithmetic(t: Typer, node: exp.Binary) -> str | None:
    left, right = _operands(t, node)
    if left in T.NUMBERS and right in T.NUMBERS:
        if isinstance(node, exp.Mul) and left == right == T.NUMERIC:
            raise unsupported(
                "numeric * numeric", hint="BigQuery NUMERIC keeps 9 decimal places; cast to float8"
            )
        result = _number_result(left, right)
        if result == T.NUMERIC:
            from pgbridge.sql import numeric_exact

            t.set_type(node, result)
            numeric_exact.mark_arithmetic(t, node)  # 1.5 + 1.5 prints 3.0
        return result
    return _datetime_arithmetic(t, node, left, right)


def _number_result(left: str | None, right: str | None) -> str:
    if T.FLOAT in (left, right):
        return T.FLOAT
    if T.NUMERIC in (left, right):
        return T.NUMERIC
    return T.INT


def _datetime_arithmetic(t: Typer, node: exp.Binary, left: str | None, right: str | None) -> str | None:
    add = isinstance(node, exp.Add)
    sub = isinstance(node, exp.Sub)
    if (add or sub) and left == T.DATE and right == T.INT:
        return T.DATE
    if add and left == T.INT and right == T.DATE:
        return T.DATE
    if sub and left == right == T.DATE:
        return T.INT
    if sub and left == right and left in (T.DATETIME, T.TIMESTAMP):
        return T.INTERVAL  # a time difference, whole days moved into the day field (fixups)
    if T.INTERVAL in (left, right):
        _check_interval_operand(node)
    if (add or sub) and left in (T.DATE, T.DATETIME) and right == T.INTERVAL:
        return T.DATETIME
    if add and left == T.INTERVAL and right in (T.DATE, T.DATETIME):
        return T.DATETIME
    if (add or sub) and left == T.TIMESTAMP and right == T.INTERVAL:
        interval = node.expression
        if not isinstance(interval, exp.Interval):
            raise unsupported("timestamptz +/- a computed interval", hint="write interval '3 days' directly")
        parts = interval_parts(interval)
        if parts is not None and parts[1] not in ("HOUR", "MINUTE", "SECOND"):
            t.zone()  # days and longer count on the session zone's calendar
        return T.TIMESTAMP
    op = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}[type(node)]
    raise unsupported(f"operator {_name(left)} {op} {_name(right)}")


def _check_interval_operand(node: exp.Binary) -> None:
    # Date arithmetic is translated for single-unit interval literals (interval '3 days');
    # BigQuery's month-and-day arithmetic on other intervals is not verified to match.
    interval = node.expression if isinstance(node.expression, exp.Interval) else node.this
    if not isinstance(interval, exp.Interval) or interval_parts(interval) is None:
        raise unsupported(
            "date/time arithmetic with this interval", hint="use one unit, e.g. + interval '3 days'"
        )


def _name(type_: str | None) -> str:
    return (type_ or "unknown").lower()


@rule(exp.Div)
def _div(t: Typer, node: exp.Div) -> str | None:
    left, right = _operands(t, node)
    if left == right == T.INT:
        return T.INT
    if T.FLOAT in (left, right) and left in T.NUMBERS and right in T.NUMBERS:
        return T.FLOAT
    if left in T.NUMBERS and right in T.NUMBERS:
        from pgbridge.sql import numeric_exact

        if numeric_exact.mark_division(t, node):
            return T.NUMERIC  # PostgreSQL's digits, as an output column
        raise unsupported(
            "numeric division",
            hint="PostgreSQL picks a per-value result scale (7.0 / 2 = 3.5000000000000000); pgbridge "
            "computes it for column or literal operands, as an output column of the outermost SELECT; "
            "elsewhere cast to float8",
        )
    raise unsupported(f"operator {_name(left)} / {_name(right)}")


@rule(exp.Mod)
def _mod(t: Typer, node: exp.Mod) -> str | None:
    left, right = _operands(t, node)
    if left in (T.INT, T.NUMERIC) and right in (T.INT, T.NUMERIC):
        return _number_result(left, right)
    raise unsupported(f"operator {_name(left)} % {_name(right)}")


@rule(exp.Neg)
def _neg(t: Typer, node: exp.Neg) -> str | None:
    inner = t.types.get(id(node.this))
    if inner == T.NUMERIC and isinstance(node.this, exp.Literal):
        from pgbridge.sql import numeric_exact

        numeric_exact.mark_literal(t, node, "-" + str(node.this.this))  # `SELECT -2.0` prints -2.0
    if inner in T.NUMBERS:
        return inner
    raise unsupported(f"unary minus on {_name(inner)}")


_COMPARABLE = {T.INT, T.FLOAT, T.NUMERIC, T.STRING, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP, T.TIME}


@rule(exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ, exp.NullSafeNEQ)
def _compare(t: Typer, node: exp.Binary) -> str | None:
    if isinstance(node.expression, (exp.Any, exp.All)):
        return _quantified(t, node)
    left, right = _operands(t, node)
    if {left, right} in ({T.DATE, T.TIMESTAMP}, {T.DATETIME, T.TIMESTAMP}):
        t.zone()  # PostgreSQL reads the date or timestamp side in the session zone (fixups)
        return T.BOOL
    _check_comparable(left, right, node)
    return T.BOOL


def _check_comparable(left: str | None, right: str | None, node: exp.Expr) -> None:
    both_numbers = left in T.NUMBERS and right in T.NUMBERS
    if both_numbers or left == T.UNKNOWN or right == T.UNKNOWN:
        return
    if left == right and left in _COMPARABLE:
        return
    if {left, right} == {T.DATE, T.DATETIME}:
        return
    raise unsupported(f"comparing {_name(left)} with {_name(right)}")


def _quantified(t: Typer, node: exp.Binary) -> str | None:
    quantifier = node.expression
    inner = quantifier.this.this if isinstance(quantifier.this, exp.Paren) else quantifier.this
    if not isinstance(node, exp.EQ) or not isinstance(quantifier, exp.Any):
        raise unsupported(
            f"{node.key.upper()} {quantifier.key.upper()}(...)", hint="only = ANY(...) is supported"
        )
    left = t.types.get(id(node.this))
    if isinstance(inner, (exp.Subquery, exp.Select)):
        return T.BOOL
    inner = _settle_array_parameter(t, node.this, inner)
    element = T.element_of(t.types.get(id(inner)))
    if element is None:
        raise unsupported("= ANY(...) of something that is not an array column")
    if t.param_number(inner.this if isinstance(inner, exp.Cast) else inner) is not None:
        _check_filter_only(node)
    if left == T.UNKNOWN:
        t.settle(node.this, element)
    else:
        _check_comparable(left, element, node)
    return T.BOOL


def _settle_array_parameter(t: Typer, left: exp.Expr, inner: exp.Expr) -> exp.Expr:
    # x = ANY($1) with $1 undeclared: PostgreSQL types $1 as an array of x's type.
    left_type = t.types.get(id(left))
    if t.param_number(inner) is not None and left_type in _ARRAY_ELEMENTS:
        t.settle(inner, f"ARRAY<{left_type}>")
    return inner


# Element types an undeclared = ANY($n) parameter may take (BigQuery array parameters).
_ARRAY_ELEMENTS = (T.INT, T.STRING, T.NUMERIC, T.FLOAT, T.BOOL, T.DATE, T.DATETIME, T.TIMESTAMP)


def _check_filter_only(node: exp.Expr) -> None:
    """x = ANY($n) only where a NULL and a FALSE answer keep the same rows.

    PostgreSQL answers NULL for a NULL array, BigQuery (which binds a NULL array parameter
    as an empty one) FALSE: the same in WHERE / HAVING / ON reached through AND / OR only.
    """
    parent = node.parent
    while isinstance(parent, (exp.And, exp.Or, exp.Paren)):
        parent = parent.parent
    if not isinstance(parent, (exp.Where, exp.Having, exp.Join)):
        raise unsupported(
            "= ANY($n) of an array parameter outside a WHERE / HAVING / ON condition",
            hint="BigQuery reads a NULL array parameter as an empty array",
        )


@rule(exp.Any)
def _any(t: Typer, node: exp.Any) -> str | None:
    if not isinstance(node.parent, exp.EQ):
        raise unsupported("ANY(...) outside = ANY(...)")
    return None


@rule(exp.And, exp.Or)
def _logic(t: Typer, node: exp.Binary) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.BOOL)
    return T.BOOL


@rule(exp.Not)
def _not(t: Typer, node: exp.Not) -> str | None:
    t.settle(node.this, T.BOOL)
    return T.BOOL


@rule(exp.Is)
def _is(t: Typer, node: exp.Is) -> str | None:
    if t.types.get(id(node.this)) == T.UNKNOWN:
        t.mark_undecidable(node.this)
    return T.BOOL


@rule(exp.Between)
def _between(t: Typer, node: exp.Between) -> str | None:
    if node.args.get("symmetric") and list(node.this.find_all(exp.Rand, exp.Anonymous, exp.Subquery)):
        # sqlglot writes it as (x BETWEEN a AND b OR x BETWEEN b AND a), PostgreSQL's own
        # definition, but that evaluates x twice: only for a repeatable x.
        raise unsupported("BETWEEN SYMMETRIC of a volatile or subquery value")
    subject = t.types.get(id(node.this))
    for bound in (node.args["low"], node.args["high"]):
        t.settle(bound, subject)
        _check_comparable(subject, t.types.get(id(bound)), node)
    return T.BOOL


@rule(exp.In)
def _in(t: Typer, node: exp.In) -> str | None:
    if node.args.get("unnest") or node.args.get("field"):
        raise unsupported("IN UNNEST(...)")
    subject = t.types.get(id(node.this))
    for item in node.expressions:
        if subject == T.UNKNOWN:
            t.settle(node.this, t.types.get(id(item)))
            subject = t.types.get(id(node.this))
        t.settle(item, subject)
        _check_comparable(subject, t.types.get(id(item)), node)
    return T.BOOL


@rule(exp.Exists)
def _exists(t: Typer, node: exp.Exists) -> str | None:
    return T.BOOL


@rule(exp.Like, exp.ILike)
def _like(t: Typer, node: exp.Binary) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.STRING)
        if t.types.get(id(side)) != T.STRING:
            raise unsupported(f"LIKE on {_name(t.types.get(id(side)))}")
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.this.endswith("\\") and not pattern.this.endswith("\\\\"):
        raise unsupported("LIKE pattern ending in a lone backslash")
    return T.BOOL


@rule(exp.Escape)
def _escape(t: Typer, node: exp.Escape) -> str | None:
    raise unsupported("LIKE ... ESCAPE", hint="the default escape character \\ is supported")


# RE2 and PostgreSQL's regex engine agree on plain literals, classes of plain characters,
# anchors, alternation, groups and the usual quantifiers. Anything else (backreferences,
# lookaround, \m \y word boundaries, [[:alpha:]] classes, \d and \w whose Unicode reach
# differs) is refused.
_SAFE_REGEX = re.compile(
    r"([^\\\[\]{}]|\\[.^$|?*+()\[\]{}\\/-]|\[\^?(\\[\]\\^-]|[^\\\[\]])+\]|\{\d+(,\d*)?\})*"
)


@rule(exp.RegexpLike)
def _regexp_like(t: Typer, node: exp.RegexpLike) -> str | None:
    t.settle(node.this, T.STRING)
    pattern = node.expression
    if not isinstance(pattern, exp.Literal) or not pattern.is_string:
        raise unsupported("regular expression operator ~ with a non-literal pattern")
    if not _SAFE_REGEX.fullmatch(pattern.this) or "(?" in pattern.this:
        raise unsupported(
            f"regular expression '{pattern.this}'",
            hint="PostgreSQL's and BigQuery's regex engines differ on this pattern",
        )
    t.settle(pattern, T.STRING)
    return T.BOOL


@rule(exp.DPipe)
def _dpipe(t: Typer, node: exp.DPipe) -> str | None:
    for side in (node.this, node.expression):
        if t.types.get(id(side)) == T.UNKNOWN:
            t.settle(side, T.STRING)
        if t.types.get(id(side)) not in (T.STRING, T.INT):
            raise unsupported(
                f"|| with a {_name(t.types.get(id(side)))} operand",
                hint="cast it to text first where PostgreSQL and BigQuery print it alike",
            )
    if T.STRING not in (t.types.get(id(node.this)), t.types.get(id(node.expression))):
        raise unsupported("|| without a text operand")
    return T.STRING


@rule(exp.Bracket)
def _bracket(t: Typer, node: exp.Bracket) -> str | None:
    element = T.element_of(t.types.get(id(node.this)))
    if element is None or len(node.expressions) != 1:
        raise unsupported("subscript on something that is not a one-dimensional array")
    t.settle(node.expressions[0], T.INT)
    if t.types.get(id(node.expressions[0])) != T.INT:
        raise unsupported("array subscript that is not an integer")
    return element
