"""Counting the statements in a raw query string, the way PostgreSQL's lexer would.

The AST the pipeline hands us is one statement; this check makes sure the text it came from
is one statement too, so nothing rides along in a string, comment or escape that one reader
sees and another does not. Two independent readers must both see a single statement:

- the gateway's tokenizer (sqlglot's, as sql/statements/tokens.py reads parameters: what the
  gateway translates and runs), and
- this small scanner, which follows PostgreSQL's lexical rules: '' doubling in strings,
  backslash escapes in E'' strings, $tag$ dollar quoting, "" identifiers, -- comments and
  /* */ comments (refusing nested ones, which BigQuery reads differently). It scans twice:
  once with standard_conforming_strings on and once with backslash escapes in every string
  (off, and BigQuery's own rule), because a client may run either way.

Any disagreement, unterminated quote or comment, or NUL byte means "not one statement".
"""

from __future__ import annotations

import re

from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from pgbridge.sql.statements.tokens import tokenize
from pgbridge.wire.errors import PgError

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")


def statement_count(text: str) -> int | None:
    """Statements both readers see; None when the readers disagree or cannot read it."""
    if "\x00" in text:
        return None
    counts = {_scan(text, backslash_escapes=False), _scan(text, backslash_escapes=True), _sqlglot_count(text)}
    if None in counts or len(counts) != 1:
        return None
    return counts.pop()


def _sqlglot_count(text: str) -> int | None:
    """Statements as sqlglot's parser would split them: token runs between semicolons."""
    try:
        tokens = tokenize(text).tokens
    except (SqlglotError, PgError):
        return None
    count, has_content = 0, False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            count, has_content = count + has_content, False
        else:
            has_content = True
    return count + has_content


def _scan(text: str, backslash_escapes: bool) -> int | None:
    """Count non-empty statements between top-level semicolons; None if unterminated."""
    count, has_content, i, n = 0, False, 0, len(text)
    while i < n:
        char = text[i]
        if char == ";":
            count += has_content
            has_content = False
            i += 1
            continue
        end = _skip_token(text, i, backslash_escapes)
        if end is None:
            return None
        if end < 0:  # a comment: not content
            i = -end
            continue
        if not char.isspace():
            has_content = True
        i = end
    return count + has_content


def _skip_token(text: str, i: int, backslash_escapes: bool) -> int | None:
    """End of the token at i; a negative value marks a comment; None if unterminated."""
    char, nxt = text[i], text[i + 1 : i + 2]
    if char == "-" and nxt == "-":
        newline = text.find("\n", i)
        return -(len(text) if newline < 0 else newline + 1)
    if char == "/" and nxt == "*":
        end = _skip_block_comment(text, i)
        return None if end is None else -end
    if char == "'":
        escapes = backslash_escapes or _is_e_string(text, i)
        return _skip_quoted(text, i, "'", escapes)
    if char == '"':
        return _skip_quoted(text, i, '"', False)
    if char == "$" and not _follows_identifier(text, i):
        match = _DOLLAR_TAG.match(text, i)
        if match:
            close = text.find(match.group(0), match.end())
            return None if close < 0 else close + len(match.group(0))
    return i + 1


def _skip_block_comment(text: str, i: int) -> int | None:
    depth, i = 0, i
    while i < len(text):
        pair = text[i : i + 2]
        if pair == "/*":
            depth, i = depth + 1, i + 2
            if depth > 1:
                return None  # PostgreSQL nests comments, BigQuery does not: readers would differ
        elif pair == "*/":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return None


def _skip_quoted(text: str, i: int, quote: str, escapes: bool) -> int | None:
    i += 1
    while i < len(text):
        char = text[i]
        if escapes and char == "\\" or char == quote and text[i + 1 : i + 2] == quote:
            i += 2
        elif char == quote:
            return i + 1
        else:
            i += 1
    return None


def _is_e_string(text: str, i: int) -> bool:
    return i >= 1 and text[i - 1] in "eE" and not _follows_identifier(text, i - 1)


def _follows_identifier(text: str, i: int) -> bool:
    return i >= 1 and (text[i - 1].isalnum() or text[i - 1] in "_$")
