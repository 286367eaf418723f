"""DECLARE CURSOR and COPY: session commands that carry a query (or a table) inside them.

The inner query is classified like any other statement so the gateway applies the same
routing, policy and translation to `DECLARE c CURSOR FOR select ...` and
`COPY (select ...) TO STDOUT` as to the bare query.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.errors import ParseError

from pgbridge.sql.statements.cursor import Cursor, Lexeme, syntax_error
from pgbridge.sql.statements.model import CopyCommand, DeclareCommand, Statement
from pgbridge.sql.statements.tokens import Source, cut

# The inner query's classifier (classify.parse_statement), handed in: classify imports this module.
Classifier = Callable[[Source], Statement]


def parse_declare(source: Source, classify: Classifier) -> DeclareCommand:
    cur = Cursor(source)
    cur.expect("declare")
    name = cur.name()
    flags = {"binary": False, "scroll": False, "hold": False}
    while not cur.accept("cursor"):
        word = cur.expect("binary", "insensitive", "asensitive", "scroll", "no")
        if word == "no":
            cur.expect("scroll")
        flags[word] = word in flags
    if cur.accept("with", "without"):
        flags["hold"] = cur.lexemes[cur.pos - 1].value == "with"
        cur.expect("hold")
    cur.expect("for")
    query = classify(cut(source, cur.rest_start()))
    return DeclareCommand(name, query, flags["binary"], flags["scroll"], flags["hold"])


def parse_copy(source: Source, classify: Classifier) -> CopyCommand:
    cur = Cursor(source)
    cur.expect("copy")
    query = None
    table = None
    columns: tuple[str, ...] = ()
    if cur.is_punct("("):
        start, end = _parenthesised(cur)
        query = classify(cut(source, start + 1, end - 1))
    else:
        table = _table(cur)
        if cur.is_punct("("):
            columns = tuple(_name_list(cur))
    direction = cur.expect("to", "from")
    target = _target(cur)
    options = _options(cur)
    return _copy_command(query, table, columns, direction, target, options)


def _parenthesised(cur: Cursor) -> tuple[int, int]:
    """Where the parenthesised part at the cursor starts and ends (the parentheses included)."""
    start = cur.next()
    depth = 1
    while depth:
        token = cur.next()
        if token.kind == "punct" and token.value in "()":
            depth += 1 if token.value == "(" else -1
    return start.start, cur.lexemes[cur.pos - 1].end


def _table(cur: Cursor) -> exp.Table:
    start = cur.peek()
    cur.name()
    while cur.accept_punct("."):
        cur.name()
    assert start is not None
    source = cur.text[start.start : cur.lexemes[cur.pos - 1].end]
    try:
        return exp.to_table(source, dialect="postgres")
    except ParseError as error:
        raise syntax_error(f"invalid table name {source}: {error}") from None


def _name_list(cur: Cursor) -> list[str]:
    cur.accept_punct("(")
    names = [cur.name()]
    while cur.accept_punct(","):
        names.append(cur.name())
    if not cur.accept_punct(")"):
        raise syntax_error("syntax error in COPY column list")
    return names


def _target(cur: Cursor) -> str:
    if cur.accept("stdout", "stdin"):
        return cur.lexemes[cur.pos - 1].value
    if cur.accept("program"):
        cur.next()
        return "program"
    token = cur.next()
    if token.kind != "string":
        message = f'syntax error at or near "{token.value}": expected STDIN, STDOUT or a file name'
        raise syntax_error(message)
    return token.value


_LEGACY_FLAGS = {"binary": ("format", "binary"), "csv": ("format", "csv"), "header": ("header", "true")}
_LEGACY_VALUED = {"delimiter", "null", "quote", "escape", "encoding"}


def _options(cur: Cursor) -> list[tuple[str, str]]:
    cur.accept("with")
    if cur.accept_punct("("):
        return _option_list(cur)
    options: list[tuple[str, str]] = []
    while not cur.at_end():
        word = cur.name()
        if word in _LEGACY_FLAGS:
            options.append(_LEGACY_FLAGS[word])
        elif word in _LEGACY_VALUED:
            cur.accept("as")
            options.append((word, _option_value(cur.next())))
        elif word == "force":
            cur.pos = len(cur.lexemes)  # FORCE QUOTE/NOT NULL lists do not affect reading the stream
        else:
            raise syntax_error(f'COPY option "{word}" not recognized')
    return options


def _option_list(cur: Cursor) -> list[tuple[str, str]]:
    options: list[tuple[str, str]] = []
    while not cur.accept_punct(")"):
        name = cur.name()
        value = "true"
        token = cur.peek()
        if token is not None and token.kind == "punct" and token.value == "(":
            start, end = _parenthesised(cur)
            value = cur.text[start:end]
        elif token is not None and not (token.kind == "punct" and token.value in ",)"):
            value = _option_value(cur.next())
        options.append((name, value))
        cur.accept_punct(",")
    cur.expect_end()
    return options


def _option_value(token: Lexeme) -> str:
    return token.value


def _truthy(value: str) -> bool:
    return value.lower() in ("true", "on", "1", "yes", "match")


def _copy_command(
    query: Statement | None,
    table: exp.Table | None,
    columns: tuple[str, ...],
    direction: str,
    target: str,
    options: list[tuple[str, str]],
) -> CopyCommand:
    given = dict(options)
    fmt = given.get("format", "text").lower()
    if fmt not in ("text", "csv", "binary"):
        raise syntax_error(f'COPY format "{fmt}" not recognized')
    csv = fmt == "csv"
    quote = given.get("quote", '"')
    return CopyCommand(
        query=query,
        table=table,
        direction=direction,
        target=target,
        format=fmt,
        header=_truthy(given.get("header", "false")),
        delimiter=given.get("delimiter", "," if csv else "\t"),
        null=given.get("null", "" if csv else "\\N"),
        quote=quote,
        escape=given.get("escape", quote),
        columns=columns,
        options=tuple(options),
    )
