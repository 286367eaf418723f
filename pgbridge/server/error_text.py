"""What an error may say to a client: never the SQL pgbridge generated, never a library's internals.

The client wrote PostgreSQL SQL; what runs is pgbridge's translation, which carries what the
client must not see or rely on: the row-filter predicate of its role, the masking and
qualification machinery, the catalog's internal relations. Libraries echo that text freely:
DuckDB appends `LINE 1: <statement>` with a caret, sqlglot quotes the statement around the
error position (with terminal colour codes), and an exception's own text can hold anything.
So:

- an exception that is not a PgError is a bug; the client gets XX000 with a reference to the
  gateway's log, where the full text and traceback are, and none of the exception's text;
- a PgError built from a library's message passes through `without_sql`, which removes the
  known context formats and every line quoting a run of the generated SQL (compared without
  quotes, case or spacing, since each dialect quotes differently), or naming one of the
  gateway's internal `__pgbridge` names (the row filter's alias, its claim placeholders), which
  only generated SQL contains. What is left is the library's own first words ("division by
  zero", "column x not found"), which a person can act on.

The session applies `without_sql` to every error it sends, so a new source of text cannot slip
past; the pipeline also gives it the SQL texts it generated for the statement.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets

from pgbridge.wire.errors import PgError, SqlState

log = logging.getLogger("pgbridge.errors")

# DuckDB: "\n\nLINE 1: SELECT ...\n                ^" after the message.
_DUCKDB_CONTEXT = re.compile(r"\n\s*LINE \d+:.*", re.DOTALL)
# sqlglot: "... Line 1, Col: 44.\n  SELECT ... `shop`\x1b[4m.\x1b[0m`customers` ..."
_SQLGLOT_CONTEXT = re.compile(r"(Line \d+, Col: \d+\.).*", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_QUOTES = re.compile(r"[`\"'\[\]]")
_SPACE = re.compile(r"\s+")
_INTERNAL = "__pgbridge"  # the prefix of every name the gateway writes into SQL
# A line sharing this many characters in a row with the generated SQL quotes it.
FRAGMENT = 24
_WITHHELD = "the backend rejected the statement pgbridge generated; its text is withheld"


def internal_error(exc: BaseException, doing: str = "running a statement") -> PgError:
    """XX000 for a bug: logged in full under a reference, told to the client without its text."""
    reference = secrets.token_hex(4)
    log.error("internal error %s while %s", reference, doing, exc_info=exc)
    return PgError(
        SqlState.INTERNAL_ERROR,
        f"internal error in pgbridge while {doing} (reference {reference})",
        hint="this is a bug in pgbridge; the session is still usable, and the gateway's log has "
        "the details under this reference",
    )


def stream_failure(failure: Exception) -> PgError:
    """What a result stream that broke on something other than a PgError is recorded as: its
    client went away (PostgreSQL logs "connection to client lost"), or a bug."""
    if isinstance(failure, ConnectionError):
        return PgError(SqlState.CONNECTION_FAILURE, "connection to client lost")
    return internal_error(failure, "sending a result")


def without_sql(error: PgError, *generated: str) -> PgError:
    """The error with quoted SQL removed from its message, detail and hint."""
    fragments = [_normal(text) for text in generated if text]
    message = _clean(error.message, fragments)
    detail = _clean(error.detail, fragments) if error.detail else error.detail
    hint = _clean(error.hint, fragments) if error.hint else error.hint
    if (message, detail, hint) == (error.message, error.detail, error.hint):
        return error
    return dataclasses.replace(error, message=message or _WITHHELD, detail=detail or None, hint=hint or None)


def _clean(text: str, fragments: list[str]) -> str:
    text = _ANSI.sub("", _SQLGLOT_CONTEXT.sub(r"\1", _DUCKDB_CONTEXT.sub("", text)))
    kept = [
        line
        for line in text.split("\n")
        if _INTERNAL not in line and not any(_quotes(line, sql) for sql in fragments)
    ]
    return "\n".join(kept).strip()


def _normal(text: str) -> str:
    return _SPACE.sub(" ", _QUOTES.sub("", text)).strip().lower()


def _quotes(line: str, normal_sql: str) -> bool:
    """Whether the line holds a run of FRAGMENT characters of the SQL (normalised)."""
    normal = _normal(line)
    if len(normal) < FRAGMENT or len(normal_sql) < FRAGMENT:
        return False
    return any(normal[i : i + FRAGMENT] in normal_sql for i in range(len(normal) - FRAGMENT + 1))
