"""Split a simple-query string into statements the way PostgreSQL's lexer would.

The simple query protocol may carry several statements separated by semicolons. A semicolon
only ends a statement at top level: not inside '...' strings ('' escapes a quote), E'...'
strings (backslash escapes too), "identifiers", $tag$ dollar quotes $tag$, -- line comments
or /* block comments */, which nest in PostgreSQL. Text inside those is never interpreted.
Unterminated quotes or comments are a syntax error (42601), as in PostgreSQL.
"""

from __future__ import annotations

import re

from pgbridge.wire.errors import PgError, SqlState

# A dollar-quote opening tag: $$ or $ident$ where ident cannot start with a digit.
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\uffff]")


def split_statements(text: str) -> list[str]:
    """The statements in `text`, stripped, without their semicolons; empty ones dropped."""
    statements: list[str] = []
    start = 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == ";":
            statements.append(text[start:pos])
            start = pos + 1
            pos += 1
        else:
            pos = _skip_token(text, pos)
    statements.append(text[start:])
    return [s.strip() for s in statements if not _is_blank(s)]


def _skip_token(text: str, pos: int) -> int:
    """Position after the lexical unit starting at `pos` (one char for ordinary text)."""
    char = text[pos]
    nxt = text[pos + 1] if pos + 1 < len(text) else ""
    if char == "'":
        backslash = pos > 0 and text[pos - 1] in "eE" and not _continues_word(text, pos - 1)
        return _skip_quoted(text, pos, "'", backslash)
    if char == '"':
        return _skip_quoted(text, pos, '"', False)
    if char == "-" and nxt == "-":
        end = text.find("\n", pos)
        return len(text) if end < 0 else end + 1
    if char == "/" and nxt == "*":
        return _skip_block_comment(text, pos)
    if char == "$" and not (pos > 0 and _IDENT_CHAR.match(text[pos - 1])):
        return _skip_dollar(text, pos)
    if _IDENT_CHAR.match(char):
        # Identifiers/keywords: a `$` inside one (e.g. a$b) is not a dollar quote.
        end = pos + 1
        while end < len(text) and _IDENT_CHAR.match(text[end]):
            end += 1
        return end
    return pos + 1


def _continues_word(text: str, pos: int) -> bool:
    """True when text[pos] is part of a longer identifier (so `e'..'` is not an E string)."""
    return pos > 0 and bool(_IDENT_CHAR.match(text[pos - 1]))


def _skip_quoted(text: str, pos: int, quote: str, backslash: bool) -> int:
    i = pos + 1
    while i < len(text):
        char = text[i]
        if backslash and char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    what = "quoted identifier" if quote == '"' else "quoted string"
    raise _unterminated(what, pos)


def _skip_block_comment(text: str, pos: int) -> int:
    depth = 0
    i = pos
    while i < len(text):
        pair = text[i : i + 2]
        if pair == "/*":
            depth += 1
            i += 2
        elif pair == "*/":
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise _unterminated("/* comment", pos)


def _skip_dollar(text: str, pos: int) -> int:
    match = _DOLLAR_TAG.match(text, pos)
    if match is None:
        return pos + 1  # a positional parameter like $1, or a lone $
    tag = match.group(0)
    end = text.find(tag, match.end())
    if end < 0:
        raise _unterminated("dollar-quoted string", pos)
    return end + len(tag)


def _is_blank(statement: str) -> bool:
    """True when the statement holds only whitespace and comments."""
    pos = 0
    while pos < len(statement):
        if statement[pos].isspace():
            pos += 1
        elif statement.startswith("--", pos) or statement.startswith("/*", pos):
            pos = _skip_token(statement, pos)
        else:
            return False
    return True


def _unterminated(what: str, pos: int) -> PgError:
    message = f"unterminated {what} at or near position {pos + 1}"
    return PgError(SqlState.SYNTAX_ERROR, message, position=pos + 1)
