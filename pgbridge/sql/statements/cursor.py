"""Words for the session commands sqlglot does not model: SET, SHOW, FETCH, COPY options, ...

Those commands are short sequences of words, names, strings, numbers and punctuation. This
module reads them from the statement's sqlglot tokens (tokens.py), one Lexeme each: a word
lower-cased, as PostgreSQL folds unquoted names; a quoted identifier with its case; a string
with its escapes decoded; a multi-word keyword token (ORDER BY) split back into its words.
Each keeps its offsets, so a caller can cut the rest of the statement (DECLARE ... FOR query,
COPY (query) TO ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType

from pgbridge.sql.statements.tokens import Source
from pgbridge.wire.errors import PgError, SqlState


@dataclass(frozen=True, slots=True)
class Lexeme:
    kind: str  # "word" | "ident" | "string" | "number" | "punct"
    value: str
    start: int
    end: int  # exclusive


STRING_TOKENS = {
    TokenType.STRING,
    TokenType.BYTE_STRING,
    TokenType.HEREDOC_STRING,
    TokenType.NATIONAL_STRING,
    TokenType.UNICODE_STRING,
    TokenType.RAW_STRING,
    TokenType.BIT_STRING,
    TokenType.HEX_STRING,
}
_WORD = re.compile(r"[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*")
_WORDS = re.compile(rf"{_WORD.pattern}(\s+{_WORD.pattern})*")


def lexemes(source: Source, limit: int | None = None) -> list[Lexeme]:
    """The source's lexemes, in order (only the first `limit` tokens' when given)."""
    found: list[Lexeme] = []
    for token in source.tokens[:limit]:
        found.extend(_lexemes_of(token, source.text))
        if len(found) > 1 and found[-2].value == "." and found[-1].kind == "number":
            _join_leading_dot(found)
    return found


def _lexemes_of(token: Token, text: str) -> list[Lexeme]:
    end = token.end + 1
    if token.token_type == TokenType.IDENTIFIER:
        return [Lexeme("ident", token.text, token.start, end)]
    if token.token_type in STRING_TOKENS:
        return [Lexeme("string", token.text, token.start, end)]
    if token.token_type == TokenType.NUMBER:
        return [Lexeme("number", token.text, token.start, end)]
    written = text[token.start : end]
    if _WORDS.fullmatch(written):
        return [
            Lexeme("word", m.group(0).lower(), token.start + m.start(), token.start + m.end())
            for m in _WORD.finditer(written)
        ]
    return [Lexeme("punct", written, token.start, end)]


def first_lexeme(token: Token, text: str) -> Lexeme:
    """The token's lexeme, or the first word of a multi-word keyword token."""
    return _lexemes_of(token, text)[0]


def _join_leading_dot(found: list[Lexeme]) -> None:
    # sqlglot reads .5 as a dot and 5; PostgreSQL as one number.
    dot, number = found[-2], found[-1]
    if dot.kind == "punct" and dot.end == number.start:
        found[-2:] = [Lexeme("number", "." + number.value, dot.start, number.end)]


class Cursor:
    """Reads a statement's lexemes front to back; errors are 42601 naming what was expected."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.lexemes = lexemes(source)
        self.pos = 0

    def peek(self, offset: int = 0) -> Lexeme | None:
        index = self.pos + offset
        return self.lexemes[index] if index < len(self.lexemes) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.lexemes)

    def next(self) -> Lexeme:
        token = self.peek()
        if token is None:
            raise syntax_error("unexpected end of statement")
        self.pos += 1
        return token

    def is_word(self, *words: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.value in words

    def accept(self, *words: str) -> bool:
        if self.is_word(*words):
            self.pos += 1
            return True
        return False

    def is_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.value == char

    def accept_punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.value == char:
            self.pos += 1
            return True
        return False

    def expect(self, *words: str) -> str:
        if not self.is_word(*words):
            found = self.peek()
            near = found.value if found else "end of input"
            wanted = " or ".join(words).upper()
            raise syntax_error(f'syntax error at or near "{near}": expected {wanted}')
        return self.next().value

    def name(self) -> str:
        """An identifier: unquoted words fold to lower case, quoted ones keep theirs."""
        token = self.next()
        if token.kind not in ("word", "ident"):
            raise syntax_error(f'syntax error at or near "{token.value}": expected a name')
        return token.value

    def rest_start(self) -> int:
        """Where the unread rest of the statement begins in its text."""
        token = self.peek()
        return token.start if token else len(self.text)

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise syntax_error(f'syntax error at or near "{token.value}"', token.start)


def syntax_error(message: str, position: int | None = None) -> PgError:
    return PgError(SqlState.SYNTAX_ERROR, message, position=None if position is None else position + 1)
