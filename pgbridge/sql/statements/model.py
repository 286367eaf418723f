"""Statements as data: a classified statement, and what a SET, SHOW, FETCH or COPY asked for.

classify.py makes a Statement of every text: its kind (which decides where the gateway routes
it), its PostgreSQL AST when it is a query, DML or DDL, its parsed command when it is a
session command, and the tag CommandComplete reports. The session answers session commands
locally (DESIGN.md: "session command -> answered locally"), so each is a frozen dataclass
holding exactly what the session needs to act on it. DECLARE and COPY hold the Statement of
the query inside them, which is why statements and commands live in one module.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlglot import exp


class Kind(enum.Enum):
    EMPTY = "empty"
    SET = "set"
    RESET = "reset"
    SHOW = "show"
    TRANSACTION = "transaction"
    DISCARD = "discard"
    DEALLOCATE = "deallocate"
    DECLARE = "declare"
    FETCH = "fetch"
    CLOSE = "close"
    LISTEN = "listen"
    UNLISTEN = "unlisten"
    LOCK = "lock"
    QUERY = "query"
    CATALOG = "catalog"
    DML = "dml"
    DDL = "ddl"
    COPY = "copy"
    UTILITY = "utility"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Statement:
    text: str
    kind: Kind
    ast: exp.Expression | None
    command: Command | None
    tag: str  # the CommandComplete tag PostgreSQL uses for this statement


@dataclass(frozen=True)
class SetCommand:
    name: str  # lower-cased parameter name ("timezone", "search_path", ...)
    value: str | None  # as SHOW would display it; None means DEFAULT
    local: bool = False
    more: tuple[tuple[str, str], ...] = ()  # further settings of a multi-mode SET TRANSACTION


@dataclass(frozen=True)
class ResetCommand:
    name: str  # lower-cased, or "all"


@dataclass(frozen=True)
class ShowCommand:
    name: str  # lower-cased, or "all"


@dataclass(frozen=True)
class TransactionCommand:
    # "begin" | "commit" | "rollback" | "savepoint" | "release" | "rollback_to" | "prepare"
    # | "commit_prepared" | "rollback_prepared"
    action: str
    name: str | None = None  # savepoint name or prepared-transaction id
    modes: tuple[str, ...] = ()  # "isolation level serializable", "read only", ...
    chain: bool = False  # COMMIT/ROLLBACK AND CHAIN


@dataclass(frozen=True)
class DiscardCommand:
    what: str  # "all" | "plans" | "sequences" | "temp"


@dataclass(frozen=True)
class DeallocateCommand:
    name: str | None  # None: DEALLOCATE ALL


@dataclass(frozen=True)
class DeclareCommand:
    name: str
    query: Statement
    binary: bool = False
    scroll: bool = False
    with_hold: bool = False


@dataclass(frozen=True)
class FetchCommand:
    # "next" | "prior" | "first" | "last" | "absolute" | "relative" | "forward" | "backward" | "all"
    direction: str
    count: int | None  # None: all remaining rows
    cursor: str
    move: bool = False


@dataclass(frozen=True)
class CloseCommand:
    name: str | None  # None: CLOSE ALL


@dataclass(frozen=True)
class ListenCommand:
    channel: str | None  # None: UNLISTEN *


@dataclass(frozen=True)
class LockCommand:
    tables: tuple[str, ...]  # as written, dotted names lower-cased
    mode: str  # "access share", "access exclusive", ...


@dataclass(frozen=True)
class CopyCommand:
    query: Statement | None
    table: exp.Table | None
    direction: str  # "to" | "from"
    target: str  # "stdout" | "stdin" | a file name | "program"
    format: str = "text"  # "text" | "csv" | "binary"
    header: bool = False
    delimiter: str = "\t"
    null: str = "\\N"
    quote: str = '"'
    escape: str = '"'
    columns: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = field(default=())  # every option as written, lower-cased names


Command = (
    SetCommand
    | ResetCommand
    | ShowCommand
    | TransactionCommand
    | DiscardCommand
    | DeallocateCommand
    | DeclareCommand
    | FetchCommand
    | CloseCommand
    | CopyCommand
    | ListenCommand
    | LockCommand
)
