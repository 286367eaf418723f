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

import bisect
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
    tokens: list[Token] = []
    at = 0
    while True:
        read, error_at = _read(body, at)
        param = _misread_parameter(body, read, error_at)
        if param is None:
            if error_at is not None:
                raise _lexical_error(text, start + error_at) from None
            tokens += read
            moved = any(t.token_type is TokenType.PARAMETER for t in tokens)  # sqlglot stepped back
            return Source(body, _place(tokens, body) if moved else tuple(tokens))
        tokens += [t for t in read if t.start < param] + _parameter_tokens(body, param)
        at = tokens[-1].end + 1


def _read(body: str, at: int) -> tuple[list[Token], int | None]:
    """The tokens of body[at:], with offsets, lines and columns counted in body; and where the
    tokenizer failed (just past the last token it read), or None."""
    tokenizer = _Tokenizer(dialect=_POSTGRES)
    error_at: int | None = None
    try:
        read = tokenizer.tokenize(body[at:])
    except TokenError:
        read = tokenizer.tokens
        error_at = read[-1].end + 1 if read else 0
    return _shift(read, at), None if error_at is None else error_at + at


def _misread_parameter(body: str, read: list[Token], error_at: int | None) -> int | None:
    """Where sqlglot took a parameter `$1` for the start of a dollar quote, or None.

    sqlglot reads `$1,$2` as the dollar-quote tag `1,`; in PostgreSQL a tag starts like an
    identifier, never with a digit, so `$` and digits are always a parameter. Tokens before
    that point were read correctly (the tokenizer goes left to right)."""
    for token in read:
        if token.token_type is TokenType.HEREDOC_STRING and _PARAMETER.match(body, token.start):
            return token.start
    if error_at is not None:
        culprit = lexeme_start(body, error_at)
        if culprit >= 0 and _PARAMETER.match(body, culprit):
            return culprit
    return None


def _parameter_tokens(body: str, at: int) -> list[Token]:
    """`$` and its number as sqlglot tokenizes a lone parameter (lines and columns are set
    by _place)."""
    digits = _PARAMETER.match(body, at)
    assert digits is not None
    end = digits.end() - 1
    return [
        Token(TokenType.PARAMETER, "$", 1, 1, at, at),
        Token(TokenType.NUMBER, body[at + 1 : end + 1], 1, 1, at + 1, end),
    ]


def _shift(tokens: list[Token], offset: int) -> list[Token]:
    for token in tokens:
        token.start += offset
        token.end += offset
    return tokens


def _place(tokens: list[Token], body: str) -> tuple[Token, ...]:
    """Lines and columns from the offsets, as sqlglot counts them (the line and 1-based column
    of a token's last character): tokens read in pieces, or after sqlglot stepped back over a
    newline, would otherwise carry the piece's own."""
    newlines = [i for i, char in enumerate(body) if char == "\n"]
    for token in tokens:
        line = bisect.bisect_left(newlines, token.end)
        token.line = line + 1
        token.col = token.end - (newlines[line - 1] if line else -1)
    return tuple(tokens)


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
_PARAMETER = re.compile(r"\$[0-9]+")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")


def _lexical_error(text: str, after: int) -> PgError:
    """PostgreSQL's 42601 for the token that could not be read: it starts after the end of
    the last token read (`after`), past blanks and whole comments."""
    pos = lexeme_start(text, after)
    if pos < 0:
        return _unterminated(text, "/* comment", -pos - 1)
    return _culprit(text, pos)


def lexeme_start(text: str, pos: int) -> int:
    """Where the next token starts from pos, past blanks and whole comments; -(start + 1) of
    a comment that never ends."""
    while True:
        pos = len(text) - len(text[pos:].lstrip())
        if text.startswith("--", pos):
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", pos):
            pos = _comment_end(text, pos)
            if pos < 0:
                return pos
        else:
            return pos


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
