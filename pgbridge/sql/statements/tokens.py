"""One tokenization per text: sqlglot's PostgreSQL tokenizer, whose tokens every stage reads.

A simple query's text is tokenized once; split.py cuts it into statements along its semicolon
tokens, and each statement keeps its share of the tokens as a Source. Classification, the
strict syntax check, the session-command parsers and sqlglot's parser (handed the tokens, not
the text) all read those: no stage tokenizes the text again.

The tokenizer follows PostgreSQL's lexical rules where statement boundaries depend on them:
'' inside strings, backslash escapes in E'' strings only, "quoted identifiers", $tag$ dollar
quotes $tag$, nested /* comments */ and -- comments (tests/sql/test_split.py checks each).
It fails only on text PostgreSQL rejects too: something unterminated, or a bit or hex string
with a wrong digit. The culprit is then named as PostgreSQL would, with its position, by
looking just past the last token read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from pgbridge.wire.errors import PgError, SqlState

_POSTGRES = Postgres()


class _Tokenizer(Postgres.Tokenizer):
    # sqlglot reads what follows a leading SHOW, FETCH, RESET, PREPARE, DECLARE, ... as one
    # opaque string; the session-command parsers need its words. (No statement sqlglot parses
    # here starts with one of those words, so its parse is the same.)
    COMMANDS: ClassVar[set[TokenType]] = set()


@dataclass(frozen=True, slots=True)
class Source:
    """A statement's text and its tokens, whose offsets point into that text."""

    text: str
    tokens: tuple[Token, ...]


def tokenize(text: str, start: int = 0) -> Source:
    """text[start:] and all its tokens; PgError 42601 when it cannot be read, whose position
    counts in the whole text (as the client sent it)."""
    body = text[start:] if start else text
    tokenizer = _Tokenizer(dialect=_POSTGRES)
    try:
        return Source(body, tuple(tokenizer.tokenize(body)))
    except TokenError:
        read = tokenizer.tokens
        raise _lexical_error(text, start + (read[-1].end + 1 if read else 0)) from None


def cut(source: Source, start: int, end: int | None = None) -> Source:
    """The statement in source.text[start:end], stripped, with copies of its tokens counted
    from its own start (the source keeps its tokens as they are)."""
    begin, text = _stripped(source.text, start, len(source.text) if end is None else end)
    inside = [t for t in source.tokens if t.start >= begin and t.end < begin + len(text)]
    copies = [Token(t.token_type, t.text, t.line, t.col, t.start, t.end, t.comments) for t in inside]
    return Source(text, _rebase(copies, source.text, begin))


def take(text: str, start: int, end: int, tokens: list[Token]) -> Source:
    """Like cut, for the caller's own tokens of text[start:end] (a split's), rebased in place."""
    begin, stripped = _stripped(text, start, end)
    return Source(stripped, _rebase(tokens, text, begin))


def _stripped(text: str, start: int, end: int) -> tuple[int, str]:
    raw = text[start:end]
    return start + len(raw) - len(raw.lstrip()), raw.strip()


def _rebase(tokens: list[Token], text: str, offset: int) -> tuple[Token, ...]:
    # Offsets, lines and the first line's columns count from `offset`, as if the statement had
    # been tokenized alone (sqlglot's parser reports errors by them).
    if offset:
        lines = text.count("\n", 0, offset)
        shift = offset - (text.rfind("\n", 0, offset) + 1)
        for token in tokens:
            token.col -= shift if token.line == lines + 1 else 0
            token.line -= lines
            token.start -= offset
            token.end -= offset
    return tuple(tokens)


# -- when the tokenizer fails -------------------------------------------------------------------

_STRING_START = re.compile(r"([eEbBxXnN]|[uU]&)?'")
_IDENTIFIER_START = re.compile(r'([uU]&)?"')
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")


def _lexical_error(text: str, after: int) -> PgError:
    """PostgreSQL's 42601 for the token that could not be read: it starts after the end of
    the last token read (`after`), past blanks and whole comments."""
    pos = after
    while True:
        pos = len(text) - len(text[pos:].lstrip())
        if text.startswith("--", pos):
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", pos):
            pos = _comment_end(text, pos)
            if pos < 0:
                return _unterminated(text, "/* comment", -pos - 1)
        else:
            return _culprit(text, pos)


def _comment_end(text: str, pos: int) -> int:
    """Where the (nested) comment opened at pos ends; -(pos + 1) when it never does."""
    depth, i = 0, pos
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return -(pos + 1)


def _culprit(text: str, pos: int) -> PgError:
    string = _STRING_START.match(text, pos)
    if string and string.group(1) and string.group(1) in "bBxX" and "'" in text[string.end() :]:
        return _bad_digit(text[string.end() : text.index("'", string.end())], string.group(1) in "bB")
    if string:
        return _unterminated(text, "quoted string", pos)
    if _IDENTIFIER_START.match(text, pos):
        return _unterminated(text, "quoted identifier", pos)
    if _DOLLAR_TAG.match(text, pos):
        return _unterminated(text, "dollar-quoted string", pos)
    near = text[pos : pos + 20].split("\n")[0]
    return _syntax_error(f'syntax error at or near "{near}"', pos)


def _bad_digit(body: str, bits: bool) -> PgError:
    # b'012' and x'1g' are terminated: a digit is wrong, as PostgreSQL reports it (22P02).
    digits, name = ("01", "binary") if bits else ("0123456789abcdefABCDEF", "hexadecimal")
    wrong = next((char for char in body if char not in digits), body[:1])
    return PgError(SqlState.INVALID_TEXT_REPRESENTATION, f'"{wrong}" is not a valid {name} digit')


def _unterminated(text: str, what: str, pos: int) -> PgError:
    return _syntax_error(f"unterminated {what} at or near position {pos + 1}", pos)


def _syntax_error(message: str, pos: int) -> PgError:
    return PgError(SqlState.SYNTAX_ERROR, message, position=pos + 1)
