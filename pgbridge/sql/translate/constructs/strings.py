"""String functions and operators: length, lower, upper, substring, position, trim, replace,
left, right, lpad / rpad, repeat, concat, concat_ws, ||, split_part, translate, md5,
starts_with, ascii, octet_length, bit_length, array_to_string, string_to_array.

Each is allowed only where BigQuery's twin answers what PostgreSQL does:
- concat() skips NULLs, || with an integer prints it as PostgreSQL does; other types print
  differently and are refused;
- lower / upper fold ASCII letters only (the C collation pgbridge emulates); initcap's word
  rules differ and it is refused;
- trim() strips spaces only (BigQuery: all whitespace); split_part has no BigQuery twin and is
  built from SPLIT with SAFE_ORDINAL;
- a substring start, a left/right/lpad/rpad/repeat length and a split_part field must be
  integer literals: BigQuery counts a negative start from the end and rejects negative lengths;
- concat_ws skips NULL arguments, which BigQuery's ARRAY_TO_STRING does for NULL elements;
  array_to_string without a null string skips NULL elements in both;
- string_to_array(s, literal delimiter) is SPLIT, except that PostgreSQL's array of '' is
  empty (BigQuery's has one ''); a NULL or empty delimiter and the null string are refused;
- chr(n) is CHR(n) for a valid code point; 0, surrogates and numbers beyond U+10FFFF fail
  as in PostgreSQL (BigQuery's CHR(0) is '');
- octet_length is BYTE_LENGTH (bit_length 8 times it) of the UTF-8 text; ascii() of UTF-8
  text is the first code point, BigQuery's UNICODE() (its ASCII() is defined for ASCII text
  only).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import ascii_lower, ascii_upper, call, cast, type_at
from pgbridge.sql.translate.checks import arg_type, need_literal, type_name, want, want_or_null
from pgbridge.sql.translate.constructs import regex
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("strings")


@construct.rule(exp.Length)
def _length(t: Typer, node: exp.Length) -> str | None:
    if node.args.get("binary") or node.args.get("encoding") is not None:
        raise unsupported("length() of bytes or with an encoding")
    want(t, node.this, (T.STRING,), "length()")
    return T.INT


# md5: BigQuery's TO_HEX(MD5(x)) hashes the same UTF-8 bytes and prints lowercase hex.
@construct.rule(exp.Lower, exp.Upper, exp.Reverse, exp.MD5)
def _string_to_string(t: Typer, node: exp.Func) -> str | None:
    want(t, node.this, (T.STRING,), f"{node.sql_name().lower()}()")
    return T.STRING


@construct.rule(exp.Initcap)
def _initcap(t: Typer, node: exp.Initcap) -> str | None:
    raise unsupported("function initcap()", hint="its word rules differ between PostgreSQL and BigQuery")


@construct.rule(exp.Substring)
def _substring(t: Typer, node: exp.Substring) -> str | None:
    start = node.args.get("start")
    if isinstance(start, exp.Literal) and start.is_string:
        return regex.substring_pattern(t, node)  # substring(s from 'pattern')
    want(t, node.this, (T.STRING,), "substring()")
    # BigQuery counts a negative start from the end and treats 0 as 1; PostgreSQL does not.
    need_literal(node.args.get("start"), "substring() start", 1)
    need_literal(node.args.get("length"), "substring() length", 0)
    return T.STRING


@construct.rule(exp.StrPosition)
def _position(t: Typer, node: exp.StrPosition) -> str | None:
    if node.args.get("position") is not None or node.args.get("occurrence") is not None:
        raise unsupported("strpos() with a start position")
    want(t, node.this, (T.STRING,), "position()")
    want(t, node.args.get("substr"), (T.STRING,), "position()")
    return T.INT


@construct.rule(exp.Trim)
def _trim(t: Typer, node: exp.Trim) -> str | None:
    want(t, node.this, (T.STRING,), "trim()")
    chars = node.expression
    if chars is not None and not (isinstance(chars, exp.Literal) and chars.is_string):
        raise unsupported("trim() with characters that are not a string literal")
    if chars is not None:
        t.settle(chars, T.STRING)
    return T.STRING


@construct.rule(exp.Replace)
def _replace(t: Typer, node: exp.Replace) -> str | None:
    for arg in (node.this, node.expression, node.args.get("replacement")):
        want(t, arg, (T.STRING,), "replace()")
    return T.STRING


@construct.rule(exp.Left, exp.Right)
def _left_right(t: Typer, node: exp.Func) -> str | None:
    want(t, node.this, (T.STRING,), f"{node.sql_name().lower()}()")
    # PostgreSQL's negative n means "all but n"; BigQuery rejects it.
    need_literal(node.expression, f"{node.sql_name().lower()}() length", 0)
    return T.STRING


@construct.rule(exp.Pad)
def _pad(t: Typer, node: exp.Pad) -> str | None:
    want(t, node.this, (T.STRING,), "lpad()/rpad()")
    need_literal(node.expression, "lpad()/rpad() length", 0)
    fill = node.args.get("fill_pattern")
    if fill is not None:
        if not (isinstance(fill, exp.Literal) and fill.is_string and fill.this):
            raise unsupported("lpad()/rpad() with a fill that is not a non-empty string literal")
        t.settle(fill, T.STRING)
    return T.STRING


@construct.rule(exp.Repeat)
def _repeat(t: Typer, node: exp.Repeat) -> str | None:
    want(t, node.this, (T.STRING,), "repeat()")
    need_literal(node.args.get("times"), "repeat() count", 0)
    return T.STRING


@construct.rule(exp.Concat)
def _concat(t: Typer, node: exp.Concat) -> str | None:
    for arg in node.expressions:
        if arg_type(t, arg, T.STRING) not in (T.STRING, T.INT):
            raise unsupported(
                f"concat() of {(t.types.get(id(arg)) or 'unknown').lower()}",
                hint="PostgreSQL and BigQuery print other types differently",
            )
    return T.STRING


@construct.rule(exp.SplitPart)
def _split_part(t: Typer, node: exp.SplitPart) -> str | None:
    want(t, node.this, (T.STRING,), "split_part()")
    delimiter = node.args.get("delimiter")
    if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this):
        raise unsupported("split_part() with a delimiter that is not a non-empty string literal")
    t.settle(delimiter, T.STRING)
    need_literal(node.args.get("part_index"), "split_part() field", 1)
    return T.STRING


@construct.rule(exp.StartsWith)
def _starts_with(t: Typer, node: exp.StartsWith) -> str | None:
    want(t, node.this, (T.STRING,), "starts_with()")
    want(t, node.expression, (T.STRING,), "starts_with()")
    return T.BOOL


@construct.rule(exp.DPipe)
def _dpipe(t: Typer, node: exp.DPipe) -> str | None:
    for side in (node.this, node.expression):
        if t.types.get(id(side)) == T.UNKNOWN:
            t.settle(side, T.STRING)
        if t.types.get(id(side)) not in (T.STRING, T.INT):
            raise unsupported(
                f"|| with a {type_name(t.types.get(id(side)))} operand",
                hint="cast it to text first where PostgreSQL and BigQuery print it alike",
            )
    if T.STRING not in (t.types.get(id(node.this)), t.types.get(id(node.expression))):
        raise unsupported("|| without a text operand")
    return T.STRING


@construct.fixup(exp.Concat)
def _concat_fix(t: Typer, node: exp.Concat) -> exp.Expr:
    parts = [
        exp.Coalesce(this=_as_string(t, a), expressions=[exp.Literal.string("")]) for a in node.expressions
    ]
    return exp.Concat(expressions=parts, safe=False, coalesce=False)


def _as_string(t: Typer, node: exp.Expr) -> exp.Expr:
    return cast(node, T.STRING) if type_at(t, node) == T.INT else node


@construct.fixup(exp.DPipe)
def _dpipe_fix(t: Typer, node: exp.DPipe) -> exp.Expr:
    return exp.DPipe(this=_as_string(t, node.this), expression=_as_string(t, node.expression), safe=True)


@construct.fixup(exp.Lower)
def _lower_fix(t: Typer, node: exp.Lower) -> exp.Expr:
    return ascii_lower(node.this)


@construct.fixup(exp.Upper)
def _upper_fix(t: Typer, node: exp.Upper) -> exp.Expr:
    return ascii_upper(node.this)


@construct.fixup(exp.Trim)
def _trim_fix(t: Typer, node: exp.Trim) -> exp.Expr:
    chars = node.expression if node.expression is not None else exp.Literal.string(" ")
    name = {"LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(str(node.args.get("position") or "").upper(), "TRIM")
    return call(name, node.this, chars)


@construct.fixup(exp.StrPosition)
def _position_fix(t: Typer, node: exp.StrPosition) -> exp.Expr:
    return call("STRPOS", node.this, node.args["substr"])


@construct.fixup(exp.Substring)
def _substring_fix(t: Typer, node: exp.Substring) -> exp.Expr:
    if regex.RE2_KEY in node.meta:
        return regex.substring_pattern_fix(node)
    args = [node.this, node.args["start"]]
    if node.args.get("length") is not None:
        args.append(node.args["length"])
    return call("SUBSTR", *args)


@construct.fixup(exp.SplitPart)
def _split_part_fix(t: Typer, node: exp.SplitPart) -> exp.Expr:
    value = node.this
    pieces = call("SPLIT", value.copy(), node.args["delimiter"])
    field = exp.Bracket(this=pieces, expressions=[node.args["part_index"]], offset=1, safe=True)
    found = exp.Coalesce(this=field, expressions=[exp.Literal.string("")])
    return exp.If(this=exp.Is(this=value, expression=exp.Null()), true=exp.Null(), false=found)


# Argument types whose text form is the same in both engines (float, bool, dates differ).
_TEXTUAL = (T.STRING, T.INT)


@construct.rule(exp.ConcatWs)
def _concat_ws(t: Typer, node: exp.ConcatWs) -> str | None:
    separator, *args = node.expressions
    if not isinstance(separator, (exp.Literal, exp.Null)):
        raise unsupported("concat_ws() with a separator that is not a literal")
    want_or_null(t, separator, (T.STRING,), "concat_ws() separator")
    if not args:
        raise unsupported("concat_ws() without values")
    for arg in args:
        want_or_null(t, arg, _TEXTUAL, "concat_ws()")
    return T.STRING


@construct.fixup(exp.ConcatWs)
def _concat_ws_fix(t: Typer, node: exp.ConcatWs) -> exp.Expr:
    separator, *args = node.expressions
    # ARRAY_TO_STRING drops NULL elements, as concat_ws drops NULL arguments.
    # COALESCE: an array of only NULLs joins to NULL on DuckDB, to '' in PostgreSQL and BigQuery.
    values = exp.Array(expressions=[cast(arg, T.STRING) for arg in args])
    joined = exp.func("COALESCE", call("ARRAY_TO_STRING", values, separator), exp.Literal.string(""))
    # A NULL separator makes the answer NULL, whatever the values.
    return cast(exp.null(), T.STRING) if isinstance(separator, exp.Null) else joined


@construct.rule(exp.ArrayToString)
def _array_to_string(t: Typer, node: exp.ArrayToString) -> str | None:
    if node.args.get("null") is not None:
        raise unsupported("array_to_string() with a null string")
    if t.types.get(id(node.this)) != T.array_of(T.STRING):
        raise unsupported(f"array_to_string() of {(t.types.get(id(node.this)) or 'unknown').lower()}")
    if not isinstance(node.expression, exp.Literal):  # DuckDB needs a constant separator
        raise unsupported("array_to_string() with a separator that is not a literal")
    want_or_null(t, node.expression, (T.STRING,), "array_to_string() separator")
    return T.STRING


@construct.rule(exp.Translate)
def _translate(t: Typer, node: exp.Translate) -> str | None:
    for arg in (node.this, node.args["from_"], node.args["to"]):
        want_or_null(t, arg, (T.STRING,), "translate()")
    return T.STRING


@construct.rule("octet_length")
def _octet_length(t: Typer, node: exp.Anonymous) -> str | None:
    if len(node.expressions) != 1:
        raise unsupported("octet_length() with several arguments")
    want_or_null(t, node.expressions[0], (T.STRING,), "octet_length()")
    return T.INT


@construct.rule(exp.Ascii)
def _ascii(t: Typer, node: exp.Ascii) -> str | None:
    want_or_null(t, node.this, (T.STRING,), "ascii()")
    return T.INT


@construct.fixup(exp.Ascii)
def _ascii_fix(t: Typer, node: exp.Ascii) -> exp.Expr:
    # PostgreSQL's ascii() of UTF-8 text is the first code point (0 for ''): BigQuery's
    # UNICODE(); its ASCII() is defined for ASCII text only.
    return call("UNICODE", node.this)


@construct.fixup("octet_length")
def _octet_length_fix(t: Typer, node: exp.Anonymous) -> exp.Expr:
    return call("BYTE_LENGTH", *node.expressions)


@construct.rule(exp.BitLength)
def _bit_length(t: Typer, node: exp.BitLength) -> str | None:
    want(t, node.this, (T.STRING,), "bit_length()")
    return T.INT


@construct.fixup(exp.BitLength)
def _bit_length_fix(t: Typer, node: exp.BitLength) -> exp.Expr:
    return exp.Mul(this=call("BYTE_LENGTH", node.this), expression=exp.Literal.number(8))


@construct.rule(exp.StringToArray)
def _string_to_array(t: Typer, node: exp.StringToArray) -> str | None:
    want(t, node.this, (T.STRING,), "string_to_array()")
    delimiter = node.expression
    if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this):
        raise unsupported("string_to_array() with a delimiter that is not a non-empty string literal")
    if node.args.get("null") is not None:
        raise unsupported("string_to_array() with a null string")
    t.settle(delimiter, T.STRING)
    return T.array_of(T.STRING)


@construct.fixup(exp.StringToArray)
def _string_to_array_fix(t: Typer, node: exp.StringToArray) -> exp.Expr:
    value = node.this
    empty = exp.EQ(this=value.copy(), expression=exp.Literal.string(""))
    nothing = exp.cast(exp.Array(expressions=[]), exp.DataType.build("ARRAY<STRING>", dialect="bigquery"))
    return exp.If(this=empty, true=nothing, false=call("SPLIT", value, node.expression))


@construct.rule(exp.Chr)
def _chr(t: Typer, node: exp.Chr) -> str | None:
    if len(node.expressions) != 1 or node.args.get("charset"):
        raise unsupported("chr() with a character set")
    code = node.expressions[0]
    want(t, code, (T.INT,), "chr()")
    if id(code) not in t.int4 and not isinstance(code, exp.Literal):
        raise unsupported("chr() of bigint", hint="PostgreSQL's chr() takes an integer (int4)")
    return T.STRING


@construct.fixup(exp.Chr)
def _chr_fix(t: Typer, node: exp.Chr) -> exp.Expr:
    code = node.expressions[0]
    invalid = exp.Or(
        this=exp.Or(
            this=exp.LT(this=code.copy(), expression=exp.Literal.number(1)),
            expression=exp.GT(this=code.copy(), expression=exp.Literal.number(0x10FFFF)),
        ),
        expression=exp.Between(
            this=code.copy(), low=exp.Literal.number(0xD800), high=exp.Literal.number(0xDFFF)
        ),
    )
    fails = cast(call("ERROR", exp.Literal.string("requested character not valid for encoding")), T.STRING)
    checked = exp.If(this=invalid, true=fails, false=call("CHR", code.copy()))
    return exp.If(this=exp.Is(this=code, expression=exp.Null()), true=exp.Null(), false=checked)
