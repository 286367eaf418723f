"""to_timestamp(text, format), to_date(text, format) and to_timestamp(epoch seconds).

PostgreSQL's parser of formatted dates is lenient (a separator matches any separator, numbers
may be short, spaces are skipped); BigQuery's PARSE_TIMESTAMP is lenient elsewhere. Neither
leniency is copied: the format (a literal) becomes one strict regular expression, and an
input of exactly that form is read field by field into the canonical 'YYYY-MM-DD HH:MI:SS.US'
text and cast. An input of any other form fails with an error instead of being read some
other way, so the answer is PostgreSQL's or an error, never a different date.

Patterns: YYYY MM DD HH24 MI SS MS US (any case), the separators - / : . , space, and
double-quoted letters, digits and spaces. The input may stop after any whole field
(PostgreSQL then ignores the rest of the format: the missing fields are 1 for month and
day, 0 for the time), and may go on after the whole format with anything but a digit
(ignored, as PostgreSQL ignores it). MS and US read 1-3 and 1-6 digits where a separator or
the end follows (PostgreSQL scales '5' to 500 ms), exactly 3 and 6 otherwise. The fields
are read as wall-clock time in the session zone. Every other pattern (names of months,
12-hour clocks, FX, FM, TZ, ...) is refused by name.

to_timestamp(epoch) converts as PostgreSQL's float8_timestamptz does: rint() of the
microseconds after moving to PostgreSQL's epoch, with float arithmetic in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp
from sqlglot.tokens import Tokenizer, TokenType

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate import timefix
from pgbridge.sql.translate.build import call, cast
from pgbridge.sql.translate.checks import type_name
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("to_timestamp")

META_KEY = "pg_to_timestamp"

# field -> (regex of its digits, width when another field follows directly)
_FIELDS = {
    "YYYY": r"0(?:0(?:0[1-9]|[1-9][0-9])|[1-9][0-9]{2})|[1-9][0-9]{3}",  # 0000 is 1 BC: refused
    "MM": r"0[1-9]|1[0-2]",
    "DD": r"0[1-9]|[12][0-9]|3[01]",
    "HH24": r"[01][0-9]|2[0-3]",
    "MI": r"[0-5][0-9]",
    "SS": r"[0-5][0-9]",
    "MS": r"[0-9]{3}",
    "US": r"[0-9]{6}",
}
_SHORT_FRACTION = {"MS": r"[0-9]{1,3}", "US": r"[0-9]{1,6}"}
_DATE_FIELDS = ("YYYY", "MM", "DD")
_SEPARATORS = "-/:., "
_TOKEN = re.compile(r'(?i)(YYYY|MM|DD|HH24|MI|SS|MS|US)|([-/:., ])|"([^"\\]*)"|(.)')
# How an unsupported pattern is named in the refusal: PostgreSQL's keywords, else the word.
_OTHER = re.compile(r"(?i)FX|FM|TM|TH|SP|TZH|TZM|TZ|OF|HH12|HH|[AP]\.?M\.?|MONTH|MON|DAY|DY|[A-Z]+[0-9]*|.")
_EPOCH_SHIFT = 946684800  # seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch


@dataclass(frozen=True)
class Form:
    """The strict regular expression of a format and the field each group captures."""

    regex: str
    fields: tuple[str, ...]


def parse_format(fmt: str, what: str, allowed: tuple[str, ...]) -> Form:
    """The strict form of a PostgreSQL date format, or 0A000 naming the first pattern refused."""
    pieces: list[tuple[str, str | None]] = []  # (regex, field or None for literal text)
    for match in _TOKEN.finditer(fmt):
        field, separator, quoted, other = match.groups()
        if field is not None and field.upper() in allowed:
            pieces.append(("", field.upper()))
        elif separator is not None or (quoted and re.fullmatch(r"[A-Za-z0-9 ]+", quoted)):
            pieces.append((_literal(separator or quoted), None))
        else:
            named = _OTHER.match(fmt, match.start())
            token = field or (named.group(0) if named else fmt[match.start() :])
            raise unsupported(
                f"{what} with the format pattern {token!r} (in {fmt!r})",
                hint=f'supported: {" ".join(allowed)}, the separators - / : . , space and "quoted letters"',
            )
    fields = tuple(field for _, field in pieces if field is not None)
    if not fields or len(set(fields)) != len(fields) or {"MS", "US"} <= set(fields):
        raise unsupported(f"{what} format {fmt!r} without each field at most once, MS or US, and a field")
    return Form(_strict_regex(pieces), fields)


def _literal(text: str) -> str:
    """Text matched as written: punctuation escaped, as RE2 and Python's re both read it."""
    return "".join(
        "\\" + c if c.isascii() and c.isprintable() and not c.isalnum() and c != " " else c for c in text
    )


def _strict_regex(pieces: list[tuple[str, str | None]]) -> str:
    """^a(?:-b(?:-c(rest)?)?)?$: the input may stop after any whole field (the literal text
    before a field belongs to that field's optional part), or go on after the whole format."""
    segments: list[str] = []
    current = ""
    for index, (text, field) in enumerate(pieces):
        if field is None:
            current += text
            continue
        following = pieces[index + 1][1] if index + 1 < len(pieces) else None
        digits = _SHORT_FRACTION.get(field, _FIELDS[field]) if following is None else _FIELDS[field]
        segments.append(f"{current}({digits})")
        current = ""
    # PostgreSQL ignores input after the whole format; not a digit, which a field would read.
    trailing = f"(?:{current}(?:[^0-9].*)?)?" if current else "(?:[^0-9].*)?"
    inner = "".join(f"(?:{segment}" for segment in segments[1:])
    return f"(?s)^{segments[0]}{inner}{trailing}{')?' * (len(segments) - 1)}$"


def raw_format(text: str, node: exp.Expr) -> str | None:
    """The format literal as written (sqlglot has rewritten it as strftime codes): the string
    after the first comma of the call at the node's position in the statement's text."""
    end = node.meta.get("end")
    if not isinstance(end, int) or not text:
        return None
    depth, after_comma = 0, False
    for token in Tokenizer().tokenize(text[end + 1 :]):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth <= 0:
                return None
        elif token.token_type == TokenType.COMMA and depth == 1:
            after_comma = True
        elif after_comma:
            return token.text if token.token_type == TokenType.STRING else None
    return None


def _check(t: Typer, node: exp.Expr, what: str, allowed: tuple[str, ...]) -> Form:
    t.settle(node.this, T.STRING)
    if t.types.get(id(node.this)) not in (T.STRING, T.UNKNOWN):
        raise unsupported(f"{what} of {type_name(t.types.get(id(node.this)))}")
    fmt = node.args.get("format")
    written = raw_format(t.text, node) if isinstance(fmt, exp.Literal) and fmt.is_string else None
    if fmt is None or written is None:
        raise unsupported(f"{what} with a format that is not a string literal")
    t.set_type(fmt, T.STRING)
    return parse_format(written, what, allowed)


@construct.rule(exp.StrToTime)
def _to_timestamp(t: Typer, node: exp.StrToTime) -> str | None:
    node.meta[META_KEY] = _check(t, node, "to_timestamp()", tuple(_FIELDS))
    t.zone()  # refuses a session zone the engines would read differently
    return T.TIMESTAMP


@construct.rule(exp.StrToDate)
def _to_date(t: Typer, node: exp.StrToDate) -> str | None:
    node.meta[META_KEY] = _check(t, node, "to_date()", _DATE_FIELDS)
    return T.DATE


def _canonical(value: exp.Expr, form: Form) -> exp.Expr:
    """'YYYY-MM-DD HH:MI:SS.ffffff' from the fields the strict regex captured."""

    def field(name: str, default: str, width: int, pad: str = "LPAD") -> exp.Expr:
        if name not in form.fields:
            return exp.Literal.string(default)
        group = form.fields.index(name)
        only = _only_group(form.regex, group)
        found = call(
            "NULLIF",
            exp.RegexpExtract(this=value.copy(), expression=exp.Literal.string(only)),
            exp.Literal.string(""),
        )
        text = exp.Coalesce(this=found, expressions=[exp.Literal.string(default)])
        return call(pad, text, exp.Literal.number(width), exp.Literal.string("0"))

    fraction = (
        call("CONCAT", field("MS", "000", 3, "RPAD"), exp.Literal.string("000"))
        if "MS" in form.fields
        else field("US", "000000", 6, "RPAD")
    )
    pieces: list[exp.Expr | str] = [
        field("YYYY", "0001", 4),
        "-",
        field("MM", "01", 2),
        "-",
        field("DD", "01", 2),
        " ",
    ]
    pieces += [field("HH24", "00", 2), ":", field("MI", "00", 2), ":", field("SS", "00", 2), ".", fraction]
    return call("CONCAT", *(exp.Literal.string(p) if isinstance(p, str) else p for p in pieces))


def _only_group(regex: str, keep: int) -> str:
    """The strict regex with every capturing group but number `keep` (from 0) non-capturing."""
    count = -1

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return "(" if count == keep else "(?:"

    return re.sub(r"\((?!\?)", replace, regex)


def _strict_read(t: Typer, node: exp.Expr, target: str, what: str) -> exp.Expr:
    form: Form = node.meta[META_KEY]
    value = node.this
    text = _canonical(value, form)
    stamp = cast(text, T.DATETIME)
    read = cast(stamp, T.DATE) if target == T.DATE else timefix.zoned_timestamp(stamp, t.zone())
    fits = exp.RegexpLike(this=value.copy(), expression=exp.Literal.string(form.regex))
    refusal = call(
        "ERROR", exp.Literal.string(f"{what}: the input does not have exactly the form of its format")
    )
    checked = exp.If(this=fits, true=read, false=refusal)
    return exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null(), false=checked)


@construct.fixup(exp.StrToTime)
def _to_timestamp_fix(t: Typer, node: exp.StrToTime) -> exp.Expr:
    return _strict_read(t, node, T.TIMESTAMP, "to_timestamp()")


@construct.fixup(exp.StrToDate)
def _to_date_fix(t: Typer, node: exp.StrToDate) -> exp.Expr:
    return _strict_read(t, node, T.DATE, "to_date()")


# -- to_timestamp(epoch) -------------------------------------------------------------------------


@construct.rule(exp.UnixToTime)
def _epoch(t: Typer, node: exp.UnixToTime) -> str | None:
    if node.args.get("scale") is not None or node.args.get("zone") is not None:
        raise unsupported("to_timestamp() with a scale or a zone")
    value = node.this
    t.settle(value, T.FLOAT)
    kind = t.types.get(id(value))
    written = numeric_literal(value)
    if kind == T.NUMERIC and written is not None:
        node.set("this", exp.Literal.number(repr(float(Decimal(written)))))  # as float8(numeric)
        t.set_type(node.this, T.FLOAT)
    elif kind not in (T.INT, T.FLOAT):
        raise unsupported(
            f"to_timestamp() of {type_name(kind)}", hint="an integer, a float8 or a numeric literal"
        )
    return T.TIMESTAMP


def numeric_literal(value: exp.Expr) -> str | None:
    if isinstance(value, exp.Neg):
        inner = numeric_literal(value.this)
        return None if inner is None else f"-{inner}"
    if isinstance(value, exp.Paren):
        return numeric_literal(value.this)
    return str(value.this) if isinstance(value, exp.Literal) and not value.is_string else None


@construct.fixup(exp.UnixToTime)
def _epoch_fix(t: Typer, node: exp.UnixToTime) -> exp.Expr:
    seconds = exp.Sub(this=cast(node.this, T.FLOAT), expression=exp.Literal.number(_EPOCH_SHIFT))
    micros = exp.Mul(this=exp.Paren(this=seconds), expression=exp.Literal.number("1e6"))
    epoch = exp.Cast(
        this=exp.Literal.string("2000-01-01 00:00:00+00"),
        to=exp.DataType.build("TIMESTAMP", dialect="bigquery"),
    )
    return exp.TimestampAdd(this=epoch, expression=rint(micros), unit=exp.Var(this="MICROSECOND"))


def rint(value: exp.Expr) -> exp.Expr:
    """C's rint(): to the nearest integer, ties to even (BigQuery's ROUND sends ties away from 0)."""
    half = exp.EQ(
        this=call("ABS", exp.Sub(this=value.copy(), expression=call("TRUNC", value.copy()))),
        expression=exp.Literal.number("0.5"),
    )
    even = exp.Mul(
        this=exp.Literal.number(2),
        expression=call("ROUND", exp.Div(this=value.copy(), expression=exp.Literal.number(2))),
    )
    rounded = exp.If(this=half, true=even, false=call("ROUND", value))
    return cast(rounded, T.INT)
