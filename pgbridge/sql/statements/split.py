"""Split a simple-query string into statements the way PostgreSQL's lexer would.

The simple query protocol may carry several statements separated by semicolons. A semicolon
only ends a statement at top level: not inside '...' strings ('' escapes a quote), E'...'
strings (backslash escapes too), "identifiers", $tag$ dollar quotes $tag$, -- line comments
or /* block comments */, which nest in PostgreSQL. The text is tokenized once (tokens.py), so
the split is the run of tokens between two semicolon tokens, and each statement leaves with its
own tokens for the stages after it. Unterminated quotes or comments are a syntax error
(42601), as in PostgreSQL.
"""

from __future__ import annotations

from sqlglot.tokens import TokenType

from pgbridge.sql.statements.known import keep_split, known_split
from pgbridge.sql.statements.tokens import Source, take, tokenize


def split_statements(text: str) -> list[Source]:
    """The statements in `text`, stripped, without their semicolons, each with its tokens; those
    holding only blanks and comments (no token) are dropped. A text holding one catalog
    statement, read before, is not read again (known.py)."""
    known = known_split(text)
    if known is not None:
        return known
    statements = _split(text)
    keep_split(text, statements)
    return statements


def _split(text: str) -> list[Source]:
    source = tokenize(text, len(text) - len(text.lstrip()))  # leading blanks: no offsets to move
    text, tokens = source.text, source.tokens
    statements: list[Source] = []
    start, first = 0, 0  # where the current statement begins: in the text, in the tokens
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.SEMICOLON:
            if index > first:
                statements.append(take(text, start, token.start, list(tokens[first:index])))
            start, first = token.end + 1, index + 1
    if len(tokens) > first:
        statements.append(take(text, start, len(text), list(tokens[first:])))
    return statements
