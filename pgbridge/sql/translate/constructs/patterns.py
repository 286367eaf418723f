"""Pattern matching with LIKE, ILIKE (and ~~ !~~ ~~* !~~*), ESCAPE and SIMILAR TO.

LIKE has \\ as escape character in both engines. Another ESCAPE character (a literal) is
translated by rewriting the literal pattern to use \\; ESCAPE '' (none) doubles every
backslash. ILIKE folds ASCII letters only, as the C collation pgbridge emulates does: both
sides are lowered that way (and NOT ILIKE stays negated).

SIMILAR TO becomes a regular expression the way PostgreSQL's own similar_to_escape builds it
(% is .*, _ is ., . ^ $ and \\ are literal, parentheses do not capture, the whole string must
match), which is then translated like ~ (regex.py).
"""

from __future__ import annotations

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import ascii_lower
from pgbridge.sql.translate.checks import type_name
from pgbridge.sql.translate.constructs import regex_emit as emit
from pgbridge.sql.translate.constructs.regex_syntax import parse
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("patterns")

SIMILAR_KEY = "pg_similar"  # node.meta: the RE2 text a SIMILAR TO becomes


@construct.rule(exp.Like, exp.ILike)
def _like(t: Typer, node: exp.Binary) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.STRING)
        if t.types.get(id(side)) != T.STRING:
            raise unsupported(f"LIKE on {type_name(t.types.get(id(side)))}")
    pattern = node.expression
    escaped = isinstance(node.parent, exp.Escape)
    if not escaped and isinstance(pattern, exp.Literal) and _ends_in_escape(str(pattern.this)):
        raise unsupported("LIKE pattern ending in a lone backslash")
    return T.BOOL


def _ends_in_escape(text: str, escape: str = "\\") -> bool:
    trailing = len(text) - len(text.rstrip(escape))
    return bool(escape) and trailing % 2 == 1


@construct.rule(exp.Escape)
def _escape(t: Typer, node: exp.Escape) -> str | None:
    escape = node.expression
    if not isinstance(node.this, (exp.Like, exp.ILike, exp.SimilarTo)):
        raise unsupported(f"ESCAPE after {node.this.key}")
    if not (isinstance(escape, exp.Literal) and escape.is_string and len(str(escape.this)) <= 1):
        raise unsupported("ESCAPE other than a literal of one character (or '')")
    t.settle(escape, T.STRING)
    if isinstance(node.this, (exp.Like, exp.ILike)):
        pattern = node.this.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise unsupported("LIKE ... ESCAPE with a pattern that is not a string literal")
        pattern.set("this", like_with_backslash(str(pattern.this), str(escape.this)))  # the fix-up's pattern
    return T.BOOL


def like_with_backslash(text: str, escape: str) -> str:
    """A LIKE pattern with escape character `escape` (or none) spelled with \\ as its escape."""
    if escape in ("%", "_"):
        raise unsupported(f"LIKE ... ESCAPE '{escape}'")
    if escape == "\\":
        if _ends_in_escape(text):
            raise unsupported("LIKE pattern ending in a lone backslash")
        return text
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if escape and char == escape:
            if index + 1 == len(text):
                raise unsupported("LIKE pattern ending in its escape character")
            following = text[index + 1]
            out.append("\\" + following if following in "%_\\" else following)
            index += 2
            continue
        out.append("\\\\" if char == "\\" else char)
        index += 1
    return "".join(out)


@construct.fixup(exp.Escape)
def _escape_fix(t: Typer, node: exp.Escape) -> exp.Expr:
    return node.this  # the pattern was rewritten to \\ escapes (or SIMILAR TO's regex built) above


@construct.fixup(exp.ILike)
def _ilike_fix(t: Typer, node: exp.ILike) -> exp.Expr:
    folded = exp.Like(this=ascii_lower(node.this), expression=ascii_lower(node.expression))
    return exp.Not(this=folded) if node.args.get("negate") else folded


# -- SIMILAR TO ----------------------------------------------------------------------------------


@construct.rule(exp.SimilarTo)
def _similar_to(t: Typer, node: exp.SimilarTo) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.STRING)
        if t.types.get(id(side)) != T.STRING:
            raise unsupported(f"SIMILAR TO on {type_name(t.types.get(id(side)))}")
    pattern = node.expression
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise unsupported("SIMILAR TO with a pattern that is not a string literal")
    escape = "\\"
    if isinstance(node.parent, exp.Escape) and isinstance(node.parent.expression, exp.Literal):
        escape = str(node.parent.expression.this)
    regex = similar_to_regex(str(pattern.this), escape)
    node.meta[SIMILAR_KEY] = emit.to_re2(parse(regex))
    return T.BOOL


def similar_to_regex(text: str, escape: str) -> str:
    """PostgreSQL's translation of a SIMILAR TO pattern into a regular expression (ARE)."""
    out, index, in_class = ["^(?:"], 0, False
    while index < len(text):
        char = text[index]
        if escape and char == escape:
            if index + 1 == len(text) or in_class or text[index + 1] == '"':
                raise unsupported(f"SIMILAR TO pattern '{text}'", hint="its escape character is used here")
            out.append("\\" + text[index + 1])
            index += 2
            continue
        if in_class:
            out.append("\\\\" if char == "\\" else char)
            in_class = char != "]"
        elif char == "[":
            if text[index + 1 : index + 2] in ("^", "]"):
                raise unsupported(f"SIMILAR TO pattern '{text}'", hint="a bracket starting with ^ or ]")
            out.append(char)
            in_class = True
        else:
            out.append({"%": ".*", "_": ".", "(": "(?:"}.get(char, "\\" + char if char in "\\.^$" else char))
        index += 1
    return "".join(out) + ")$"


@construct.fixup(exp.SimilarTo)
def _similar_to_fix(t: Typer, node: exp.SimilarTo) -> exp.Expr:
    return exp.RegexpLike(this=node.this, expression=exp.Literal.string(node.meta[SIMILAR_KEY]))
