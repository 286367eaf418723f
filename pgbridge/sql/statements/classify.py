"""Classify one statement: session command, catalog query, data query, DML, DDL, ...

The gateway routes on this (DESIGN.md, "classify"): session commands are answered locally,
catalog queries go to the catalog engine, data queries go on to resolve / policy /
translate, and everything else is refused by the gateway. Classification fails closed: a
query mixing catalog relations with warehouse tables, or anything not understood, is
UNKNOWN. The first keyword decides the family (as PostgreSQL's grammar does); queries are
parsed by sqlglot's postgres parser from the statement's own tokens (tokens.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError

from pgbridge.sql.statements import session_commands as sc
from pgbridge.sql.statements.catalog_refs import CatalogRefs, catalog_refs
from pgbridge.sql.statements.copy_declare import parse_copy, parse_declare
from pgbridge.sql.statements.cursor import lexemes
from pgbridge.sql.statements.known import keep_statement, known_statement
from pgbridge.sql.statements.model import Command, Kind, Statement
from pgbridge.sql.statements.strict_syntax import check_syntax
from pgbridge.sql.statements.tokens import Source, tokenize
from pgbridge.wire.errors import PgError, SqlState

_POSTGRES = Postgres()

_SessionParser = Callable[[Source], "tuple[Command, str]"]
_SESSION: dict[str, tuple[Kind, _SessionParser]] = {
    "set": (Kind.SET, sc.parse_set),
    "reset": (Kind.RESET, sc.parse_reset),
    "show": (Kind.SHOW, sc.parse_show),
    "discard": (Kind.DISCARD, sc.parse_discard),
    "deallocate": (Kind.DEALLOCATE, sc.parse_deallocate),
    "fetch": (Kind.FETCH, sc.parse_fetch),
    "move": (Kind.FETCH, sc.parse_fetch),
    "close": (Kind.CLOSE, sc.parse_close),
    "listen": (Kind.LISTEN, sc.parse_listen),
    "unlisten": (Kind.UNLISTEN, sc.parse_listen),
    "lock": (Kind.LOCK, sc.parse_lock),
}
_TRANSACTION_WORDS = {"begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release"}
_QUERY_WORDS = {"select", "with", "values", "table", "("}
_DML_WORDS = {"insert", "update", "delete", "merge"}
_DDL_WORDS = {"create", "alter", "drop", "truncate", "grant", "revoke", "comment", "security", "import"}
_UTILITY_WORDS = {
    "do",
    "call",
    "execute",
    "prepare",
    "explain",
    "vacuum",
    "analyze",
    "analyse",
    "load",
    "checkpoint",
    "refresh",
    "cluster",
    "reindex",
    "notify",
    "reassign",
}
_KNOWN_WORDS = (
    {"declare", "copy"} | _QUERY_WORDS | _DML_WORDS | _DDL_WORDS | _UTILITY_WORDS | _TRANSACTION_WORDS
)
_CATALOG_TEXT = re.compile(r"\b(pg_catalog|information_schema|pg_[a-z_0-9]+)\b", re.IGNORECASE)


def parse_statement(text: str | Source) -> Statement:
    """Classify one statement (no top-level semicolons): a text, tokenized here, or a Source
    from split_statements, whose tokens are read as they are. PgError 42601 on bad syntax.
    A catalog statement's classification is kept by text (known.py)."""
    key = text.text if isinstance(text, Source) else text.strip()
    statement = known_statement(key)
    if statement is None:
        statement = _parse_statement(text if isinstance(text, Source) else tokenize(key))
        keep_statement(key, statement)
    return statement


def _parse_statement(source: Source) -> Statement:
    words = lexemes(source, limit=2)
    if not words:
        return Statement(source.text, Kind.EMPTY, None, None, "")
    first = words[0].value if words[0].kind in ("word", "punct") else ""
    second = words[1].value if len(words) > 1 and words[1].kind == "word" else ""
    if first in _SESSION:
        kind, parser = _SESSION[first]
        command, tag = parser(source)
        return Statement(source.text, kind, None, command, tag)
    if first in _TRANSACTION_WORDS or (first == "prepare" and second == "transaction"):
        command, tag = sc.parse_transaction(source)
        return Statement(source.text, Kind.TRANSACTION, None, command, tag)
    if not (first in _KNOWN_WORDS or first == "prepare"):
        # No PostgreSQL statement starts so (gram.y's `stmt`): a syntax error at its first
        # token, as PostgreSQL reports `SELEC 1`, not a refusal.
        near = source.text[words[0].start : words[0].end]
        raise PgError(SqlState.SYNTAX_ERROR, f'syntax error at or near "{near}"', position=words[0].start + 1)
    return _classify_other(source, first)


def _classify_other(source: Source, first: str) -> Statement:
    text = source.text
    if first == "declare":
        command = parse_declare(source, parse_statement)
        return Statement(text, Kind.DECLARE, None, command, "DECLARE CURSOR")
    if first == "copy":
        return Statement(text, Kind.COPY, None, parse_copy(source, parse_statement), "COPY")
    if first in _QUERY_WORDS:
        return _classify_query(source)
    if first in _DML_WORDS:
        return Statement(text, Kind.DML, _try_parse(source), None, first.upper())
    if first in _DDL_WORDS:
        return Statement(text, Kind.DDL, _try_parse(source), None, _ddl_tag(source))
    if first in _UTILITY_WORDS:
        return Statement(text, Kind.UTILITY, None, None, first.upper())
    return Statement(text, Kind.UNKNOWN, None, None, first.upper())


def _ddl_tag(source: Source) -> str:
    words = [t.value for t in lexemes(source, limit=3)[:3] if t.kind == "word"]
    if words[:1] in (["truncate"], ["grant"], ["revoke"], ["comment"]):
        return "TRUNCATE TABLE" if words[0] == "truncate" else words[0].upper()
    return " ".join(w.upper() for w in words[:2])


def _try_parse(source: Source) -> exp.Expression | None:
    try:
        return _parse_one(source)
    except PgError:
        return None


def _parse_one(source: Source) -> exp.Expression:
    check_syntax(source)  # what sqlglot would wrongly accept
    try:
        parsed = [e for e in _POSTGRES.parser().parse(list(source.tokens), source.text) if e is not None]
    except ParseError as error:
        raise _syntax_error(error) from None
    if len(parsed) != 1:
        raise PgError(SqlState.SYNTAX_ERROR, "expected exactly one statement")
    statement = parsed[0]
    if not isinstance(statement, exp.Expression):
        raise PgError(SqlState.SYNTAX_ERROR, f"not a statement: {statement.sql('postgres')}")
    return statement


def _syntax_error(error: ParseError) -> PgError:
    detail = error.errors[0] if error.errors else {}
    message = str(detail.get("description") or error).splitlines()[0]
    position = None
    if isinstance(detail.get("start_context"), str):
        # sqlglot reports the text before the offending token; PostgreSQL counts from 1.
        position = len(detail["start_context"]) + 1 if detail.get("line") == 1 else None
    highlight = detail.get("highlight")
    near = f' at or near "{highlight}"' if highlight else ""
    return PgError(SqlState.SYNTAX_ERROR, f"syntax error{near}: {message}", position=position)


def _classify_query(source: Source) -> Statement:
    text = source.text
    try:
        ast = _parse_one(source)
    except PgError:
        if _CATALOG_TEXT.search(text):
            return Statement(text, Kind.CATALOG, None, None, "SELECT")
        raise
    if isinstance(ast, exp.Command):
        return Statement(text, Kind.UNKNOWN, ast, None, "SELECT")
    if _has_dml(ast):
        return Statement(text, Kind.DML, ast, None, _dml_tag(ast))
    if not isinstance(ast, (exp.Query, exp.Values)):
        return Statement(text, Kind.UNKNOWN, ast, None, "SELECT")
    return Statement(text, _query_kind(catalog_refs(ast)), ast, None, "SELECT")


def _query_kind(refs: CatalogRefs) -> Kind:
    if refs.warehouse_tables:
        return Kind.UNKNOWN if refs.catalog_relations or refs.catalog_functions else Kind.QUERY
    if refs.catalog_relations or refs.catalog_functions:
        return Kind.CATALOG
    # No table at all (`SELECT 7/2`, `SELECT now()`): computed by the translator's exact rules
    # on the backend, not by the catalog engine, whose DuckDB semantics differ (7/2 = 3.5).
    return Kind.QUERY


def _has_dml(ast: exp.Expression) -> bool:
    return any(True for _ in ast.find_all(exp.Insert, exp.Update, exp.Delete, exp.Merge))


def _dml_tag(ast: exp.Expression) -> str:
    node = ast.find(exp.Insert, exp.Update, exp.Delete, exp.Merge)
    return type(node).__name__.upper() if node is not None else "SELECT"
