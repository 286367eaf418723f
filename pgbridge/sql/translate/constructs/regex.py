"""Regular expressions: ~ ~* !~ !~*, regexp_like, regexp_replace, regexp_count, regexp_substr,
regexp_instr, (regexp_match(...))[n] and substring(s from pattern).

The pattern (a literal) is parsed and written again as RE2 text that matches what PostgreSQL's
engine matches under the C collation (regex_syntax.py, regex_emit.py). Per function:

- ~, regexp_like: REGEXP_CONTAINS; ~* and flag `i` fold ASCII letters only;
- regexp_replace replaces the first match, or every one with flag `g` (BigQuery's replaces
  every one): the first is replaced by matching `^(.*?)(re)(.*)$` once, whose lazy prefix
  reaches the leftmost match. Replacement text: PostgreSQL's \\& is the whole match and \\n a
  group; a backslash before anything else is kept as written, as PostgreSQL keeps it;
- regexp_count counts non-overlapping matches (REGEXP_EXTRACT_ALL);
- regexp_substr and substring(s from re) extract (REGEXP_EXTRACT): substring returns the
  first parenthesised group when there is one, regexp_substr the whole match or the chosen
  group; their other groups are written non-capturing;
- regexp_instr is the length of the shortest prefix before (or through) the match, plus one;
- (regexp_match(s, re))[n] is group n (or the whole match for a pattern without groups);
  regexp_match itself returns an array that is NULL without a match, which BigQuery would
  return as an empty array: only its subscript is translated.

Where the extent of a match decides the answer, patterns are limited to those whose extent
both engines agree on (regex_emit.check_extent); a global replacement or a count of a
pattern that can match the empty string is refused (the engines step past an empty match
differently: PostgreSQL's regexp_replace('abc', 'b*', '-', 'g') is -a--c-, RE2's -a-c-).
Starting positions other than 1 and PostgreSQL's other flags are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import call
from pgbridge.sql.translate.checks import int_literal, type_name
from pgbridge.sql.translate.constructs import regex_emit as emit
from pgbridge.sql.translate.constructs.regex_syntax import Pattern, parse
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("regular expressions")

RE2_KEY = "pg_re2"  # node.meta: what the fix-up writes (per function, below)


@dataclass(frozen=True)
class Compiled:
    pattern: Pattern
    icase: bool
    flags: str


def compile_pattern(
    t: Typer,
    node: exp.Expr,
    pattern: exp.Expr | None,
    what: str,
    flags: exp.Expr | None = None,
    icase: bool = False,
    allowed: str = "ics",
) -> Compiled:
    """Check the subject and the literal pattern and flags of a regex function; type them text."""
    t.settle(node, T.STRING)
    if t.types.get(id(node)) not in (T.STRING, T.UNKNOWN):
        raise unsupported(f"{what} on {type_name(t.types.get(id(node)))}")
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise unsupported(f"{what} with a pattern that is not a string literal")
    t.settle(pattern, T.STRING)
    text = _flags_text(t, flags, what)
    for flag in text:
        if flag not in allowed:
            raise unsupported(f"{what} with flag '{flag}'", hint=f"supported flags: {', '.join(allowed)}")
        icase = {"i": True, "c": False}.get(flag, icase)
    return Compiled(parse(str(pattern.this)), icase, text)


def _flags_text(t: Typer, flags: exp.Expr | None, what: str) -> str:
    if flags is None:
        return ""
    if not (isinstance(flags, exp.Literal) and flags.is_string):
        raise unsupported(f"{what} with flags that are not a string literal")
    t.settle(flags, T.STRING)
    return str(flags.this)


def _literal_re2(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _start_is_one(node: exp.Expr | None, what: str) -> None:
    if node is not None and int_literal(node) != 1:
        raise unsupported(f"{what} with a start position other than 1")


# -- ~ ~* and regexp_like -----------------------------------------------------------------------


@construct.rule(exp.RegexpLike, exp.RegexpILike)
def _regexp_like(t: Typer, node: exp.Expr) -> str | None:
    icase = isinstance(node, exp.RegexpILike)
    what = "operator ~*" if icase else "regular expression operator ~"
    if node.args.get("flag") is not None:
        what = "regexp_like()"
    if node.args.get("full_match"):
        raise unsupported("a full-match regular expression")
    compiled = compile_pattern(t, node.this, node.expression, what, node.args.get("flag"), icase)
    node.meta[RE2_KEY] = emit.to_re2(compiled.pattern, emit.Style(icase=compiled.icase))
    return T.BOOL


@construct.fixup(exp.RegexpLike, exp.RegexpILike)
def _regexp_like_fix(t: Typer, node: exp.Expr) -> exp.Expr:
    return exp.RegexpLike(this=node.this, expression=_literal_re2(node.meta[RE2_KEY]))


# -- regexp_replace -----------------------------------------------------------------------------


@construct.rule(exp.RegexpReplace)
def _regexp_replace(t: Typer, node: exp.RegexpReplace) -> str | None:
    if node.args.get("position") is not None or node.args.get("occurrence") is not None:
        raise unsupported("regexp_replace() with a start position or an occurrence")
    replacement = node.args.get("replacement")
    if not (isinstance(replacement, exp.Literal) and replacement.is_string):
        raise unsupported("regexp_replace() with a replacement that is not a string literal")
    t.settle(replacement, T.STRING)
    compiled = compile_pattern(
        t, node.this, node.expression, "regexp_replace()", node.args.get("modifiers"), allowed="icsg"
    )
    pattern, style = compiled.pattern, emit.Style(icase=compiled.icase)
    emit.check_extent(pattern, "regexp_replace()")
    if "g" in compiled.flags:
        if emit.nullable(pattern):
            raise unsupported(
                f"regexp_replace() with flag 'g' and the pattern '{pattern.text}', which can match nothing",
                hint="PostgreSQL and BigQuery step past an empty match differently",
            )
        rewrite = _rewrite(str(replacement.this), pattern.groups, 0)
        node.meta[RE2_KEY] = (emit.to_re2(pattern, style), rewrite)
        return T.STRING
    # The first match only: ^(prefix)(match)(rest)$ once; groups 1 and 2 come before the pattern's.
    if pattern.groups > 6:
        raise unsupported("regexp_replace() of the first match with more than 6 groups")
    whole = f"{emit.FLAGS}^(.*?)({emit.body(pattern, style)})(.*)$"
    rewrite = "\\1" + _rewrite(str(replacement.this), pattern.groups, 2) + f"\\{pattern.groups + 3}"
    node.meta[RE2_KEY] = (whole, rewrite)
    return T.STRING


def _rewrite(text: str, groups: int, shift: int) -> str:
    """PostgreSQL's replacement text as RE2's rewrite string; groups renumbered by `shift`."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if char == "\\" and following == "&":
            out.append("\\0" if shift == 0 else f"\\{shift}")
        elif char == "\\" and following.isdigit() and following != "0":
            number = int(following)
            out.append(f"\\{number + shift}" if number <= groups else "")  # a missing group is ''
        elif char == "\\" and following == "\\":
            out.append("\\\\")
        elif char == "\\":
            out.append("\\\\")  # kept as written: PostgreSQL keeps a backslash before anything else
            index -= 1
        else:
            out.append(char)
            index -= 1
        index += 2
    return "".join(out)


@construct.fixup(exp.RegexpReplace)
def _regexp_replace_fix(t: Typer, node: exp.RegexpReplace) -> exp.Expr:
    pattern, rewrite = node.meta[RE2_KEY]
    return exp.RegexpReplace(
        this=node.this, expression=_literal_re2(pattern), replacement=exp.Literal.string(rewrite)
    )


# -- regexp_count, regexp_substr, regexp_instr ----------------------------------------------------


@construct.rule(exp.RegexpCount)
def _regexp_count(t: Typer, node: exp.RegexpCount) -> str | None:
    _start_is_one(node.args.get("position"), "regexp_count()")
    compiled = compile_pattern(t, node.this, node.expression, "regexp_count()", node.args.get("parameters"))
    emit.check_extent(compiled.pattern, "regexp_count()")
    if emit.nullable(compiled.pattern):
        raise unsupported(
            f"regexp_count() of the pattern '{compiled.pattern.text}', which can match nothing",
            hint="PostgreSQL and BigQuery step past an empty match differently",
        )
    node.meta[RE2_KEY] = emit.to_re2(compiled.pattern, emit.Style(compiled.icase, frozenset()))
    return T.INT


@construct.fixup(exp.RegexpCount)
def _regexp_count_fix(t: Typer, node: exp.RegexpCount) -> exp.Expr:
    matches = exp.RegexpExtractAll(this=node.this, expression=_literal_re2(node.meta[RE2_KEY]))
    return call("ARRAY_LENGTH", matches)


@construct.rule(exp.RegexpSubstr)
def _regexp_substr(t: Typer, node: exp.RegexpSubstr) -> str | None:
    _start_is_one(node.args.get("position"), "regexp_substr()")
    occurrence = _positive(node.args.get("occurrence"), "regexp_substr() occurrence", 1)
    group = _positive(node.args.get("group"), "regexp_substr() subexpression", 0)
    compiled = compile_pattern(t, node.this, node.expression, "regexp_substr()", node.args.get("parameters"))
    pattern = compiled.pattern
    emit.check_extent(pattern, "regexp_substr()")
    keep = _kept_group(pattern, group, "regexp_substr()")
    if occurrence > 1 and emit.nullable(pattern):
        raise unsupported(f"regexp_substr() of a later match of '{pattern.text}', which can match nothing")
    node.meta[RE2_KEY] = (emit.to_re2(pattern, emit.Style(compiled.icase, keep)), occurrence)
    return T.STRING


def _positive(node: exp.Expr | None, what: str, default: int) -> int:
    if node is None:
        return default
    value = int_literal(node)
    if value is None or value < default:
        raise unsupported(f"{what} other than an integer literal >= {default}")
    return value


def _kept_group(pattern: Pattern, group: int, what: str) -> frozenset[int]:
    if group == 0:
        return frozenset()
    if group > pattern.groups or not emit.always_participates(pattern, group):
        raise unsupported(
            f"{what} of group {group} of '{pattern.text}'",
            hint="only a group that takes part in every match is translated",
        )
    return frozenset({group})


@construct.fixup(exp.RegexpSubstr)
def _regexp_substr_fix(t: Typer, node: exp.RegexpSubstr) -> exp.Expr:
    pattern, occurrence = node.meta[RE2_KEY]
    if occurrence == 1:
        return exp.RegexpExtract(this=node.this, expression=_literal_re2(pattern))
    matches = exp.RegexpExtractAll(this=node.this, expression=_literal_re2(pattern))
    return exp.Bracket(this=matches, expressions=[exp.Literal.number(occurrence)], offset=1, safe=True)


@construct.rule(exp.RegexpInstr)
def _regexp_instr(t: Typer, node: exp.RegexpInstr) -> str | None:
    _start_is_one(node.args.get("position"), "regexp_instr()")
    if _positive(node.args.get("occurrence"), "regexp_instr() occurrence", 1) != 1:
        raise unsupported("regexp_instr() of a later match")
    if _positive(node.args.get("group"), "regexp_instr() subexpression", 0) != 0:
        raise unsupported("regexp_instr() of a subexpression")
    after = int_literal(node.args.get("option")) if node.args.get("option") is not None else 0
    if after not in (0, 1):
        raise unsupported("regexp_instr() with an end option other than 0 or 1")
    compiled = compile_pattern(t, node.this, node.expression, "regexp_instr()", node.args.get("parameters"))
    emit.check_extent(compiled.pattern, "regexp_instr()")
    inner = emit.body(compiled.pattern, emit.Style(compiled.icase, frozenset()))
    # The shortest prefix before the leftmost match (or through it, for the end option 1).
    node.meta[RE2_KEY] = f"{emit.FLAGS}^(.*?(?:{inner}))" if after else f"{emit.FLAGS}^(.*?)(?:{inner})"
    return T.INT


@construct.fixup(exp.RegexpInstr)
def _regexp_instr_fix(t: Typer, node: exp.RegexpInstr) -> exp.Expr:
    prefix = exp.RegexpExtract(this=node.this.copy(), expression=_literal_re2(node.meta[RE2_KEY]))
    position = exp.Add(this=exp.Length(this=prefix), expression=exp.Literal.number(1))
    found = exp.Coalesce(this=position, expressions=[exp.Literal.number(0)])
    return exp.If(this=exp.Is(this=node.this, expression=exp.Null()), true=exp.Null(), false=found)


# -- substring(s from re) and (regexp_match(s, re))[n] -------------------------------------------


def substring_pattern(t: Typer, node: exp.Substring) -> str:
    """substring(s from 'pattern'): the first group's text if the pattern has groups, else the
    match (called by strings.py's substring rule for a text second argument)."""
    if node.args.get("length") is not None:
        raise unsupported("substring(... similar ... escape ...)", hint="use substring(s from pattern)")
    compiled = compile_pattern(t, node.this, node.args.get("start"), "substring(... from pattern)")
    pattern = compiled.pattern
    emit.check_extent(pattern, "substring(... from pattern)")
    keep = frozenset({1}) if pattern.groups else frozenset()
    if pattern.groups and not emit.always_participates(pattern, 1):
        raise unsupported(
            f"substring(... from '{pattern.text}') whose first group may not take part in the match"
        )
    node.meta[RE2_KEY] = emit.to_re2(pattern, emit.Style(compiled.icase, keep))
    return T.STRING


def substring_pattern_fix(node: exp.Substring) -> exp.Expr:
    return exp.RegexpExtract(this=node.this, expression=_literal_re2(node.meta[RE2_KEY]))


@construct.rule("regexp_match")
def _regexp_match(t: Typer, node: exp.Anonymous) -> str | None:
    parent = node.parent.parent if isinstance(node.parent, exp.Paren) else node.parent
    if not isinstance(parent, exp.Bracket) or len(parent.expressions) != 1:
        raise unsupported("regexp_match() as an array", hint="subscript it: (regexp_match(s, pattern))[1]")
    if len(node.expressions) not in (2, 3):
        raise unsupported("regexp_match() without two or three arguments")
    flags = node.expressions[2] if len(node.expressions) == 3 else None
    compiled = compile_pattern(t, node.expressions[0], node.expressions[1], "regexp_match()", flags)
    pattern = compiled.pattern
    emit.check_extent(pattern, "regexp_match()")
    index = int_literal(parent.expressions[0])
    if index is None:
        raise unsupported("(regexp_match(...))[n] with n other than an integer literal")
    position = index + 1  # sqlglot stores PostgreSQL's a[1] as 0
    if pattern.groups and 1 <= position <= pattern.groups and not emit.always_participates(pattern, position):
        raise unsupported(f"(regexp_match(...))[{position}] of a group that may not take part in the match")
    node.meta[RE2_KEY] = (compiled, position)
    return T.array_of(T.STRING)


# Listed before arrays in the catalogue: the subscript of regexp_match is the whole rewrite.
@construct.fixup(exp.Bracket)
def _regexp_match_element(t: Typer, node: exp.Bracket) -> exp.Expr | None:
    inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
    marked = inner.meta.get(RE2_KEY) if isinstance(inner, exp.Anonymous) else None
    if marked is None:
        return None
    compiled, position = marked
    groups = compiled.pattern.groups
    if position < 1 or position > max(groups, 1):
        return exp.cast(exp.null(), exp.DataType.build("STRING", dialect="bigquery"))  # out of range
    keep = frozenset({position}) if groups else frozenset()
    text = emit.to_re2(compiled.pattern, emit.Style(compiled.icase, keep))
    return exp.RegexpExtract(this=inner.expressions[0], expression=_literal_re2(text))
