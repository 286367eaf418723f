"""Token-level checks for invalid SQL that sqlglot's lenient parser accepts.

sqlglot reads `SELECT 1,`, `SELECT id,, name` and `SELECT 'a' 'b'` (one line) as if they
were valid; PostgreSQL rejects all three with 42601. A gateway that answers them would run a
query the client never wrote, so the statement's tokens are checked before parsing:

- a comma followed by another comma, a closing parenthesis, the end of the statement or a
  reserved word that cannot begin an expression (FROM, WHERE, ...);
- an opening parenthesis followed by a comma;
- two quoted strings in a row, unless (as PostgreSQL's lexer requires to join them) the
  whitespace between them holds a newline before anything but spaces, tabs or a -- comment.
"""

from __future__ import annotations

from pgbridge.sql.statements.lexer import Token, syntax_error, tokenize
from pgbridge.wire.errors import PgError

# Reserved words that can never start an expression, so never follow a comma.
_NOT_AFTER_COMMA = frozenset(
    {
        "from", "where", "group", "having", "order", "limit", "offset", "union", "intersect",
        "except", "window", "fetch", "into", "on", "then", "else", "end", "when", "and", "or",
        "as", "using",
    }  # fmt: skip
)


def check_syntax(text: str) -> None:
    """Raise PgError 42601 as PostgreSQL would for the lenient-parser cases above."""
    tokens = tokenize(text)
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "punct" and token.value == ",":
            _check_after_comma(text, following)
        elif _is_punct(token, "(") and following is not None and _is_punct(following, ","):
            raise _near(text, following)
        elif token.kind == "string" and following is not None and following.kind == "string":
            _check_adjacent_strings(text, token, following)


def _check_after_comma(text: str, following: Token | None) -> None:
    if following is None:
        raise syntax_error(text, "syntax error at end of input", len(text))
    if _is_punct(following, ",") or _is_punct(following, ")") or _is_punct(following, ";"):
        raise _near(text, following)
    if following.kind == "word" and following.value in _NOT_AFTER_COMMA:
        raise _near(text, following)


def _check_adjacent_strings(text: str, first: Token, second: Token) -> None:
    if not text[first.end - 1] == "'" or text[second.start] not in "'":
        raise _near(text, second)  # dollar-quoted or E'' continuations are never joined
    gap = text[first.end : second.start]
    head = gap.lstrip(" \t\f")
    # A -- comment counts as horizontal space in PostgreSQL's lexer, and ends at a newline.
    if not head.startswith(("\n", "\r", "--")):
        raise _near(text, second)


def _is_punct(token: Token | None, value: str) -> bool:
    return token is not None and token.kind == "punct" and token.value == value


def _near(text: str, token: Token) -> PgError:
    written = text[token.start : token.end]
    return syntax_error(text, f'syntax error at or near "{written}"', token.start)
