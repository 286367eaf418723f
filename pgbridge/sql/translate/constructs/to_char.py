"""to_char(date/timestamp/timestamptz, template), built piece by piece from EXTRACT.

The template (a literal, read as written: sqlglot has rewritten it as strftime codes) is
split the way PostgreSQL's formatting.c splits it: at each position the longest of
PostgreSQL's own keywords (case-sensitive, as its table is) that matches, an FM prefix, a
double-quoted string, or else one character copied as it is. Each supported keyword becomes
an expression on the local wall-clock time: numbers zero-padded to PostgreSQL's width
(unpadded after FM), month and day names in English (the C locale) blank-padded to 9
characters for Month / Day (not after FM), AM/PM markers spelled like their keyword. So both
engines print the same characters, with no strftime dialect involved.

Supported: YYYY YYY YY Y MM DD HH24 HH12 HH MI SS MS US AM PM A.M. P.M. (any case)
Month MONTH month Mon MON mon Day DAY day Dy DY dy D ID DDD IW WW W Q CC J SSSS SSSSS, and FM.
Refused by name: BC/AD markers, Y,YYY, the ISO year patterns (IYYY ...), IDDD, RM, FF1-FF6,
TZ, TZH, TZM, OF, FX, the TM prefix and the TH / SP suffixes, and a backslash.
A timestamptz is formatted in the session zone and a date as its midnight, as PostgreSQL does.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.constructs.to_timestamp import raw_format
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("to_char")

META_KEY = "pg_to_char"  # node.meta: the template split into (keyword or None, text, fm)

# PostgreSQL 15's DCH_keywords, all of them, so that the split matches its own.
_KEYWORD_TEXT = """A.D. A.M. AD AM B.C. BC CC DAY DDD DD DY Day Dy D FF1 FF2 FF3 FF4 FF5 FF6 FX HH24 HH12 HH
    IDDD ID IW IYYY IYY IY I J MI MM MONTH MON MS Month Mon OF P.M. PM Q RM SSSSS SSSS SS TZH TZM
    TZ US WW W Y,YYY YYYY YYY YY Y a.d. a.m. ad am b.c. bc cc day ddd dd dy d ff1 ff2 ff3 ff4 ff5
    ff6 fx hh24 hh12 hh iddd id iw iyyy iyy iy i j mi mm month mon ms of p.m. pm q rm sssss ssss
    ss tzh tzm tz us ww w y,yyy yyyy yyy yy y"""
_KEYWORDS = sorted(_KEYWORD_TEXT.split(), key=len, reverse=True)
_MONTHS = "January February March April May June July August September October November December"
_DAYS = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday"

Piece = tuple[str | None, str, bool]  # (keyword, literal text, FM before it)


def split_template(fmt: str) -> list[Piece]:
    """The template as PostgreSQL reads it; 0A000 naming the first keyword not translated."""
    pieces: list[Piece] = []
    index, fm = 0, False
    while index < len(fmt):
        rest = fmt[index:]
        if rest[:2] in ("FM", "fm"):
            if not any(rest[2:].startswith(k) for k in _KEYWORDS):
                _refuse(rest[:2], fmt)  # FM must stand before a keyword
            fm, index = True, index + 2
            continue
        if rest[:2] in ("TM", "tm", "FX", "fx") or rest[0] == "\\":
            _refuse(rest[:2] if rest[0] != "\\" else "\\", fmt)
        keyword = next((k for k in _KEYWORDS if rest.startswith(k)), None)
        if keyword is not None:
            if keyword.upper() not in _BUILDERS:
                _refuse(keyword, fmt)
            if fmt[index + len(keyword) : index + len(keyword) + 2].upper() in ("TH", "SP"):
                _refuse(fmt[index + len(keyword) : index + len(keyword) + 2], fmt)
            pieces.append((keyword, "", fm))
            index, fm = index + len(keyword), False
        elif rest[0] == '"':
            close = fmt.find('"', index + 1)
            if close < 0 or "\\" in fmt[index:close]:
                _refuse('"', fmt)
            pieces.append((None, fmt[index + 1 : close], False))
            index = close + 1
        else:
            pieces.append((None, rest[0], False))
            index += 1
    return pieces


def _refuse(token: str, fmt: str) -> None:
    raise unsupported(
        f"to_char() with the template pattern {token!r} (in {fmt!r})",
        hint="supported: YYYY MM DD HH24 HH12 MI SS MS US AM Month Mon Day Dy D ID DDD IW WW W Q CC J FM",
    )


@construct.rule(exp.TimeToStr)
def _to_char(t: Typer, node: exp.TimeToStr) -> str | None:
    source = t.types.get(id(node.this))
    if source not in (T.DATE, T.DATETIME, T.TIMESTAMP):
        raise unsupported(f"to_char() of {(source or 'unknown').lower()}")
    fmt = node.args.get("format")
    written = raw_format(t.text, node) if isinstance(fmt, exp.Literal) and fmt.is_string else None
    if fmt is None or written is None:
        raise unsupported("to_char() with a template that is not a string literal")
    node.meta[META_KEY] = split_template(written)
    if source in (T.TIMESTAMP, T.DATE):
        t.zone()
    t.set_type(fmt, T.STRING)
    return T.STRING


@construct.fixup(exp.TimeToStr)
def _to_char_fix(t: Typer, node: exp.TimeToStr) -> exp.Expr:
    value, source = node.this, t.types.get(id(node.this))
    if source == T.TIMESTAMP:
        value = timefix.local_datetime(value, t.zone())
    elif source == T.DATE:
        value = cast(value, T.DATETIME)
    pieces: list[exp.Expr] = []
    for keyword, text, fm in node.meta[META_KEY]:
        if keyword is None:
            pieces.append(exp.Literal.string(text))
        else:
            pieces.append(_BUILDERS[keyword.upper()](value, keyword, fm))
    text = call("CONCAT", *pieces) if len(pieces) > 1 else (pieces or [exp.Literal.string("")])[0]
    return exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null(), false=text)


# -- the pieces -----------------------------------------------------------------------------------


def _part(value: exp.Expr, name: str) -> exp.Expr:
    return exp.Extract(this=exp.Var(this=name), expression=value.copy())


def _digits(number: exp.Expr, width: int, fm: bool) -> exp.Expr:
    text = cast(number, T.STRING)
    return (
        text if fm or width <= 1 else call("LPAD", text, exp.Literal.number(width), exp.Literal.string("0"))
    )


def _number(name: str, width: int, transform: Callable[[exp.Expr], exp.Expr] = lambda e: e) -> Builder:
    return lambda value, keyword, fm: _digits(transform(_part(value, name)), width, fm)


def _mod(modulus: int) -> Callable[[exp.Expr], exp.Expr]:
    return lambda e: call("MOD", e, exp.Literal.number(modulus))


def _less_one_div(divisor: int) -> Callable[[exp.Expr], exp.Expr]:
    """(e - 1) / divisor + 1 in integers (the operand parenthesized: the BigQuery emulator
    misreads DIV(e - 1, n))."""
    return lambda e: exp.Add(
        this=call(
            "DIV",
            exp.Paren(this=exp.Sub(this=e, expression=exp.Literal.number(1))),
            exp.Literal.number(divisor),
        ),
        expression=exp.Literal.number(1),
    )


def _micros(value: exp.Expr) -> exp.Expr:
    """The microseconds within the second (EXTRACT(MICROSECOND) differs between the engines)."""
    second = exp.DatetimeTrunc(this=value.copy(), unit=exp.Var(this="SECOND"))
    return exp.DatetimeDiff(this=value.copy(), expression=second, unit=exp.Var(this="MICROSECOND"))


def _named(names: str, part: str, offset: int) -> Builder:
    def build(value: exp.Expr, keyword: str, fm: bool) -> exp.Expr:
        spelled = names.split()
        short = keyword.upper() in ("MON", "DY")
        if short:
            spelled = [n[:3] for n in spelled]
        if keyword.isupper():
            spelled = [n.upper() for n in spelled]
        elif keyword.islower():
            spelled = [n.lower() for n in spelled]
        if not short and not fm:
            spelled = [n.ljust(9) for n in spelled]
        array = exp.Array(expressions=[exp.Literal.string(n) for n in spelled])
        index = exp.Sub(this=_part(value, part), expression=exp.Literal.number(offset))
        return exp.Bracket(this=array, expressions=[index], offset=0, safe=True)

    return build


def _meridiem(value: exp.Expr, keyword: str, fm: bool) -> exp.Expr:
    morning = exp.LT(this=_part(value, "HOUR"), expression=exp.Literal.number(12))
    dotted = "." in keyword
    am, pm = ("a.m.", "p.m.") if dotted else ("am", "pm")
    if keyword[0].isupper():
        am, pm = am.upper(), pm.upper()
    return exp.If(this=morning, true=exp.Literal.string(am), false=exp.Literal.string(pm))


def _julian(value: exp.Expr, keyword: str, fm: bool) -> exp.Expr:
    day = cast(value.copy(), T.DATE)
    days = exp.DateDiff(
        this=day, expression=cast(exp.Literal.string("1970-01-01"), T.DATE), unit=exp.Var(this="DAY")
    )
    return cast(exp.Add(this=days, expression=exp.Literal.number(2440588)), T.STRING)


def _seconds_of_day(value: exp.Expr, keyword: str, fm: bool) -> exp.Expr:
    hours = exp.Mul(this=_part(value, "HOUR"), expression=exp.Literal.number(3600))
    minutes = exp.Mul(this=_part(value, "MINUTE"), expression=exp.Literal.number(60))
    total = exp.Add(this=exp.Add(this=hours, expression=minutes), expression=_part(value, "SECOND"))
    return cast(total, T.STRING)


def _fraction(divisor: int, width: int) -> Builder:
    # PostgreSQL pads MS and US even after FM.
    return lambda value, keyword, fm: _digits(
        call("DIV", _micros(value), exp.Literal.number(divisor)), width, False
    )


Builder = Callable[[exp.Expr, str, bool], exp.Expr]
_BUILDERS: dict[str, Builder] = {
    "YYYY": _number("YEAR", 4),
    "YYY": _number("YEAR", 3, _mod(1000)),
    "YY": _number("YEAR", 2, _mod(100)),
    "Y": _number("YEAR", 1, _mod(10)),
    "CC": _number("YEAR", 2, _less_one_div(100)),  # (year + 99) / 100 for years after 0
    "MM": _number("MONTH", 2),
    "DD": _number("DAY", 2),
    "DDD": _number("DAYOFYEAR", 3),
    "D": _number("DAYOFWEEK", 1),
    "ID": _number(
        "DAYOFWEEK",
        1,
        lambda e: exp.Add(
            this=_mod(7)(exp.Add(this=e, expression=exp.Literal.number(5))), expression=exp.Literal.number(1)
        ),
    ),
    "IW": _number("ISOWEEK", 2),
    "WW": _number("DAYOFYEAR", 2, _less_one_div(7)),
    "W": _number("DAY", 1, _less_one_div(7)),
    "Q": _number("QUARTER", 1),
    "HH24": _number("HOUR", 2),
    "HH12": _number(
        "HOUR",
        2,
        lambda e: exp.Add(
            this=_mod(12)(exp.Add(this=e, expression=exp.Literal.number(11))),
            expression=exp.Literal.number(1),
        ),
    ),
    "MI": _number("MINUTE", 2),
    "SS": _number("SECOND", 2),
    "MS": _fraction(1000, 3),
    "US": _fraction(1, 6),
    "SSSS": _seconds_of_day,
    "SSSSS": _seconds_of_day,
    "J": _julian,
    "AM": _meridiem,
    "PM": _meridiem,
    "A.M.": _meridiem,
    "P.M.": _meridiem,
    "MONTH": _named(_MONTHS, "MONTH", 1),
    "MON": _named(_MONTHS, "MONTH", 1),
    "DAY": _named(_DAYS, "DAYOFWEEK", 1),
    "DY": _named(_DAYS, "DAYOFWEEK", 1),
}
_BUILDERS["HH"] = _BUILDERS["HH12"]
