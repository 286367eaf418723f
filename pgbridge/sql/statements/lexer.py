"""A small PostgreSQL lexer for the session commands sqlglot does not model.

SET, SHOW, FETCH, COPY options and their kin are simple token sequences; sqlglot parses
most of them as opaque `Command`s. This lexer turns a statement into words (lower-cased,
as PostgreSQL folds unquoted names), quoted identifiers (case kept), strings, numbers and
punctuation, each with its offset so a caller can cut the rest of the text (DECLARE ... FOR
query, COPY (query) TO ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgbridge.sql.statements.split import _skip_token
from pgbridge.wire.errors import PgError, SqlState


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word" | "ident" | "string" | "number" | "punct"
    value: str
    start: int
    end: int


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_\x80-\uffff][A-Za-z0-9_$\x80-\uffff]*")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif text.startswith("--", pos) or text.startswith("/*", pos):
            pos = _skip_token(text, pos)
        else:
            token = _next_token(text, pos)
            tokens.append(token)
            pos = token.end
    return tokens


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    if char in "eE" and text[pos + 1 : pos + 2] == "'":
        end = _skip_token(text, pos + 1)
        return Token("string", _unescape_e(text[pos + 2 : end - 1]), pos, end)
    if char == "'":
        end = _skip_token(text, pos)
        return Token("string", text[pos + 1 : end - 1].replace("''", "'"), pos, end)
    if char == '"':
        end = _skip_token(text, pos)
        return Token("ident", text[pos + 1 : end - 1].replace('""', '"'), pos, end)
    if char == "$" and (end := _skip_token(text, pos)) > pos + 1:
        tag_len = text.index("$", pos + 1) - pos + 1
        return Token("string", text[pos + tag_len : end - tag_len], pos, end)
    number = _NUMBER.match(text, pos)
    if number and (char.isdigit() or char == "." or text[pos + 1 : pos + 2].isdigit()):
        return Token("number", number.group(0), pos, number.end())
    word = _WORD.match(text, pos)
    if word:
        return Token("word", word.group(0).lower(), pos, word.end())
    return Token("punct", char, pos, pos + 1)


_E_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape_e(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(_E_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif char == "'" and body[i + 1 : i + 2] == "'":
            out.append("'")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


class Cursor:
    """Reads a token list front to back; errors are 42601 naming what was expected."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise syntax_error(self.text, "unexpected end of statement")
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
            raise syntax_error(self.text, f'syntax error at or near "{near}": expected {wanted}')
        return self.next().value

    def name(self) -> str:
        """An identifier: unquoted words fold to lower case, quoted ones keep theirs."""
        token = self.next()
        if token.kind not in ("word", "ident"):
            raise syntax_error(self.text, f'syntax error at or near "{token.value}": expected a name')
        return token.value

    def rest(self) -> str:
        token = self.peek()
        return self.text[token.start :].strip() if token else ""

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise syntax_error(self.text, f'syntax error at or near "{token.value}"', token.start)


def syntax_error(text: str, message: str, position: int | None = None) -> PgError:
    return PgError(SqlState.SYNTAX_ERROR, message, position=None if position is None else position + 1)
