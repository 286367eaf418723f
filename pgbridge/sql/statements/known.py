"""Catalog statements already read, by text, shared by every session of the process.

Clients send the same introspection again and again, on every connection (psql's `\\d`,
drivers' reflection, BI tools' schema sync), and reading one means tokenizing the text and a
full sqlglot parse. Splitting and classifying read nothing but the text, so what they made of a
catalog statement's text holds for anyone who sends it. Only catalog statements are kept: the
catalog engine reads their text, never their AST or tokens, so nothing downstream changes what
is shared (data statements' ASTs go on to the planner, and are never shared).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

from pgbridge.sql.statements.model import Kind, Statement
from pgbridge.sql.statements.tokens import Source

KEPT = 512  # texts, per kind of entry
LONGEST = 32_768  # characters: longer texts are read every time

T = TypeVar("T")

_STATEMENTS: OrderedDict[str, Statement] = OrderedDict()
_SPLITS: OrderedDict[str, Source] = OrderedDict()


def known_statement(text: str) -> Statement | None:
    """The classification of a catalog statement's (stripped) text, if it was kept."""
    return _found(_STATEMENTS, text)


def keep_statement(text: str, statement: Statement) -> None:
    if statement.kind is Kind.CATALOG and len(text) <= LONGEST:
        _keep(_STATEMENTS, text, statement)


def known_split(text: str) -> list[Source] | None:
    """split_statements' answer for a text holding one catalog statement, if it was kept (by
    the exact text: what counts as a blank is the lexer's to say)."""
    source = _found(_SPLITS, text)
    return None if source is None else [source]


def keep_split(text: str, sources: list[Source]) -> None:
    """Keep a split that found exactly one statement, once that statement is known as a
    catalog statement (classified from an earlier copy of the same text)."""
    if len(sources) == 1 and len(text) <= LONGEST and sources[0].text in _STATEMENTS:
        _keep(_SPLITS, text, sources[0])


def _found(kept: OrderedDict[str, T], key: str) -> T | None:
    found = kept.get(key)
    if found is not None:
        kept.move_to_end(key)
    return found


def _keep(kept: OrderedDict[str, T], key: str, value: T) -> None:
    kept[key] = value
    while len(kept) > KEPT:
        kept.popitem(last=False)
