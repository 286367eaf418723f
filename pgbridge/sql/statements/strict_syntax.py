"""Token-level checks for invalid SQL that sqlglot's lenient parser accepts.

sqlglot reads `SELECT 1,`, `SELECT id,, name` and `SELECT 'a' 'b'` (one line) as if they
were valid; PostgreSQL rejects all three with 42601. A gateway that answers them would run a
query the client never wrote, so the statement's tokens (the very ones sqlglot parses next)
are checked first:

- a comma followed by another comma, a closing parenthesis, the end of the statement or a
  reserved word that cannot begin an expression (FROM, WHERE, ...);
- an opening parenthesis followed by a comma;
- two quoted strings in a row, unless (as PostgreSQL's lexer requires to join them) the
  whitespace between them holds a newline before anything but spaces, tabs or a -- comment.
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from pgbridge.sql.statements.cursor import STRING_TOKENS, first_lexeme, syntax_error
from pgbridge.sql.statements.tokens import Source
from pgbridge.wire.errors import PgError

# Reserved words that can never start an expression, so never follow a comma.
_NOT_AFTER_COMMA = frozenset(
    {
        "from", "where", "group", "having", "order", "limit", "offset", "union", "intersect",
        "except", "window", "fetch", "into", "on", "then", "else", "end", "when", "and", "or",
        "as", "using",
    }  # fmt: skip
)
_CLOSING = (TokenType.COMMA, TokenType.R_PAREN, TokenType.SEMICOLON)


def check_syntax(source: Source) -> None:
    """Raise PgError 42601 as PostgreSQL would for the lenient-parser cases above."""
    text, tokens = source.text, source.tokens
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        kind = token.token_type
        if kind == TokenType.COMMA:
            _check_after_comma(text, following)
        elif kind == TokenType.L_PAREN and following is not None and following.token_type == TokenType.COMMA:
            raise _near(text, following)
        elif kind in STRING_TOKENS and following is not None and following.token_type in STRING_TOKENS:
            _check_adjacent_strings(text, token, following)


def _check_after_comma(text: str, following: Token | None) -> None:
    if following is None:
        raise syntax_error("syntax error at end of input", len(text))
    if following.token_type in _CLOSING:
        raise _near(text, following)
    word = first_lexeme(following, text)
    if word.kind == "word" and word.value in _NOT_AFTER_COMMA:
        raise _near(text, following)


def _check_adjacent_strings(text: str, first: Token, second: Token) -> None:
    if not text[first.end] == "'" or text[second.start] not in "'":
        raise _near(text, second)  # dollar-quoted or E'' continuations are never joined
    gap = text[first.end + 1 : second.start]
    head = gap.lstrip(" \t\f")
    # A -- comment counts as horizontal space in PostgreSQL's lexer, and ends at a newline.
    if not head.startswith(("\n", "\r", "--")):
        raise _near(text, second)


def _near(text: str, token: Token) -> PgError:
    word = first_lexeme(token, text)
    return syntax_error(f'syntax error at or near "{text[word.start : word.end]}"', word.start)
