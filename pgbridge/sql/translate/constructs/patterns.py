"""Pattern matching: LIKE, ILIKE and the regular expression operator ~.

LIKE has \\ as escape character in both (ESCAPE is refused); ILIKE folds ASCII letters only,
as the C collation pgbridge emulates does. RE2 and PostgreSQL's regex engine agree on plain
literals, classes of plain characters, anchors, alternation, groups and the usual quantifiers;
any other pattern is refused.
"""

from __future__ import annotations

import re

from sqlglot import exp

from pgbridge.sql import pgtypes as T
from pgbridge.sql.translate.build import ascii_lower
from pgbridge.sql.translate.checks import type_name
from pgbridge.sql.translate.registry import Construct
from pgbridge.sql.translate.typer import Typer
from pgbridge.wire.errors import unsupported

construct = Construct("patterns")


@construct.rule(exp.Like, exp.ILike)
def _like(t: Typer, node: exp.Binary) -> str | None:
    for side in (node.this, node.expression):
        t.settle(side, T.STRING)
        if t.types.get(id(side)) != T.STRING:
            raise unsupported(f"LIKE on {type_name(t.types.get(id(side)))}")
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.this.endswith("\\") and not pattern.this.endswith("\\\\"):
        raise unsupported("LIKE pattern ending in a lone backslash")
    return T.BOOL


@construct.rule(exp.Escape)
def _escape(t: Typer, node: exp.Escape) -> str | None:
    raise unsupported("LIKE ... ESCAPE", hint="the default escape character \\ is supported")


# RE2 and PostgreSQL's regex engine agree on plain literals, classes of plain characters,
# anchors, alternation, groups and the usual quantifiers. Anything else (backreferences,
# lookaround, \m \y word boundaries, [[:alpha:]] classes, \d and \w whose Unicode reach
# differs) is refused.
_SAFE_REGEX = re.compile(
    r"([^\\\[\]{}]|\\[.^$|?*+()\[\]{}\\/-]|\[\^?(\\[\]\\^-]|[^\\\[\]])+\]|\{\d+(,\d*)?\})*"
)


@construct.rule(exp.RegexpLike)
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


@construct.fixup(exp.ILike)
def _ilike_fix(t: Typer, node: exp.ILike) -> exp.Expr:
    return exp.Like(this=ascii_lower(node.this), expression=ascii_lower(node.expression))
